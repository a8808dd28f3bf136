#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sapper/core/error.hpp"
#include "sapper/io/mag_file.hpp"
#include "sapper/io/position.hpp"
#include "sapper/sim/mag.hpp"

using namespace sapper::io;

namespace {
namespace fs = std::filesystem;

const std::string kMagArrow = SAPPER_SOURCE_DIR "/../shared/data/mag/magarrow/MagArrow.csv";
const std::string kMagDrone = SAPPER_SOURCE_DIR "/../shared/data/mag/magdrone/Magdrone.csv";

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> naive_split(const std::string& s, char d) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string f;
  while (std::getline(ss, f, d)) out.push_back(f);
  return out;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const auto p = fs::temp_directory_path() / ("sapper_magcsv_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// The message of the FormatError fn throws ("" when it throws none).
template <class F>
std::string error_of(F fn) {
  try {
    fn();
  } catch (const sapper::FormatError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(MagCsvMagArrow, RealFileMatchesTheText) {
  if (!fs::exists(kMagArrow)) GTEST_SKIP() << "missing " << kMagArrow;
  const auto lines = lines_of(kMagArrow);
  const auto d = read_mag_csv(kMagArrow);
  EXPECT_EQ(d.format, "magarrow");
  ASSERT_EQ(d.size(), lines.size() - 1);
  ASSERT_EQ(d.sensors_nt.size(), 1u);
  EXPECT_EQ(d.sensor_names, std::vector<std::string>{"Mag"});
  EXPECT_EQ(d.header.at("date"), "2020-09-28");
  // By hand from the first row: 13:37:53.000, Mag 51383.18350, 56.86228600 N 24.11361300 E, MagValid 1.
  EXPECT_DOUBLE_EQ(d.time_s.front(), 13 * 3600 + 37 * 60 + 53.0);
  EXPECT_DOUBLE_EQ(d.sensors_nt[0].front(), 51383.18350);
  EXPECT_DOUBLE_EQ(d.lat_deg.front(), 56.86228600);
  EXPECT_DOUBLE_EQ(d.lon_deg.front(), 24.11361300);
  EXPECT_EQ(d.valid.front(), 1);
  EXPECT_DOUBLE_EQ(d.altitude_m.front(), 8.37);  // the GGA row carries Altitude
  EXPECT_TRUE(std::isnan(d.altitude_m[1]));       // the next rows leave it empty
  // Every row against a plain split of the text (Mag is the 6th column, before any quoted field).
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto f = naive_split(lines[i + 1], ',');
    EXPECT_DOUBLE_EQ(d.sensors_nt[0][i], std::stod(f[5])) << "row " << i;
    const double t = std::stod(f[2].substr(0, 2)) * 3600 + std::stod(f[2].substr(3, 2)) * 60 + std::stod(f[2].substr(6));
    EXPECT_NEAR(d.time_s[i], t, 1e-9) << "row " << i;
    EXPECT_DOUBLE_EQ(d.lat_deg[i], std::stod(f[3]));
    const Enu e = to_local(std::stod(f[3]), std::stod(f[4]), 0, 56.86228600, 24.11361300, 0);
    EXPECT_NEAR(d.x_m[i], e.east_m, 1e-9);
    EXPECT_NEAR(d.y_m[i], e.north_m, 1e-9);
  }
  // The last row by hand: 13:37:53.013, Mag 51383.46095.
  EXPECT_NEAR(d.time_s.back(), 49073.013, 1e-9);
  EXPECT_DOUBLE_EQ(d.sensors_nt[0].back(), 51383.46095);
  EXPECT_NEAR(d.x_m.front(), 0.0, 1e-6);  // the origin is the first fix
  EXPECT_NEAR(d.y_m.front(), 0.0, 1e-6);
}

TEST(MagCsvMagDrone, RealFileMatchesTheText) {
  if (!fs::exists(kMagDrone)) GTEST_SKIP() << "missing " << kMagDrone;
  const auto lines = lines_of(kMagDrone);
  std::size_t header = 0;
  while (header < lines.size() && lines[header].rfind("Timestamp", 0) != 0) ++header;
  ASSERT_LT(header, lines.size());
  std::size_t rows = 0;
  for (std::size_t i = header + 1; i < lines.size(); ++i) rows += !lines[i].empty();
  const auto d = read_mag_csv(kMagDrone);
  EXPECT_EQ(d.format, "magdrone");
  ASSERT_EQ(d.size(), rows);
  ASSERT_EQ(d.sensors_nt.size(), 2u);
  EXPECT_EQ(d.sensor_names, (std::vector<std::string>{"B1", "B2"}));
  EXPECT_EQ(d.header.at("Samples"), "266847");
  EXPECT_EQ(d.header.at("Date"), "23.10.2020");
  EXPECT_EQ(d.header.at("SampleFrequence"), "200 [Hz]");
  EXPECT_DOUBLE_EQ(d.time_s.front(), 0.060);
  EXPECT_DOUBLE_EQ(d.sensors_nt[0].front(), std::sqrt(10195.42 * 10195.42 + 14678.99 * 14678.99 + 48024.38 * 48024.38));
  EXPECT_DOUBLE_EQ(d.sensors_nt[1].front(), std::sqrt(7772.00 * 7772.00 + 14712.20 * 14712.20 + 48514.64 * 48514.64));
  EXPECT_DOUBLE_EQ(d.lat_deg.front(), 56.8623953);
  EXPECT_DOUBLE_EQ(d.altitude_m.front(), 7.6);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto f = naive_split(lines[header + 1 + i], ';');
    EXPECT_NEAR(d.time_s[i], std::stod(f[0]) / 1000, 1e-12);
    const double b1 = std::hypot(std::stod(f[1]), std::stod(f[2]), std::stod(f[3]));
    EXPECT_NEAR(d.sensors_nt[0][i], b1, 1e-9);
    if (std::stod(f[11]) == 0 && std::stod(f[12]) == 0) {  // no fix
      EXPECT_TRUE(std::isnan(d.lat_deg[i]) && std::isnan(d.lon_deg[i]) && std::isnan(d.altitude_m[i])) << i;
      EXPECT_TRUE(std::isnan(d.x_m[i]) && std::isnan(d.y_m[i])) << i;
    } else {
      EXPECT_DOUBLE_EQ(d.lat_deg[i], std::stod(f[11]));
      EXPECT_DOUBLE_EQ(d.lon_deg[i], std::stod(f[12]));
      EXPECT_TRUE(std::isfinite(d.x_m[i]));
    }
  }
  EXPECT_TRUE(std::isnan(d.lat_deg[1]));
  const Enu e = to_local(56.8623955, 24.1132087, 0, 56.8623953, 24.1132080, 0);
  EXPECT_NEAR(d.x_m.back(), e.east_m, 1e-9);
  EXPECT_NEAR(d.y_m.back(), e.north_m, 1e-9);
}

TEST(MagCsvSimulator, ReadsWriteMagSurveyBack) {
  sapper::sim::MagScene scene;
  scene.survey.x1 = 2;
  scene.survey.y1 = 2;
  const auto s = sapper::sim::simulate_mag(scene, 7, 1);
  ASSERT_GT(s.size(), 0);
  const auto dir = (fs::temp_directory_path() / ("sapper_magcsv_sim_" + std::to_string(::getpid()))).string();
  sapper::sim::write_mag_survey(dir, s);
  const auto d = read_mag_csv(dir + "/readings.csv");
  EXPECT_EQ(d.format, "sapper");
  ASSERT_EQ(d.size(), std::size_t(s.size()));
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_NEAR(d.time_s[i], s.time_s[i], 1e-9 * (1 + std::abs(s.time_s[i])));
    EXPECT_NEAR(d.x_m[i], s.x_m[i], 1e-9);
    EXPECT_NEAR(d.y_m[i], s.y_m[i], 1e-9);
    EXPECT_NEAR(d.sensors_nt[0][i], s.total_field_nt[i], 1e-6);
    EXPECT_EQ(d.extra.at("sensor")[i], s.sensor[i]);
    EXPECT_EQ(d.extra.at("line")[i], s.line[i]);
  }
  const auto b = read_base_csv(dir + "/base_station.csv");
  ASSERT_EQ(b.time_s.size(), s.base_time_s.size());
  for (std::size_t k = 0; k < b.time_s.size(); ++k) EXPECT_NEAR(b.field_nt[k], s.base_field_nt[k], 1e-6);
  fs::remove_all(dir);
}

TEST(MagCsvColumns, MappingByNameWithUnitsAndTabs) {
  const auto p = temp_file("tab.txt", "# survey 1\nsite: A\nT [ms]\t Easting [m]\tNorthing\tF1 [nT]\tok\n"
                                      "1000\t1.5\t2.5\t50000.5\t1\n2000\t1.6\t2.6\t\t0\n3000\t1.7\n");
  MagColumns c;
  c.time = "t";
  c.x = "easting";
  c.y = "NORTHING";
  c.sensors = {"f1"};
  c.valid = "OK";
  const auto d = read_mag_csv(p, c);
  EXPECT_EQ(d.format, "csv");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.header.at("site"), "A");
  EXPECT_EQ(d.sensor_names[0], "F1");
  EXPECT_DOUBLE_EQ(d.time_s[1], 2.0);
  EXPECT_DOUBLE_EQ(d.x_m[0], 1.5);
  EXPECT_DOUBLE_EQ(d.sensors_nt[0][0], 50000.5);
  EXPECT_TRUE(std::isnan(d.sensors_nt[0][1]));  // empty field
  EXPECT_TRUE(std::isnan(d.y_m[2]));            // ragged (short) row
  EXPECT_EQ(d.valid, (std::vector<std::uint8_t>{1, 0, 0}));
  fs::remove(p);
}

TEST(MagCsvErrors, MissingColumnNamesItAndTheAvailableOnes) {
  const auto p = temp_file("miss.csv", "time,field\n1,2\n");
  MagColumns c;
  c.sensors = {"Mag"};
  const auto e = error_of([&] { read_mag_csv(p, c); });
  EXPECT_NE(e.find("'Mag'"), std::string::npos) << e;
  EXPECT_NE(e.find("'field'"), std::string::npos) << e;
  EXPECT_NE(e.find(p), std::string::npos) << e;
  // No preset fits and no mapping: the error lists the columns.
  const auto e2 = error_of([&] { read_mag_csv(p); });
  EXPECT_NE(e2.find("'time'"), std::string::npos) << e2;
  fs::remove(p);
}

TEST(MagCsvErrors, NonNumericValueNamesLineAndColumn) {
  const auto p = temp_file("nan.csv", "time_s,x_m,y_m,total_field_nt\n0,1,2,3\n0.1,1,2,abc\n");
  const auto e = error_of([&] { read_mag_csv(p); });
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("total_field_nt"), std::string::npos) << e;
  EXPECT_NE(e.find("abc"), std::string::npos) << e;
  fs::remove(p);
}

TEST(MagCsvErrors, EmptyHeaderOnlyNonUtf8AndMissingFile) {
  const auto empty = temp_file("empty.csv", "");
  EXPECT_NE(error_of([&] { read_mag_csv(empty); }).find("empty"), std::string::npos);
  const auto head = temp_file("head.csv", "time_s,x_m,y_m,total_field_nt\n");
  EXPECT_NE(error_of([&] { read_mag_csv(head); }).find("no data rows"), std::string::npos);
  const auto bin = temp_file("bin.csv", std::string("\xff\xfe\x00\x01garbage\n\x80\x81,\x82\n", 17));
  EXPECT_NE(error_of([&] { read_mag_csv(bin); }).find("UTF-8"), std::string::npos);
  // Non-UTF-8 bytes in a data value: an error whose message is printable ASCII.
  const auto badval = temp_file("badval.csv", "time_s,x_m,y_m,total_field_nt\n0,1,2,\xff\xfe\n");
  const auto e = error_of([&] { read_mag_csv(badval); });
  EXPECT_NE(e.find("\\xFF"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { read_mag_csv("/nonexistent/mag.csv"); }).find("cannot open"), std::string::npos);
  EXPECT_THROW(read_iaga2002(empty), sapper::FormatError);
  EXPECT_THROW(read_iaga2002(bin), sapper::FormatError);
  for (const auto& p : {empty, head, bin, badval}) fs::remove(p);
}

namespace {
std::string iaga_line(const std::string& key, const std::string& value) {
  std::string s = " " + key;
  s.resize(24, ' ');
  s += value;
  s.resize(69, ' ');
  return s + "|\n";
}
}  // namespace

TEST(Iaga2002, ReadsFAndMissingValues) {
  std::string t = iaga_line("Format", "IAGA-2002") + iaga_line("Source of Data", "Test") + iaga_line("IAGA CODE", "ABC") +
                  iaga_line("Reported", "XYZF") + " # a comment line" + std::string(51, ' ') + "|\n" +
                  "DATE       TIME         DOY     ABCX      ABCY      ABCZ      ABCF   |\n"
                  "2020-09-28 00:00:00.000 272     17000.00   1500.00  48000.00  50943.04\n"
                  "2020-09-28 00:01:00.000 272     17001.00   1501.00  48001.00  99999.00\n"
                  "2020-09-28 23:59:00.000 272     99999.00   1500.00  48000.00  99999.00\n"
                  "2020-09-29 00:00:30.000 273     17000.00   1500.00  48000.00  50943.10\n";
  const auto p = temp_file("iaga.min", t);
  const auto b = read_iaga2002(p);
  ASSERT_EQ(b.time_s.size(), 4u);
  EXPECT_EQ(b.header.at("IAGA CODE"), "ABC");
  EXPECT_EQ(b.header.at("Reported"), "XYZF");
  EXPECT_EQ(b.header.at("date"), "2020-09-28");
  EXPECT_DOUBLE_EQ(b.time_s[0], 0.0);
  EXPECT_DOUBLE_EQ(b.time_s[1], 60.0);
  EXPECT_DOUBLE_EQ(b.time_s[2], 86340.0);
  EXPECT_DOUBLE_EQ(b.time_s[3], 86430.0);
  EXPECT_DOUBLE_EQ(b.field_nt[0], 50943.04);
  EXPECT_DOUBLE_EQ(b.field_nt[1], std::sqrt(17001.0 * 17001 + 1501.0 * 1501 + 48001.0 * 48001));  // F missing: from XYZ
  EXPECT_TRUE(std::isnan(b.field_nt[2]));                                                        // F and X missing
  EXPECT_DOUBLE_EQ(b.field_nt[3], 50943.10);
  fs::remove(p);
}

TEST(Iaga2002, HdzWithoutFAndErrors) {
  const std::string head = iaga_line("Format", "IAGA-2002") + iaga_line("Reported", "HDZ") +
                           "DATE       TIME         DOY     ABCH      ABCD      ABCZ      ABCG   |\n";
  const auto p = temp_file("hdz.min", head + "2020-09-28 00:00:00.000 272     17000.00   3.00  48000.00  88888.00\n");
  const auto b = read_iaga2002(p);
  ASSERT_EQ(b.field_nt.size(), 1u);
  EXPECT_DOUBLE_EQ(b.field_nt[0], std::hypot(17000.0, 48000.0));
  const auto bad = temp_file("bad.min", head + "2020-09-28 00:00:00.000 272     17000.00   x3.00  48000.00  88888.00\n");
  const auto e = error_of([&] { read_iaga2002(bad); });
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("column 'D'"), std::string::npos) << e;
  const auto only = temp_file("only.min", head);
  EXPECT_NE(error_of([&] { read_iaga2002(only); }).find("no data rows"), std::string::npos);
  const auto notiaga = temp_file("not.min", "DATE TIME DOY X Y Z F\n");
  EXPECT_THROW(read_iaga2002(notiaga), sapper::FormatError);
  for (const auto& f : {p, bad, only, notiaga}) fs::remove(f);
}

TEST(MagCsvBase, CsvBaseStationWithNamedColumns) {
  const auto p = temp_file("base.csv", "Time;Total [nT]\n13:00:00;50000.1\n13:00:01;50000.3\n");
  const auto b = read_base_csv(p);
  ASSERT_EQ(b.time_s.size(), 2u);
  EXPECT_DOUBLE_EQ(b.time_s[1], 13 * 3600 + 1.0);
  EXPECT_DOUBLE_EQ(b.field_nt[1], 50000.3);
  const auto b2 = read_base_csv(p, "time", "TOTAL");
  EXPECT_DOUBLE_EQ(b2.field_nt[0], 50000.1);
  EXPECT_NE(error_of([&] { read_base_csv(p, "t"); }).find("'t'"), std::string::npos);
  fs::remove(p);
}

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io_test.hpp"
#include "sapper/core/error.hpp"
#include "sapper/io/mag_file.hpp"

using namespace sapper::io;

namespace {

const std::string kStn = SAPPER_SOURCE_DIR "/../shared/data/mag/geometrics-g858/data_1.stn";
const std::string kConfig = SAPPER_SOURCE_DIR "/../shared/data/mag/geometrics-g858/data_1.config";

std::vector<std::vector<std::string>> rows_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::vector<std::string>> out;
  std::string l;
  while (std::getline(in, l)) {
    std::stringstream ss(l);
    std::vector<std::string> f;
    std::string w;
    while (ss >> w) f.push_back(w);
    if (!f.empty()) out.push_back(f);
  }
  return out;
}

double clock_of(const std::string& t) {
  return std::stod(t.substr(0, 2)) * 3600 + std::stod(t.substr(3, 2)) * 60 + std::stod(t.substr(6));
}

std::string write(const std::string& name, const std::string& text) {
  const auto p = sapper::test::temp_path("g858", name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

TEST(G858, RealFileMatchesIndependentParse) {
  std::ifstream probe(kStn);
  if (!probe) GTEST_SKIP() << "no " << kStn;
  const auto rows = rows_of(kStn);
  std::vector<const std::vector<std::string>*> data;
  int starts = 0;
  for (const auto& r : rows) {
    if (r[0] == "0") data.push_back(&r);
    if (r[0] == "3" && r.size() >= 9 && r[8] == "36") ++starts;
  }
  const MagLineData m = read_g858(kStn);
  ASSERT_EQ(m.size(), data.size());
  EXPECT_EQ(m.size(), 22156u);
  ASSERT_EQ(m.sensors_nt.size(), 2u);
  EXPECT_EQ(m.format, "g858");
  // The first recorded reading is the text's last data row, the last recorded its first.
  const auto& first = *data.back();
  const auto& last = *data.front();
  EXPECT_DOUBLE_EQ(m.sensors_nt[0].front(), std::stod(first[1]));
  EXPECT_DOUBLE_EQ(m.sensors_nt[1].front(), std::stod(first[2]));
  EXPECT_DOUBLE_EQ(m.sensors_nt[0].back(), std::stod(last[1]));
  EXPECT_DOUBLE_EQ(m.sensors_nt[1].back(), std::stod(last[2]));
  EXPECT_NEAR(m.time_s.front(), clock_of(first[3]), 1e-9);
  EXPECT_NEAR(m.time_s.back(), clock_of(last[3]), 1e-9);
  EXPECT_EQ(m.header.at("date"), "2018-09-30");
  EXPECT_EQ(starts, 21);
  EXPECT_EQ(m.header.at("lines"), std::to_string(starts));
  // Line indices: 0..20 in recording order; the first line runs from (0, 0) to (0, 100).
  EXPECT_EQ(m.extra.at("line").front(), 0.0);
  EXPECT_EQ(m.extra.at("line").back(), 20.0);
  EXPECT_DOUBLE_EQ(m.x_m.front(), 0.0);
  EXPECT_DOUBLE_EQ(m.y_m.front(), 0.0);
  EXPECT_DOUBLE_EQ(m.x_m.back(), 100.0);
  EXPECT_DOUBLE_EQ(m.y_m.back(), 100.0);
  EXPECT_EQ(m.extra.at("mark").front(), 36.0);
  EXPECT_EQ(m.extra.at("mark").back(), 5.0);
  for (std::size_t i = 0; i < m.size(); ++i) {
    ASSERT_TRUE(std::isfinite(m.x_m[i]) && std::isfinite(m.y_m[i])) << i;
    ASSERT_TRUE(m.x_m[i] >= 0 && m.x_m[i] <= 100 && m.y_m[i] >= 0 && m.y_m[i] <= 100) << i;
  }
  // The first mark (code 4, (0, 5)) is anchored at the reading just before it: the 76th.
  EXPECT_EQ(m.extra.at("mark")[75], 4.0);
  EXPECT_DOUBLE_EQ(m.y_m[75], 5.0);
}

// Two lines written in reverse order. Recording order: line 1 starts at (0,0) [readings 0-2], a mark
// at (0,10) after reading 2, readings 3-4, end at (0,20); line 2 starts at (5,20), readings 5-7, end
// at (5,0).
const char* kSmall =
    "99 0 0\n"
    "3         5.000        0.000 10:00:09.00 01/02/20          0           2           1   5\n"
    "0   50007.000  50017.000 10:00:08.00 01/02/20   0\n"
    "0   50006.000  50016.000 10:00:07.00 01/02/20   0\n"
    "0   50005.000  50015.000 10:00:06.00 01/02/20   0\n"
    "3         5.000       20.000 10:00:05.50 01/02/20          3           2           0  36\n"
    "3         0.000       20.000 10:00:05.00 01/02/20          0           1           2   5\n"
    "0   50004.000  50014.000 10:00:04.00 01/02/20   0\n"
    "0   50003.000  50013.000 10:00:03.00 01/02/20   0\n"
    "3         0.000       10.000 10:00:02.50 01/02/20          2           1           1   4\n"
    "0   50002.000  50012.000 10:00:02.00 01/02/20   0\n"
    "0   50001.000  50011.000 10:00:01.00 01/02/20   0\n"
    "0   50000.000  50010.000 10:00:00.00 01/02/20   0\n"
    "3         0.000        0.000 09:59:59.50 01/02/20          3           1           0  36\n";

TEST(G858, SmallFileInterpolatesBetweenMarks) {
  const MagLineData m = read_g858(write("small.stn", kSmall));
  ASSERT_EQ(m.size(), 8u);
  const std::vector<double> x = {0, 0, 0, 0, 0, 5, 5, 5};
  const std::vector<double> y = {0, 5, 10, 15, 20, 20, 10, 0};
  const std::vector<double> line = {1, 1, 1, 1, 1, 2, 2, 2};
  const std::vector<double> mark = {36, 0, 4, 0, 5, 36, 0, 5};
  const std::vector<double> t = {0, 1, 2, 3, 4, 6, 7, 8};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_DOUBLE_EQ(m.x_m[i], x[i]) << i;
    EXPECT_DOUBLE_EQ(m.y_m[i], y[i]) << i;
    EXPECT_EQ(m.extra.at("line")[i], line[i]) << i;
    EXPECT_EQ(m.extra.at("mark")[i], mark[i]) << i;
    EXPECT_DOUBLE_EQ(m.sensors_nt[0][i], 50000.0 + double(i));
    EXPECT_DOUBLE_EQ(m.sensors_nt[1][i], 50010.0 + double(i));
    EXPECT_DOUBLE_EQ(m.time_s[i], 36000.0 + t[i]);
  }
  EXPECT_EQ(m.header.at("date"), "2020-01-02");
  EXPECT_EQ(m.header.at("lines"), "2");
  EXPECT_EQ(m.header.at("first_row"), "99 0 0");
}

TEST(G858, SingleSensorAndNoMarks) {
  const MagLineData m = read_g858(write("one.stn",
                                        "0   50001.000 23:59:59.90 12/31/19   0\n"
                                        "0   50000.000 23:59:59.80 12/31/19   0\n"));
  ASSERT_EQ(m.sensors_nt.size(), 1u);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m.sensors_nt[0][0], 50000.0);
  EXPECT_NEAR(m.time_s[0], 86399.8, 1e-9);
  EXPECT_TRUE(std::isnan(m.x_m[0]) && std::isnan(m.y_m[1]) && std::isnan(m.extra.at("line")[0]));
}

TEST(G858, BadInputNamesFileAndLine) {
  using sapper::test::expect_format_error;
  const auto empty = write("empty.stn", "");
  expect_format_error([&] { read_g858(empty); }, {empty, "line 1", "empty"});
  const auto bad = write("bad.stn", "99 0 0\n0   49313.758  4930x.539 13:38:25.40 09/30/18   0\n");
  expect_format_error([&] { read_g858(bad); }, {bad, "line 2", "sensor 2", "4930x.539"});
  const auto cut = write("cut.stn", "0   49313.758  49308.539 13:38:25.40 09/30/18   0\n0   49313.758\n");
  expect_format_error([&] { read_g858(cut); }, {cut, "line 2", "truncated"});
  const auto mark = write("mark.stn", "3       100.000      100.000 13:38:25.40 09/30/18\n");
  expect_format_error([&] { read_g858(mark); }, {mark, "line 1", "mark row"});
  const auto bin = write("bin.stn", std::string("0   49313.758  49308.539 13:38:25.40 09/30/18   0\n\xff\xfe\x01\n"));
  expect_format_error([&] { read_g858(bin); }, {bin, "line 2", "UTF-8"});
  const auto none = write("none.stn", "99 0 0\n");
  expect_format_error([&] { read_g858(none); }, {none, "no reading rows"});
  expect_format_error([&] { read_g858(write("date.stn", "0 1 2 13:38:25.40 2018-09-30 0\n")); }, {"line 1", "date"});
}

TEST(G858, RealConfigGivesSensorGeometry) {
  std::ifstream cfg(kConfig);
  if (!cfg) GTEST_SKIP() << "no " << kConfig;
  std::vector<std::string> l;
  for (std::string s; std::getline(cfg, s);) l.push_back(s);
  ASSERT_GE(l.size(), 9u);
  const MagLineData m = read_g858(kStn);
  // pymagra's layout: line 4 height of sensor 1, line 5 of sensor 2, line 6 layout (0 vertical)
  ASSERT_EQ(std::stoi(l[5]), 0);
  ASSERT_EQ(m.sensor_height_m.size(), 2u);
  EXPECT_DOUBLE_EQ(m.sensor_height_m[0], std::stod(l[3]));
  EXPECT_DOUBLE_EQ(m.sensor_height_m[1], std::stod(l[4]));
  EXPECT_EQ(m.sensor_across_m, std::vector<double>(2, 0.0));
  EXPECT_EQ(m.sensor_along_m, std::vector<double>(2, 0.0));
  EXPECT_EQ(m.header.at("config title"), l[1]);
  EXPECT_EQ(m.header.at("config layout"), "vertical");
  EXPECT_DOUBLE_EQ(std::stod(m.header.at("config field_nt")), std::stod(l[6]));
  EXPECT_DOUBLE_EQ(std::stod(m.header.at("config inclination_deg")), std::stod(l[7]));
  EXPECT_DOUBLE_EQ(std::stod(m.header.at("config declination_deg")), std::stod(l[8]));
  EXPECT_DOUBLE_EQ(std::stod(m.header.at("config line_direction_deg")), std::stod(l[2]));
}

TEST(G858, SyntheticConfigLayouts) {
  const std::string two = "0   50001.000  50011.000 10:00:01.00 01/02/20   0\n0   50000.000  50010.000 10:00:00.00 01/02/20   0\n";
  const auto none = write("nocfg.stn", two);
  const MagLineData a = read_g858(none);
  EXPECT_TRUE(a.sensor_height_m.empty() && a.sensor_across_m.empty() && a.sensor_along_m.empty());
  // horizontal, CRLF line endings, spaces around numbers, a tenth line ignored
  write("horiz.config", "magnetic\r\nfield test\r\n 0 \r\n0.3\r\n0.5\r\n1\r\n49800\r\n58\r\n6\r\nextra\r\n");
  const MagLineData h = read_g858(write("horiz.stn", two));
  EXPECT_EQ(h.sensor_height_m, (std::vector<double>{0.3, 0.3}));
  EXPECT_EQ(h.sensor_across_m, (std::vector<double>{-0.25, 0.25}));
  EXPECT_EQ(h.sensor_along_m, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(h.header.at("config layout"), "horizontal");
  EXPECT_EQ(h.header.at("config title"), "field test");
  // one sensor: its height is sensor 1's
  write("single.config", "magnetic\nt\n0\n0.25\n1.25\n0\n48000\n60\n0\n");
  const MagLineData s = read_g858(write("single.stn", "0   50000.000 10:00:00.00 01/02/20   0\n"));
  EXPECT_EQ(s.sensor_height_m, std::vector<double>{0.25});
}

TEST(G858, BadConfigNamesFileAndLine) {
  using sapper::test::expect_format_error;
  const std::string row = "0   50000.000  50010.000 10:00:00.00 01/02/20   0\n";
  const auto check = [&](const std::string& stem, const std::string& config, const std::vector<std::string>& pieces) {
    const auto cfg = write(stem + ".config", config);
    const auto stn = write(stem + ".stn", row);
    auto p = pieces;
    p.push_back(cfg);
    expect_format_error([&] { read_g858(stn); }, p);
  };
  check("short", "magnetic\nt\n0\n0.3\n", {"line 5", "height of sensor 2", "9 lines"});
  check("nan", "magnetic\nt\n0\n1.4\nabc\n0\n48000\n66\n0\n", {"line 5", "'abc' is not a number"});
  check("two", "magnetic\nt\n0\n1.4 0.4\n0.4\n0\n48000\n66\n0\n", {"line 4", "not a number"});
  check("layout", "magnetic\nt\n0\n1.4\n0.4\n2\n48000\n66\n0\n", {"line 6", "layout", "not 0"});
  check("below", "magnetic\nt\n0\n-1\n0.4\n0\n48000\n66\n0\n", {"line 4", "below the ground"});
  check("inf", "magnetic\nt\n0\n1.4\n0.4\n0\ninf\n66\n0\n", {"line 7", "field strength"});
  check("bin", std::string("magnetic\n\xff\xfe\n0\n1.4\n0.4\n0\n48000\n66\n0\n"), {"line 2", "UTF-8"});
}

}  // namespace

// MALA RD3/RD7 + RAD reader: the real RAMAC file against an independent decode, header
// variants, and malformed input (each a FormatError naming the file and the field).
#include <gtest/gtest.h>

#include "io_test.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sapper/io/gpr_file.hpp"

namespace fs = std::filesystem;
using sapper::FormatError;
using sapper::io::read_gpr;
using sapper::io::read_mala;

namespace {

const std::string kDir = SAPPER_SOURCE_DIR "/../shared/data/gpr/mala/";

std::vector<char> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out.write(s.data(), std::streamsize(s.size()));
}
/// The value after ':' on the RAD line that starts with key (parsed by hand, independently).
double rad_value(const std::string& rad, const std::string& key) {
  const auto k = rad.find("\n" + key + ":");
  EXPECT_NE(k, std::string::npos) << key;
  return std::stod(rad.substr(k + key.size() + 2));
}

using sapper::test::expect_format_error;

class MalaTmp : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sapper_mala_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// traces x samples, sample i of trace j = 100 j + i - 7 (int16) or 100000 j + i - 7 (int32).
  static std::string data_bytes(int traces, int samples, int bytes = 2) {
    std::string out;
    for (int j = 0; j < traces; ++j)
      for (int i = 0; i < samples; ++i) {
        if (bytes == 2) {
          const auto v = std::int16_t(100 * j + i - 7);
          out.append(reinterpret_cast<const char*>(&v), 2);
        } else {
          const auto v = std::int32_t(100000 * j + i - 7);
          out.append(reinterpret_cast<const char*>(&v), 4);
        }
      }
    return out;
  }
  static std::string rad_text(int samples, const std::string& eol = "\r\n", const std::string& antenna = "250 MHz") {
    return "SAMPLES:" + std::to_string(samples) + eol + "FREQUENCY:2000.0" + eol + "SIGNAL POSITION:4.5" + eol +
           "DISTANCE FLAG:1" + eol + "DISTANCE INTERVAL: 0.05" + eol + "ANTENNAS:" + antenna + eol +
           "START POSITION:1.0" + eol;
  }
  std::string write(const std::string& rad, const std::string& data, const std::string& ext = ".rd3",
                    const std::string& rad_ext = ".rad") {
    spit(dir_ / ("L" + rad_ext), rad);
    spit(dir_ / ("L" + ext), data);
    return (dir_ / ("L" + ext)).string();
  }
  fs::path dir_;
};

}  // namespace

TEST(MalaReal, MatchesIndependentDecode) {
  const std::string rd3 = kDir + "DAT_1251_A1.rd3";
  if (!fs::exists(rd3) || !fs::exists(kDir + "DAT_1251_A1.rad")) GTEST_SKIP() << "shared data missing";
  const auto raw = slurp(rd3);
  const auto radv = slurp(kDir + "DAT_1251_A1.rad");
  const std::string rad = "\n" + std::string(radv.begin(), radv.end());
  const int ns = int(rad_value(rad, "SAMPLES"));
  ASSERT_EQ(ns, 568);
  ASSERT_EQ(raw.size() % (2 * std::size_t(ns)), 0u);
  const int n = int(raw.size() / (2 * std::size_t(ns)));
  ASSERT_EQ(n, 2156);
  ASSERT_EQ(n, int(rad_value(rad, "LAST TRACE")));
  auto sample = [&](int i, int j) {
    std::int16_t v;
    std::memcpy(&v, raw.data() + (std::size_t(j) * ns + i) * 2, 2);
    return v;
  };

  const auto f = read_mala<double>(rd3);
  EXPECT_EQ(f.format, "rd3");
  ASSERT_EQ(f.channels.size(), 1u);
  const auto& c = f.channels[0];
  ASSERT_EQ(c.data.rows(), ns);
  ASSERT_EQ(c.data.cols(), n);
  const double dt = 1000.0 / rad_value(rad, "FREQUENCY");
  EXPECT_DOUBLE_EQ(c.format.dt_ns, dt);
  EXPECT_NEAR(c.format.dt_ns * ns, rad_value(rad, "TIMEWINDOW"), 1e-4);  // the window agrees
  EXPECT_DOUBLE_EQ(c.format.time_zero_ns, rad_value(rad, "SIGNAL POSITION") * dt);
  EXPECT_DOUBLE_EQ(c.axes.antenna_mhz, 500.0);
  ASSERT_EQ(c.axes.position_m.size(), std::size_t(n));
  const double dx = rad_value(rad, "DISTANCE INTERVAL");
  EXPECT_DOUBLE_EQ(c.axes.position_m[0], 0.0);
  EXPECT_DOUBLE_EQ(c.axes.position_m[n - 1], (n - 1) * dx);
  EXPECT_NEAR(c.axes.position_m[n - 1], rad_value(rad, "STOP POSITION"), 2 * dx);
  for (int j : {0, n - 1})
    for (int i : {0, 1, ns - 1}) EXPECT_EQ(c.data(i, j), sample(i, j)) << i << "," << j;
  EXPECT_EQ(c.data(0, 0), -668);
  EXPECT_EQ(c.data(ns - 1, 0), -736);
  EXPECT_EQ(c.data(0, n - 1), -590);
  EXPECT_EQ(c.data(ns - 1, n - 1), -676);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < ns; ++i) ASSERT_EQ(c.data(i, j), sample(i, j));
  EXPECT_EQ(f.header.at("LAST TRACE"), "2156");
  EXPECT_EQ(f.header.at("ANTENNAS"), "500 MHz shielded=2");
  EXPECT_EQ(f.header.at("WHEEL CALIBRATION"), "1011.150024");
  const auto g = read_gpr<float>(rd3);
  EXPECT_EQ(g.format, "rd3");
  EXPECT_EQ(g.channels[0].data(5, 7), float(c.data(5, 7)));
}

TEST_F(MalaTmp, HeaderVariantsAndRd7) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    const auto f = read_mala<float>(write(rad_text(6, eol), data_bytes(4, 6)));
    const auto& c = f.channels[0];
    ASSERT_EQ(c.data.rows(), 6);
    ASSERT_EQ(c.data.cols(), 4);
    EXPECT_DOUBLE_EQ(c.format.dt_ns, 0.5);
    EXPECT_DOUBLE_EQ(c.format.time_zero_ns, 2.25);
    EXPECT_DOUBLE_EQ(c.axes.antenna_mhz, 250.0);
    ASSERT_EQ(c.axes.position_m.size(), 4u);
    EXPECT_DOUBLE_EQ(c.axes.position_m[3], 1.0 + 3 * 0.05);
    EXPECT_EQ(c.data(5, 3), 300 + 5 - 7);
  }
  // reordered, lower-case keys, odd spacing, unknown keys, upper-case .RAD, no distance flag
  const std::string rad = "custom thing : a:b\nfrequency : 1000\n  samples:  6 \nANTENNAS:1.6 GHz\nLAST TRACE:3\n";
  fs::remove(dir_ / "L.rad");  // the .rad of the loop above would be found first
  const auto f = read_mala<double>(write(rad, data_bytes(4, 6, 4), ".rd7", ".RAD"));
  const auto& c = f.channels[0];
  EXPECT_EQ(f.format, "rd7");
  EXPECT_DOUBLE_EQ(c.format.dt_ns, 1.0);
  EXPECT_DOUBLE_EQ(c.format.time_zero_ns, 0.0);
  EXPECT_DOUBLE_EQ(c.axes.antenna_mhz, 1600.0);
  EXPECT_TRUE(c.axes.position_m.empty());
  EXPECT_EQ(c.data.cols(), 4);  // the file holds more traces than LAST TRACE: all are read
  EXPECT_EQ(c.data(5, 3), 300000 + 5 - 7);
  EXPECT_EQ(f.header.at("custom thing"), "a:b");
  // antenna names without a frequency are unknown, never an error
  for (const std::string a : {"CUSTOM", "", "MHz", "RTA", "x.MHz"}) {
    const auto g = read_mala<float>(write(rad_text(6, "\n", a), data_bytes(2, 6)));
    EXPECT_TRUE(std::isnan(g.channels[0].axes.antenna_mhz)) << a;
  }
}

TEST_F(MalaTmp, MissingAndEmptyFiles) {
  spit(dir_ / "A.rd3", data_bytes(2, 6));
  const std::string a = (dir_ / "A.rd3").string();
  expect_format_error([&] { read_mala<float>(a); }, {a, "RAD"});
  const std::string e = write(rad_text(6), "");
  expect_format_error([&] { read_mala<float>(e); }, {e, "empty", "at byte 0"});
  const std::string h = write("", data_bytes(2, 6));
  expect_format_error([&] { read_mala<float>(h); }, {"L.rad", "SAMPLES"});
  spit(dir_ / "L.rd5", data_bytes(2, 6));
  expect_format_error([&] { read_mala<float>((dir_ / "L.rd5").string()); }, {"L.rd5"});
}

TEST_F(MalaTmp, TruncatedDataThrows) {
  const std::string full = data_bytes(3, 50);
  for (std::size_t k = 1; k < full.size(); k += 7) {
    if (k % 100 == 0) continue;  // whole traces: a shorter but valid file
    const std::string p = write(rad_text(50), full.substr(0, k));
    expect_format_error([&] { read_mala<float>(p); }, {p, "SAMPLES", "at byte"});
  }
  // LAST TRACE claims more traces than the file holds
  const std::string p = write(rad_text(50) + "LAST TRACE:5\n", full);
  expect_format_error([&] { read_mala<float>(p); }, {p, "LAST TRACE", "at byte 300"});
}

TEST_F(MalaTmp, AbsurdHeaderValuesThrow) {
  const std::string data = data_bytes(2, 6);
  for (const std::string v : {"0", "-6", "1e12", "nan", "six", "", "6.5", "inf"}) {
    std::string rad = rad_text(6);
    rad.replace(0, 9, "SAMPLES:" + v);
    const std::string p = write(rad, data);
    expect_format_error([&] { read_mala<float>(p); }, {"L.rad", "SAMPLES"});
  }
  // a SAMPLES that does not divide the file
  expect_format_error([&] { read_mala<float>(write(rad_text(5), data)); }, {"SAMPLES = 5", "at byte 20"});
  for (const std::string v : {"0", "-2000", "nan", "fast", "1e-320"}) {
    std::string rad = rad_text(6);
    rad.replace(rad.find("2000.0"), 6, v);
    const std::string p = write(rad, data);
    expect_format_error([&] { read_mala<float>(p); }, {"L.rad", "FREQUENCY"});
  }
  for (const auto& [key, v] : std::vector<std::pair<std::string, std::string>>{
           {"SIGNAL POSITION", "here"}, {"LAST TRACE", "-1"}, {"LAST TRACE", "many"}, {"DISTANCE INTERVAL", "?"}}) {
    const std::string p = write(rad_text(6) + key + ":" + v + "\n", data);
    // repeated keys: the first wins, so put the bad one first
    write(key + ":" + v + "\n" + rad_text(6), data);
    expect_format_error([&] { read_mala<float>(p); }, {"L.rad", key});
  }
}

TEST_F(MalaTmp, NonUtf8HeaderThrows) {
  for (const std::string& junk : {std::string("\xff\xfe"), std::string("Op\xe9rateur"), std::string("\xed\xa0\x80"),
                                  std::string("a\0b", 3)}) {
    const std::string p = write(rad_text(6, "\n") + "OPERATOR:" + junk + "\n", data_bytes(2, 6));
    expect_format_error([&] { read_mala<float>(p); }, {"L.rad", "line 8", "UTF-8"});
  }
}

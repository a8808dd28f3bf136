// Sensors & Software DT1 + HD reader: the real pulseEKKO file against an independent decode,
// header variants, and malformed input (each a FormatError naming the file and the field).
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
using sapper::io::read_dt1;
using sapper::io::read_gpr;

namespace {

const std::string kDir = SAPPER_SOURCE_DIR "/../shared/data/gpr/sensors-software/";

std::vector<char> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out.write(s.data(), std::streamsize(s.size()));
}
template <class U>
U at(const std::vector<char>& b, std::size_t off) {
  U v;
  std::memcpy(&v, b.data() + off, sizeof(U));
  return v;
}
/// The value after '=' on the HD line that starts with key (parsed by hand, independently).
double hd_value(const std::string& hd, const std::string& key) {
  const auto k = hd.find(key);
  EXPECT_NE(k, std::string::npos) << key;
  return std::stod(hd.substr(hd.find('=', k) + 1));
}

using sapper::test::expect_format_error;

class Dt1Tmp : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sapper_dt1_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// A small DT1: trace j at position 0.5 j (file units), sample i = 100 j + i - 7.
  static std::string dt1_bytes(int traces, int pts, int bpp = 2) {
    std::string out;
    for (int j = 0; j < traces; ++j) {
      float h[32] = {};
      h[0] = float(j + 1);
      h[1] = 0.5f * float(j);
      h[2] = float(pts);
      h[5] = float(bpp);
      h[6] = 100;
      h[7] = 4;
      out.append(reinterpret_cast<const char*>(h), 128);
      for (int i = 0; i < pts; ++i) {
        if (bpp == 2) {
          const auto v = std::int16_t(100 * j + i - 7);
          out.append(reinterpret_cast<const char*>(&v), 2);
        } else {
          const auto v = std::int32_t(100000 * j + i - 7);
          out.append(reinterpret_cast<const char*>(&v), 4);
        }
      }
    }
    return out;
  }
  static std::string hd_text(int traces, int pts, const std::string& units = "m", const std::string& eol = "\n") {
    return "1234" + eol + "Data Collected with test" + eol + "2024-01-02" + eol + "NUMBER OF TRACES   = " +
           std::to_string(traces) + eol + "NUMBER OF PTS/TRC  = " + std::to_string(pts) + eol +
           "TIMEZERO AT POINT  = 3" + eol + "TOTAL TIME WINDOW  = 100" + eol + "POSITION UNITS     = " + units + eol +
           "NOMINAL FREQUENCY  = 250" + eol;
  }
  std::string write(const std::string& hd, const std::string& dt1, const std::string& stem = "L") {
    spit(dir_ / (stem + ".HD"), hd);
    spit(dir_ / (stem + ".DT1"), dt1);
    return (dir_ / (stem + ".DT1")).string();
  }
  fs::path dir_;
};

}  // namespace

TEST(Dt1Real, MatchesIndependentDecode) {
  const std::string dt1 = kDir + "XLINE00.DT1";
  if (!fs::exists(dt1) || !fs::exists(kDir + "XLINE00.HD")) GTEST_SKIP() << "shared data missing";
  const auto raw = slurp(dt1);
  const auto hdv = slurp(kDir + "XLINE00.HD");
  const std::string hd(hdv.begin(), hdv.end());
  const int n = int(hd_value(hd, "NUMBER OF TRACES"));
  const int pts = int(hd_value(hd, "NUMBER OF PTS/TRC"));
  ASSERT_EQ(n, 531);
  ASSERT_EQ(pts, 1500);
  const std::size_t rec = 128 + 2 * std::size_t(pts);
  ASSERT_EQ(raw.size(), std::size_t(n) * rec);

  const auto f = read_dt1<double>(dt1);
  EXPECT_EQ(f.format, "dt1");
  ASSERT_EQ(f.channels.size(), 1u);
  const auto& c = f.channels[0];
  ASSERT_EQ(c.data.rows(), pts);
  ASSERT_EQ(c.data.cols(), n);
  EXPECT_DOUBLE_EQ(c.format.dt_ns, hd_value(hd, "TOTAL TIME WINDOW") / pts);  // 0.8 ns
  EXPECT_DOUBLE_EQ(c.format.dt_ns, 0.8);
  EXPECT_DOUBLE_EQ(c.format.time_zero_ns, (hd_value(hd, "TIMEZERO AT POINT") - 1) * 0.8);
  EXPECT_DOUBLE_EQ(c.axes.antenna_mhz, 50.0);
  ASSERT_EQ(c.axes.position_m.size(), std::size_t(n));
  for (int j : {0, 1, n - 1})
    EXPECT_DOUBLE_EQ(c.axes.position_m[j], double(at<float>(raw, j * rec + 4)) * 0.3048);  // ft -> m
  EXPECT_DOUBLE_EQ(c.axes.position_m[n - 1], 1060 * 0.3048);
  EXPECT_EQ(c.axes.xyz.rows(), 0);
  for (int j : {0, n - 1})
    for (int i : {0, 1, pts - 1}) EXPECT_EQ(c.data(i, j), at<std::int16_t>(raw, j * rec + 128 + 2 * i)) << i << "," << j;
  EXPECT_EQ(c.data(0, 0), -279);
  EXPECT_EQ(c.data(pts - 1, n - 1), -135);
  // every sample
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < pts; ++i) ASSERT_EQ(c.data(i, j), at<std::int16_t>(raw, j * rec + 128 + 2 * i));
  EXPECT_EQ(f.header.at("NUMBER OF TRACES"), "531");
  EXPECT_EQ(f.header.at("POSITION UNITS"), "ft");
  EXPECT_EQ(f.header.at("line 1"), "1234");
  EXPECT_EQ(f.header.at("Control Mod Serial#"), "0022-7132-0014");  // unknown keys kept
  // the dispatcher picks this reader; float gives the same values
  const auto g = read_gpr<float>(dt1);
  EXPECT_EQ(g.format, "dt1");
  EXPECT_EQ(g.channels[0].data(5, 7), float(c.data(5, 7)));
}

TEST_F(Dt1Tmp, HeaderVariants) {
  struct V {
    std::string hd;
    double unit;
  };
  const std::string base = hd_text(3, 5);
  std::vector<V> variants = {
      {base, 1.0},
      {hd_text(3, 5, "metres", "\r\n"), 1.0},
      {hd_text(3, 5, "ft", "\r\r\n"), 0.3048},
      {hd_text(3, 5, "Feet", "\r"), 0.3048},
      {hd_text(3, 5, "metre"), 1.0},
      {hd_text(3, 5, "cm"), 0.01},
      // reordered, odd spacing and case, unknown keys, no title lines
      {"total time window=100\nSOME NEW KEY = x = y\nPOSITION   UNITS = m\nnumber of pts/trc=5\n  NUMBER OF TRACES =3  \n"
       "NOMINAL FREQUENCY = 250 MHz\nTIMEZERO AT POINT = 3\n",
       1.0},
  };
  for (const auto& v : variants) {
    const auto f = read_dt1<float>(write(v.hd, dt1_bytes(3, 5)));
    const auto& c = f.channels[0];
    ASSERT_EQ(c.data.rows(), 5) << v.hd;
    ASSERT_EQ(c.data.cols(), 3);
    EXPECT_DOUBLE_EQ(c.format.dt_ns, 20.0);
    EXPECT_DOUBLE_EQ(c.format.time_zero_ns, 40.0);
    EXPECT_DOUBLE_EQ(c.axes.antenna_mhz, 250.0);
    EXPECT_DOUBLE_EQ(c.axes.position_m[2], 1.0 * v.unit) << v.hd;
    EXPECT_EQ(c.data(4, 2), 200 + 4 - 7);
  }
  const auto f = read_dt1<float>(write(variants.back().hd, dt1_bytes(3, 5)));
  EXPECT_EQ(f.header.at("SOME NEW KEY"), "x = y");
  EXPECT_EQ(f.header.at("POSITION UNITS"), "m");
  // 32-bit samples, lower-case .hd, trailing bytes beyond the HD's traces are reported
  spit(dir_ / "W.hd", hd_text(2, 4));
  spit(dir_ / "W.DT1", dt1_bytes(2, 4, 4) + std::string(10, '\0'));
  const auto w = read_dt1<double>((dir_ / "W.DT1").string());
  EXPECT_EQ(w.channels[0].data(3, 1), 100000 + 3 - 7);
  EXPECT_EQ(w.header.at("sapper: unread trailing bytes"), "10");
}

TEST_F(Dt1Tmp, MissingAndEmptyFiles) {
  spit(dir_ / "A.DT1", dt1_bytes(2, 4));
  const std::string a = (dir_ / "A.DT1").string();
  expect_format_error([&] { read_dt1<float>(a); }, {a, "HD"});
  expect_format_error([&] { read_dt1<float>((dir_ / "none.DT1").string()); }, {"none.DT1"});
  const std::string e = write(hd_text(2, 4), "");
  expect_format_error([&] { read_dt1<float>(e); }, {e, "trace 0", "at byte 0"});
  const std::string h = write("", dt1_bytes(2, 4));
  expect_format_error([&] { read_dt1<float>(h); }, {"L.HD", "NUMBER OF TRACES"});
}

TEST_F(Dt1Tmp, TruncatedDataThrows) {
  const std::string full = dt1_bytes(3, 50);
  const std::string hd = hd_text(3, 50);
  std::vector<std::size_t> cuts;
  for (std::size_t k = 0; k <= 128; k += 3) cuts.push_back(k);
  for (std::size_t k = 129; k < full.size(); k += 37) cuts.push_back(k);
  cuts.push_back(full.size() - 1);
  for (const auto k : cuts) {
    const std::string p = write(hd, full.substr(0, k));
    expect_format_error([&] { read_dt1<float>(p); }, {p, "at byte"});
  }
}

TEST_F(Dt1Tmp, HeaderClaimsMoreThanTheFileHolds) {
  const std::string p = write(hd_text(4, 50), dt1_bytes(3, 50));
  expect_format_error([&] { read_dt1<float>(p); }, {p, "NUMBER OF TRACES", "at byte 684"});
  // more points per trace than the trace headers say
  const std::string q = write(hd_text(2, 60), dt1_bytes(3, 50));
  expect_format_error([&] { read_dt1<float>(q); }, {q, "number of points", "at byte 8"});
}

TEST_F(Dt1Tmp, AbsurdHeaderValuesThrow) {
  const std::string data = dt1_bytes(2, 4);
  const std::vector<std::string> bad = {"0", "-4", "1e12", "nan", "abc", "", "4.5", "inf"};
  for (const auto& v : bad) {
    std::string hd = hd_text(2, 4);
    hd.replace(hd.find("= 4\n"), 3, "= " + v);
    const std::string p = write(hd, data);
    expect_format_error([&] { read_dt1<float>(p); }, {"L.HD", "NUMBER OF PTS/TRC"});
    hd = hd_text(2, 4);
    hd.replace(hd.find("TRACES   = 2"), 12, "TRACES   = " + v);
    write(hd, data);
    expect_format_error([&] { read_dt1<float>(p); }, {"L.HD", "NUMBER OF TRACES"});
  }
  for (const auto& v : {"0", "-100", "nan", "x"}) {
    std::string hd = hd_text(2, 4);
    hd.replace(hd.find("WINDOW  = 100"), 13, std::string("WINDOW  = ") + v);
    const std::string p = write(hd, data);
    expect_format_error([&] { read_dt1<float>(p); }, {"L.HD", "TOTAL TIME WINDOW"});
  }
  {
    const std::string p = write(hd_text(2, 4, "furlongs"), data);
    expect_format_error([&] { read_dt1<float>(p); }, {"L.HD", "POSITION UNITS"});
  }
  for (const auto& v : {"1e308", "zero", "nan"}) {
    std::string hd = hd_text(2, 4);
    hd.replace(hd.find("= 3\n"), 3, std::string("= ") + v);
    const std::string p = write(hd, data);
    expect_format_error([&] { read_dt1<float>(p); }, {"L.HD", "TIMEZERO AT POINT"});
  }
  // an unreadable antenna frequency is unknown, not an error
  {
    std::string hd = hd_text(2, 4);
    hd.replace(hd.find("= 250"), 5, "= ??");
    const auto f = read_dt1<float>(write(hd, data));
    EXPECT_TRUE(std::isnan(f.channels[0].axes.antenna_mhz));
  }
  // bytes/point other than 2 or 4
  {
    std::string d = data;
    const float three = 3;
    std::memcpy(d.data() + 20, &three, 4);
    const std::string p = write(hd_text(2, 4), d);
    expect_format_error([&] { read_dt1<float>(p); }, {p, "bytes/point", "at byte 20"});
    d = data;
    std::memcpy(d.data() + 136 + 20, &three, 4);
    write(hd_text(2, 4), d);
    expect_format_error([&] { read_dt1<float>(p); }, {p, "trace 1 bytes/point", "at byte 156"});
  }
}

TEST_F(Dt1Tmp, NonUtf8HeaderThrows) {
  for (const std::string& junk : {std::string("\xff\xfe"), std::string("Op\xe9rateur"), std::string("\xc0\xaf"),
                                  std::string("a\0b", 3)}) {
    std::string hd = hd_text(2, 4);
    hd.insert(hd.find("NOMINAL"), "OPERATOR = " + junk + "\n");
    const std::string p = write(hd, dt1_bytes(2, 4));
    expect_format_error([&] { read_dt1<float>(p); }, {"L.HD", "line 9", "UTF-8"});
  }
  // a binary file where the header should be
  const std::string p = write(dt1_bytes(2, 4), dt1_bytes(2, 4));
  expect_format_error([&] { read_dt1<float>(p); }, {"L.HD"});
}

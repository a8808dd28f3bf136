// GSSI DZT reader/writer: the real GPRPy example file against an independent decode, round trips,
// and malformed input (every error a FormatError naming the file, the field and the byte offset).
#include <gtest/gtest.h>

#include "io_test.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>

#include <unistd.h>

#include "sapper/io/gpr_file.hpp"

using namespace sapper;
using namespace sapper::io;
namespace fs = std::filesystem;

namespace {

#ifdef SAPPER_SOURCE_DIR
const std::string kRoot = SAPPER_SOURCE_DIR;
#else
const std::string kRoot = ".";
#endif
const std::string kReal = kRoot + "/../shared/data/gpr/gssi/FILE____032.DZT";

std::vector<std::uint8_t> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void dump(const std::string& p, const std::vector<std::uint8_t>& b, std::size_t n) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(n));
}
template <class U>
U at(const std::vector<std::uint8_t>& b, std::size_t off) {
  U v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}
template <class U>
void set(std::vector<std::uint8_t>& b, std::size_t off, U v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

std::string tmp(const std::string& name) { return sapper::test::temp_path("dzt", name); }

/// read_dzt must throw FormatError naming the file, `field` and "byte".
void expect_format_error(const std::string& path, const std::string& field) {
  std::vector<std::string> pieces{path, "byte"};
  if (!field.empty()) pieces.push_back(field);
  sapper::test::expect_format_error([&] { (void)read_dzt<float>(path); }, pieces);
}

std::vector<std::uint8_t> real_or_skip() {
  if (!fs::exists(kReal)) return {};
  return slurp(kReal);
}

}  // namespace

TEST(DztReal, MatchesIndependentDecode) {
  const auto b = real_or_skip();
  if (b.empty()) GTEST_SKIP() << kReal << " missing";
  // Header fields at the documented offsets.
  const auto rh_data = at<std::uint16_t>(b, 2), nsamp = at<std::uint16_t>(b, 4), bits = at<std::uint16_t>(b, 6),
             nchan = at<std::uint16_t>(b, 52);
  const float spm = at<float>(b, 14), range = at<float>(b, 26);
  char ant[15] = {};
  std::memcpy(ant, b.data() + 98, 14);
  ASSERT_EQ(bits, 16);
  ASSERT_EQ(nchan, 1);
  ASSERT_GE(rh_data, 1024);  // so the data start at 1024 x channels
  const std::size_t start = 1024, tb = std::size_t(nsamp) * 2, m = (b.size() - start) / tb;
  ASSERT_EQ((b.size() - start) % tb, 0u);
  // Facts about this file, checked once by hand: 512 x 1040, 48 ns, 50 traces/m, "400MHz".
  EXPECT_EQ(nsamp, 512);
  EXPECT_EQ(m, 1040u);
  EXPECT_EQ(range, 48.0f);
  EXPECT_EQ(spm, 50.0f);
  EXPECT_STREQ(ant, "400MHz");

  const auto f = read_dzt<double>(kReal);
  EXPECT_EQ(f.format, "dzt");
  EXPECT_EQ(f.path, kReal);
  ASSERT_EQ(f.channels.size(), 1u);
  const auto& c = f.channels[0];
  ASSERT_EQ(c.data.rows(), nsamp);
  ASSERT_EQ(c.data.cols(), Index(m));
  EXPECT_EQ(c.format.n_samples, nsamp);
  EXPECT_DOUBLE_EQ(c.format.dt_ns, double(range) / nsamp);
  EXPECT_EQ(c.format.time_zero_ns, at<std::int16_t>(b, 8) * c.format.dt_ns);
  EXPECT_EQ(c.axes.antenna_mhz, 400.0);
  ASSERT_EQ(c.axes.position_m.size(), m);
  EXPECT_DOUBLE_EQ(c.axes.position_m[1], 1.0 / 50);
  EXPECT_DOUBLE_EQ(c.axes.position_m[m - 1], double(m - 1) / 50);
  EXPECT_EQ(c.axes.xyz.rows(), 0);
  c.validate();

  // First/last samples of the first/last traces, by hand from the bytes.
  auto raw = [&](std::size_t k, std::size_t i) { return double(at<std::uint16_t>(b, start + k * tb + 2 * i)) - 32768; };
  EXPECT_EQ(c.data(0, 0), raw(0, 0));
  EXPECT_EQ(c.data(0, 0), -32768.0);  // sample 0 of trace 0 holds the scan number 0
  EXPECT_EQ(c.data(nsamp - 1, 0), raw(0, nsamp - 1));
  EXPECT_EQ(c.data(0, Index(m - 1)), raw(m - 1, 0));
  EXPECT_EQ(c.data(0, Index(m - 1)), double(m - 1) - 32768);
  EXPECT_EQ(c.data(nsamp - 1, Index(m - 1)), raw(m - 1, nsamp - 1));
  for (std::size_t k = 0; k < m; ++k)
    for (std::size_t i = 0; i < nsamp; ++i) ASSERT_EQ(c.data(Index(i), Index(k)), raw(k, i)) << i << ", " << k;

  // Marks: traces whose raw second sample is nonzero (here every 100th trace, 0 to 1000).
  std::vector<Index> marks;
  for (std::size_t k = 0; k < m; ++k)
    if (at<std::uint16_t>(b, start + k * tb + 2) != 0) marks.push_back(Index(k));
  EXPECT_EQ(f.marks, marks);
  EXPECT_EQ(marks.size(), 11u);

  EXPECT_EQ(f.header.at("rh_tag"), "0x0700");
  EXPECT_EQ(f.header.at("rh_nsamp"), "512");
  EXPECT_EQ(f.header.at("rh_bits"), "16");
  EXPECT_EQ(f.header.at("rh_nchan"), "1");
  EXPECT_EQ(f.header.at("rhf_range"), "48");
  EXPECT_EQ(f.header.at("rhf_spm"), "50");
  EXPECT_EQ(f.header.at("rh_antname"), "400MHz");
  EXPECT_EQ(f.header.at("rh_name"), "FILE____032");
  EXPECT_EQ(f.header.at("data_offset"), "1024");

  // float gives the same values (16-bit samples are exact in float).
  const auto g = read_dzt<float>(kReal);
  EXPECT_TRUE(g.channels[0].data.cast<double>() == c.data);
  // read_gpr dispatches on the extension.
  EXPECT_TRUE(read_gpr<double>(kReal).channels[0].data == c.data);
}

TEST(DztReal, RewriteReadsBackIdentical) {
  if (!fs::exists(kReal)) GTEST_SKIP() << kReal << " missing";
  const auto f = read_dzt<double>(kReal);
  const auto p = tmp("rewrite.dzt");
  write_dzt(p, f, 16);
  const auto g = read_dzt<double>(p);
  EXPECT_TRUE(g.channels[0].data == f.channels[0].data);
  EXPECT_EQ(g.channels[0].format.dt_ns, f.channels[0].format.dt_ns);
  EXPECT_EQ(g.channels[0].axes.position_m, f.channels[0].axes.position_m);
  EXPECT_EQ(g.channels[0].axes.antenna_mhz, 400.0);
  EXPECT_EQ(g.marks, f.marks);
}

namespace {

GprFile<double> synthetic(int nchan, int bits, Index n, Index m) {
  GprFile<double> f;
  f.format = "dzt";
  for (int c = 0; c < nchan; ++c) {
    BScan<double> b;
    b.data.resize(n, m);
    const double amp = bits == 16 ? 32767 : 2.0e9;
    for (Index k = 0; k < m; ++k)
      for (Index i = 0; i < n; ++i)
        b.data(i, k) = std::round(amp * std::sin(0.37 * double(i) + 1.3 * double(k) + double(c)));
    b.data(0, 0) = bits == 16 ? -32768 : -2147483648.0;
    b.data(n - 1, m - 1) = bits == 16 ? 32767 : 2147483647.0;
    b.format = {n, 0.125 * (c + 1), 0.125 * (c + 1) * (3 + c)};
    b.axes.antenna_mhz = c == 0 ? 400.0 : 1600.0;
    for (Index k = 0; k < m; ++k) b.axes.position_m.push_back(0.25 * double(k));
    f.channels.push_back(b);
  }
  return f;
}

void round_trip(int nchan, int bits) {
  const auto f = synthetic(nchan, bits, 64, 37);
  const auto p = tmp("rt_" + std::to_string(nchan) + "_" + std::to_string(bits) + ".dzt");
  write_dzt(p, f, bits);
  EXPECT_EQ(fs::file_size(p), 1024u * nchan + std::size_t(nchan) * 64 * 37 * (bits / 8));
  const auto g = read_dzt<double>(p);
  ASSERT_EQ(g.channels.size(), std::size_t(nchan));
  for (int c = 0; c < nchan; ++c) {
    const auto &a = f.channels[c], &r = g.channels[c];
    EXPECT_TRUE(r.data == a.data) << "channel " << c;
    EXPECT_EQ(r.format.n_samples, a.format.n_samples);
    EXPECT_EQ(r.format.dt_ns, a.format.dt_ns);
    EXPECT_EQ(r.format.time_zero_ns, a.format.time_zero_ns);
    EXPECT_EQ(r.axes.position_m, a.axes.position_m);
    EXPECT_EQ(r.axes.antenna_mhz, a.axes.antenna_mhz);
    EXPECT_EQ(r.axes.xyz.rows(), 0);
  }
  // Marks come from the raw second sample of channel 0.
  std::vector<Index> marks;
  const double off = bits == 16 ? -32768 : 0;
  for (Index k = 0; k < 37; ++k)
    if (f.channels[0].data(1, k) != off) marks.push_back(k);
  EXPECT_EQ(g.marks, marks);
  EXPECT_EQ(g.header.at("rh_nchan"), std::to_string(nchan));
  EXPECT_EQ(g.header.at("rh_bits"), std::to_string(bits));
}

}  // namespace

TEST(DztRoundTrip, OneChannel16) { round_trip(1, 16); }
TEST(DztRoundTrip, OneChannel32) { round_trip(1, 32); }
TEST(DztRoundTrip, TwoChannels16) { round_trip(2, 16); }
TEST(DztRoundTrip, TwoChannels32) { round_trip(2, 32); }

TEST(DztRoundTrip, FloatAndNoOptionalAxes) {
  GprFile<float> f;
  BScan<float> b;
  b.data = Matrix<float>::Constant(8, 3, 5.0f);
  b.data(1, 1) = -32768;  // raw 0: no mark on trace 1
  b.format = {8, 0.1, 0};
  f.channels.push_back(b);
  const auto p = tmp("plain.dzt");
  write_dzt(p, f);
  const auto g = read_dzt<float>(p);
  EXPECT_TRUE(g.channels[0].data == b.data);
  EXPECT_NEAR(g.channels[0].format.dt_ns, 0.1, 1e-7);  // dt goes through the float32 rhf_range
  EXPECT_TRUE(g.channels[0].axes.position_m.empty());
  EXPECT_TRUE(std::isnan(g.channels[0].axes.antenna_mhz));
  EXPECT_EQ(g.marks, (std::vector<Index>{0, 2}));
}

TEST(DztWrite, RejectsWhatTheFormatCannotHold) {
  auto f = synthetic(1, 16, 16, 4);
  const auto p = tmp("reject.dzt");
  EXPECT_THROW(write_dzt(p, f, 8), ValueError);
  auto g = f;
  g.channels[0].data(3, 2) = 32768;  // over the 16-bit range
  EXPECT_THROW(write_dzt(p, g, 16), ValueError);
  EXPECT_NO_THROW(write_dzt(p, g, 32));
  g.channels[0].data(3, 2) = 0.5;  // not an integer
  EXPECT_THROW(write_dzt(p, g, 32), ValueError);
  g = f;
  g.channels[0].axes.position_m[2] += 0.1;  // not uniform
  EXPECT_THROW(write_dzt(p, g, 16), ValueError);
  g = f;
  g.channels[0].format.time_zero_ns = 0.3;  // not a whole number of samples (dt 0.125)
  EXPECT_THROW(write_dzt(p, g, 16), ValueError);
  g = f;
  g.channels.push_back(synthetic(1, 16, 8, 4).channels[0]);  // channels of different sizes
  EXPECT_THROW(write_dzt(p, g, 16), ValueError);
}

TEST(DztAntenna, TableNamesAndUnknownNames) {
  auto f = synthetic(1, 16, 8, 2);
  const auto p = tmp("ant.dzt");
  write_dzt(p, f, 16);
  auto b = slurp(p);
  const std::vector<std::pair<std::string, double>> cases = {
      {"5103", 400}, {"3101", 900}, {"51600S", 1600}, {"62000-003", 2000}, {"1.6GHz", 1600},
      {"D50800", NAN}, {"3200", NAN}, {"xyz", NAN}, {"", NAN}, {"MHz", NAN}, {"270 MHz", 270}};
  for (const auto& [name, mhz] : cases) {
    std::fill(b.begin() + 98, b.begin() + 112, 0);
    std::memcpy(b.data() + 98, name.data(), name.size());
    dump(p, b, b.size());
    const auto g = read_dzt<float>(p);
    if (std::isnan(mhz))
      EXPECT_TRUE(std::isnan(g.channels[0].axes.antenna_mhz)) << name;
    else
      EXPECT_EQ(g.channels[0].axes.antenna_mhz, mhz) << name;
    EXPECT_EQ(g.header.at("rh_antname"), name);
  }
}

TEST(DztBad, EmptyAndTruncated) {
  auto b = real_or_skip();
  if (b.empty()) {  // no real file: use a synthetic one
    const auto p = tmp("src.dzt");
    write_dzt(p, synthetic(1, 16, 512, 4), 16);
    b = slurp(p);
  }
  const auto p = tmp("trunc.dzt");
  for (std::size_t n = 0; n <= 1100; n += (n < 140 ? 1 : 7)) {
    dump(p, b, n);
    expect_format_error(p, "");
  }
  for (std::size_t n : {std::size_t(1024), std::size_t(1025), std::size_t(1024 + 1023), std::size_t(1024 + 1025),
                        b.size() / 2 + 1, b.size() - 513, b.size() - 1}) {
    dump(p, b, n);
    expect_format_error(p, n == 1024 ? "no traces" : "data");
  }
  EXPECT_THROW((void)read_dzt<float>(tmp("does_not_exist.dzt")), FormatError);  // cannot open (no byte offset)
}

TEST(DztBad, MalformedHeaders) {
  const auto src = tmp("good.dzt");
  write_dzt(src, synthetic(1, 16, 16, 8), 16);
  const auto good = slurp(src);
  const auto p = tmp("bad.dzt");
  struct Case {
    const char* field;
    std::size_t off;
    std::uint16_t v;
    std::size_t size;  // 0: whole file
  };
  const std::vector<Case> cases = {
      {"rh_tag", 0, 0x1234, 0},     {"rh_tag", 0, 0x4b50, 0},        // wrong tag ("PK")
      {"data", 4, 17, 0},           {"data", 4, 512, 0},             // more samples than the file holds
      {"rh_nsamp", 4, 0, 0},        {"rh_nsamp", 4, 1, 0},
      {"data", 4, 65535, 0},        {"rh_bits", 6, 12, 0},           // 65535 x 16 bit: not whole scans
      {"rh_bits", 6, 0, 0},         {"rh_nchan", 52, 0, 0},
      {"rh_nchan", 52, 255, 0},     {"rh_nchan", 52, 65535, 0},
      {"rh_data", 2, 0, 0},         {"rh_data", 2, 1023, 0},         // header of 1 MB in a small file
      {"rh_data", 2, 5, 0},
  };
  for (const auto& c : cases) {
    auto b = good;
    set<std::uint16_t>(b, c.off, c.v);
    dump(p, b, c.size ? c.size : b.size());
    SCOPED_TRACE(std::string(c.field) + " = " + std::to_string(c.v));
    expect_format_error(p, c.field);
  }
  {  // 65535 samples x 32 bit with a tiny file
    auto b = good;
    set<std::uint16_t>(b, 4, 65535);
    set<std::uint16_t>(b, 6, 32);
    dump(p, b, 1024 + 100);
    expect_format_error(p, "data");
  }
  {  // two channels claimed, the second channel's header is data: its tag is wrong or data not whole
    auto b = good;
    set<std::uint16_t>(b, 52, 2);
    dump(p, b, b.size());
    expect_format_error(p, "");
  }
  {  // every size field at its maximum at once
    auto b = good;
    set<std::uint16_t>(b, 2, 1023);
    set<std::uint16_t>(b, 4, 65535);
    set<std::uint16_t>(b, 6, 32);
    set<std::uint16_t>(b, 52, 8);
    dump(p, b, b.size());
    expect_format_error(p, "");
  }
  for (float r : {0.0f, -1.0f, NAN, INFINITY}) {
    auto b = good;
    set<float>(b, 26, r);
    dump(p, b, b.size());
    expect_format_error(p, "rhf_range");
  }
  for (const char* bad : {"\xff\xfe", "ab\xc3", "\xc0\x80", "\xed\xa0\x80"}) {  // not UTF-8
    auto b = good;
    std::fill(b.begin() + 98, b.begin() + 112, 0);
    std::memcpy(b.data() + 98, bad, std::strlen(bad));
    dump(p, b, b.size());
    expect_format_error(p, "rh_antname");
    try {
      (void)read_dzt<float>(p);
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("byte 98"), std::string::npos) << e.what();
    }
  }
  {  // a UTF-8 name is fine
    auto b = good;
    std::fill(b.begin() + 98, b.begin() + 112, 0);
    std::memcpy(b.data() + 98, "G\xc3\xa9o 400MHz", 12);
    dump(p, b, b.size());
    EXPECT_EQ(read_dzt<float>(p).channels[0].axes.antenna_mhz, 400.0);
  }
}

TEST(DztBad, SecondChannelHeaderChecked) {
  const auto src = tmp("two.dzt");
  write_dzt(src, synthetic(2, 16, 16, 4), 16);
  const auto good = slurp(src);
  const auto p = tmp("two_bad.dzt");
  auto b = good;
  set<std::uint16_t>(b, 1024 + 4, 8);
  dump(p, b, b.size());
  expect_format_error(p, "rh_nsamp");
  b = good;
  set<std::uint16_t>(b, 1024 + 0, 0x1234);
  dump(p, b, b.size());
  expect_format_error(p, "byte 1024");
}

TEST(DztDispatch, WithoutAnExtensionTheTagDecides) {
  if (!fs::exists(kReal)) GTEST_SKIP() << kReal << " missing";
  const auto copy = fs::temp_directory_path() / "sapper_dzt_no_extension";
  fs::copy_file(kReal, copy, fs::copy_options::overwrite_existing);
  const auto f = sapper::io::read_gpr<float>(copy.string());
  EXPECT_EQ(f.format, "dzt");
  EXPECT_EQ(f.channels.at(0).data.cols(), 1040);
  std::ofstream(copy, std::ios::binary | std::ios::trunc) << std::string(2048, 'x');
  EXPECT_THROW(sapper::io::read_gpr<float>(copy.string()), sapper::FormatError);
  fs::remove(copy);
}

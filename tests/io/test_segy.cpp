// SEG-Y reader/writer: IBM float conversion against hand-computed values, round trips for formats
// 1, 2, 3, 5 in both byte orders, a file laid out by hand (independent of the writer) with an
// EBCDIC textual header and coordinate scalars, and malformed input (every error a FormatError
// naming the file, the field and the byte offset).
#include <gtest/gtest.h>

#include "io_test.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>

#include <unistd.h>

#include "sapper/io.hpp"

using namespace sapper;
using namespace sapper::io;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void dump(const std::string& p, const std::vector<std::uint8_t>& b, std::size_t n) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(n));
}
void dump(const std::string& p, const std::vector<std::uint8_t>& b) { dump(p, b, b.size()); }

/// Stores v at off in the given byte order (memcpy, then a byte swap when needed).
template <class U>
void set(std::vector<std::uint8_t>& b, std::size_t off, U v, bool big = true) {
  unsigned char r[sizeof(U)];
  std::memcpy(r, &v, sizeof v);
  const bool native_big = std::endian::native == std::endian::big;
  if (big != native_big)
    for (std::size_t i = 0; i < sizeof(U) / 2; ++i) std::swap(r[i], r[sizeof(U) - 1 - i]);
  std::memcpy(b.data() + off, r, sizeof v);
}

std::string tmp(const std::string& name) { return sapper::test::temp_path("segy", name); }

void expect_format_error(const std::string& path, const std::string& field) {
  std::vector<std::string> pieces{path, "byte"};
  if (!field.empty()) pieces.push_back(field);
  sapper::test::expect_format_error([&] { (void)read_gpr<float>(path); }, pieces);
}

GprFile<double> make(Index n, Index m, double dt_ns, bool coords, double scale = 1.0) {
  GprFile<double> f;
  BScan<double> b;
  b.data.resize(n, m);
  for (Index k = 0; k < m; ++k)
    for (Index i = 0; i < n; ++i) b.data(i, k) = std::round((double(i * 37 + k * 11 % 97) - 300.0) * scale);
  b.format = {n, dt_ns, 0.0};
  if (coords) {
    b.axes.xyz.resize(m, 3);
    for (Index k = 0; k < m; ++k) {
      b.axes.xyz(k, 0) = 500123.456 + 0.05 * double(k);
      b.axes.xyz(k, 1) = 6300111.111 - 0.03 * double(k);
      b.axes.xyz(k, 2) = -12.345 + 0.01 * double(k);
    }
  }
  f.channels.push_back(std::move(b));
  return f;
}

// Hand layout: 3600-byte headers, then per trace a 240-byte header and the samples.
constexpr std::size_t kHead = 3600, kTH = 240;

}  // namespace

TEST(SegyIbm, HandComputedValues) {
  EXPECT_EQ(ibm_to_double(0xC276A000u), -118.625);
  EXPECT_EQ(ibm_to_double(0x41100000u), 1.0);
  EXPECT_EQ(ibm_to_double(0x42640000u), 100.0);
  EXPECT_EQ(ibm_to_double(0x00000000u), 0.0);
  EXPECT_EQ(ibm_to_double(0x80000000u), 0.0);
  EXPECT_EQ(ibm_to_double(0x40800000u), 0.5);
  EXPECT_EQ(ibm_to_double(0xC1100000u), -1.0);
  // the smallest normal magnitude 16^-65 and a denormal fraction at exponent 0: 1 x 16^-64 x 2^-24
  EXPECT_EQ(ibm_to_double(0x00100000u), std::ldexp(1.0, -260));
  EXPECT_EQ(ibm_to_double(0x00000001u), std::ldexp(1.0, -280));
  EXPECT_EQ(ibm_to_double(0x7FFFFFFFu), std::ldexp(16777215.0, 4 * 63 - 24));

  EXPECT_EQ(double_to_ibm(-118.625), 0xC276A000u);
  EXPECT_EQ(double_to_ibm(1.0), 0x41100000u);
  EXPECT_EQ(double_to_ibm(100.0), 0x42640000u);
  EXPECT_EQ(double_to_ibm(0.0), 0x00000000u);
  EXPECT_EQ(double_to_ibm(-0.0), 0x80000000u);
  EXPECT_EQ(double_to_ibm(0.5), 0x40800000u);
  EXPECT_EQ(double_to_ibm(std::ldexp(1.0, -260)), 0x00100000u);
  EXPECT_EQ(double_to_ibm(std::ldexp(1.0, -280)), 0x00000001u);
  EXPECT_EQ(double_to_ibm(std::ldexp(1.0, -300)), 0x00000000u);  // underflows to 0
  EXPECT_EQ(double_to_ibm(std::ldexp(16777215.0, 4 * 63 - 24)), 0x7FFFFFFFu);
  // 0.1 = 0x40 1999999A (rounded up), and a carry into the next hex digit: 1 - 2^-30 -> 1.0
  EXPECT_EQ(double_to_ibm(0.1), 0x4019999Au);
  EXPECT_EQ(double_to_ibm(1.0 - std::ldexp(1.0, -30)), 0x41100000u);
  EXPECT_THROW(double_to_ibm(1e76), ValueError);
  EXPECT_THROW(double_to_ibm(std::nan("")), ValueError);
  // every value with a 24-bit hex fraction round trips
  for (std::uint32_t w : {0x3F123456u, 0x4A7FFFFFu, 0xBB100001u, 0x01100010u, 0x7F100000u})
    EXPECT_EQ(double_to_ibm(ibm_to_double(w)), w) << std::hex << w;
}

TEST(SegyRoundTrip, AllFormatsBothByteOrders) {
  for (int format : {1, 2, 3, 5})
    for (bool big : {true, false})
      for (bool coords : {false, true}) {
        const auto f = make(64, 9, 0.125, coords);
        const std::string p = tmp("rt" + std::to_string(format) + (big ? "b" : "l") + (coords ? "c" : "") + ".sgy");
        write_segy(p, f, SegyWrite{format, big, format == 1});
        const auto r = read_gpr<double>(p);
        SCOPED_TRACE(p);
        EXPECT_EQ(r.format, "segy");
        ASSERT_EQ(r.channels.size(), 1u);
        const auto& c = r.channels[0];
        EXPECT_EQ(c.format.n_samples, 64);
        EXPECT_EQ(c.format.dt_ns, 0.125);
        EXPECT_TRUE(c.data == f.channels[0].data);  // integral, small: exact in every format
        EXPECT_EQ(r.header.at("byte_order"), big ? "big" : "little");
        EXPECT_EQ(r.header.at("format_code"), std::to_string(format));
        EXPECT_EQ(r.header.at("textual_encoding"), format == 1 ? "ebcdic" : "ascii");
        EXPECT_EQ(r.header.at("textual").substr(0, 16), "C 1 SEG-Y REV2.0");
        EXPECT_EQ(r.header.at("n_traces"), "9");
        if (coords) {
          ASSERT_EQ(c.axes.xyz.rows(), 9);
          EXPECT_LE((c.axes.xyz - f.channels[0].axes.xyz).cwiseAbs().maxCoeff(), 0.005 + 1e-9);
          ASSERT_EQ(c.axes.position_m.size(), 9u);
          EXPECT_EQ(c.axes.position_m[0], 0.0);
          EXPECT_NEAR(c.axes.position_m[8], 8 * std::hypot(0.05, 0.03), 0.03);
        } else {
          EXPECT_EQ(c.axes.xyz.rows(), 0);
          EXPECT_TRUE(c.axes.position_m.empty());
        }
      }
}

TEST(SegyRoundTrip, FloatDataExactInIeee) {
  GprFile<float> f;
  BScan<float> b;
  b.data.resize(7, 3);
  for (Index j = 0; j < 21; ++j) b.data.data()[j] = std::sin(float(j) * 0.7f) * 1e-3f * float(j + 1);
  b.format = {7, 0.1, 0.0};
  f.channels.push_back(b);
  for (bool big : {true, false}) {
    const std::string p = tmp(big ? "fb.segy" : "fl.segy");
    write_segy(p, f, SegyWrite{5, big, false});
    const auto r = read_segy<float>(p);
    EXPECT_TRUE(r.channels[0].data == b.data);
    EXPECT_EQ(r.channels[0].format.dt_ns, 0.1);
  }
}

TEST(SegyRoundTrip, TimeZeroAndAntennaInSappersTextualLine) {
  for (bool ebcdic : {false, true}) {
    auto f = make(16, 3, 0.125, false);
    f.channels[0].format.time_zero_ns = 1.375;
    f.channels[0].axes.antenna_mhz = 1600;
    const std::string p = tmp(ebcdic ? "t0e.sgy" : "t0a.sgy");
    write_segy(p, f, SegyWrite{5, true, ebcdic});
    const auto r = read_segy<double>(p);
    EXPECT_EQ(r.channels[0].format.time_zero_ns, 1.375);
    EXPECT_EQ(r.channels[0].axes.antenna_mhz, 1600.0);
    EXPECT_NE(r.header.at("textual").find("C 6 SAPPER TIME ZERO NS: 1.375 ANTENNA MHZ: 1600"), std::string::npos);
  }
  // unknown antenna: written as nan, read back as NaN
  auto f = make(16, 3, 0.125, false);
  const std::string p = tmp("t0nan.sgy");
  write_segy(p, f);
  const auto r = read_segy<double>(p);
  EXPECT_EQ(r.channels[0].format.time_zero_ns, 0.0);
  EXPECT_TRUE(std::isnan(r.channels[0].axes.antenna_mhz));
}

TEST(SegyWriteTest, RejectsWhatTheFileCannotHold) {
  const std::string p = tmp("bad.sgy");
  auto f = make(8, 2, 0.1, false, 1.0);
  f.channels[0].data(3, 1) = 40000;
  EXPECT_THROW(write_segy(p, f, SegyWrite{3}), ValueError);
  EXPECT_NO_THROW(write_segy(p, f, SegyWrite{2}));
  f.channels[0].data(3, 1) = 0.5;
  EXPECT_THROW(write_segy(p, f, SegyWrite{2}), ValueError);
  EXPECT_NO_THROW(write_segy(p, f, SegyWrite{5}));
  f.channels[0].data(3, 1) = 1e300;
  EXPECT_THROW(write_segy(p, f, SegyWrite{5}), ValueError);
  EXPECT_THROW(write_segy(p, f, SegyWrite{1}), ValueError);
  f.channels[0].data(3, 1) = 0;
  EXPECT_THROW(write_segy(p, f, SegyWrite{4}), ValueError);
  auto g = make(8, 2, 0.0001, false);  // 0.1 ps
  EXPECT_THROW(write_segy(p, g, SegyWrite{}), ValueError);
  g = make(8, 2, 70.0, false);  // 70000 ps
  EXPECT_THROW(write_segy(p, g, SegyWrite{}), ValueError);
}

TEST(SegyRead, HandWrittenBigEndianEbcdic) {
  // 3 traces x 4 int16 samples, big-endian, EBCDIC textual header, coordinate scalar -10
  // (divide), elevation scalar 2 (multiply), sample interval 250 ps.
  const std::size_t ns = 4, m = 3, tr = kTH + ns * 2;
  std::vector<std::uint8_t> b(kHead + m * tr, 0);
  std::memset(b.data(), 0x40, 3200);  // EBCDIC blanks
  const std::uint8_t c1[] = {0xC3, 0x40, 0xF1, 0x40, 0xC8, 0xC5, 0xD3, 0xD3, 0xD6, 0x6B, 0x40, 0xA6, 0x96, 0x99, 0x93, 0x84};
  std::memcpy(b.data(), c1, sizeof c1);  // "C 1 HELLO, world"
  set<std::uint16_t>(b, 3216, 250);  // bytes 3217-3218
  set<std::uint16_t>(b, 3220, 4);    // 3221-3222
  set<std::int16_t>(b, 3224, 3);     // 3225-3226
  set<std::uint16_t>(b, 3500, 0x0100);
  set<std::int16_t>(b, 3502, 1);
  const std::int32_t xs[] = {1000, 1030, 1030}, ys[] = {2000, 2040, 2040};
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t t = kHead + k * tr;
    set<std::int32_t>(b, t + 0, std::int32_t(k + 1));
    set<std::int32_t>(b, t + 40, std::int32_t(5 + k));  // elevation, bytes 41-44
    set<std::int16_t>(b, t + 68, 2);                    // elevation scalar
    set<std::int16_t>(b, t + 70, -10);                  // coordinate scalar
    set<std::int32_t>(b, t + 72, xs[k]);
    set<std::int32_t>(b, t + 76, ys[k]);
    set<std::uint16_t>(b, t + 114, 4);
    set<std::uint16_t>(b, t + 116, 250);
    for (std::size_t i = 0; i < ns; ++i) set<std::int16_t>(b, t + kTH + 2 * i, std::int16_t(-1000 * int(k) + int(i)));
  }
  const std::string p = tmp("hand.segy");
  dump(p, b);
  const auto r = read_gpr<float>(p);
  EXPECT_EQ(r.header.at("textual_encoding"), "ebcdic");
  EXPECT_EQ(r.header.at("textual").substr(0, 17), "C 1 HELLO, world\n");
  EXPECT_EQ(r.header.at("revision"), "1.0");
  EXPECT_EQ(r.header.at("byte_order"), "big");
  const auto& c = r.channels[0];
  EXPECT_EQ(c.format.dt_ns, 0.25);
  ASSERT_EQ(c.data.rows(), 4);
  ASSERT_EQ(c.data.cols(), 3);
  for (Index k = 0; k < 3; ++k)
    for (Index i = 0; i < 4; ++i) EXPECT_EQ(c.data(i, k), float(-1000 * k + i));
  ASSERT_EQ(c.axes.xyz.rows(), 3);
  EXPECT_DOUBLE_EQ(c.axes.xyz(0, 0), 100.0);
  EXPECT_DOUBLE_EQ(c.axes.xyz(0, 1), 200.0);
  EXPECT_DOUBLE_EQ(c.axes.xyz(1, 0), 103.0);
  EXPECT_DOUBLE_EQ(c.axes.xyz(1, 1), 204.0);
  EXPECT_DOUBLE_EQ(c.axes.xyz(2, 2), 14.0);
  EXPECT_DOUBLE_EQ(c.axes.position_m[1], 5.0);
  EXPECT_DOUBLE_EQ(c.axes.position_m[2], 5.0);
}

TEST(SegyRead, HandWrittenLittleEndianIbmAsciiWithExtendedHeader) {
  const std::size_t ns = 3, m = 2, tr = kTH + ns * 4;
  std::vector<std::uint8_t> b(kHead + 3200 + m * tr, 0);
  std::memset(b.data(), ' ', 3200);
  std::memcpy(b.data(), "C 1 ascii", 9);
  b[100] = 0xff;  // not ASCII: becomes '?'
  set<std::uint16_t>(b, 3216, 100, false);
  set<std::uint16_t>(b, 3220, 3, false);
  set<std::int16_t>(b, 3224, 1, false);
  set<std::uint16_t>(b, 3500, 0x0200, false);
  set<std::int16_t>(b, 3504, 1, false);  // one extended textual header
  std::memset(b.data() + kHead, ' ', 3200);
  const std::uint32_t ibm[] = {0xC276A000u, 0x41100000u, 0x42640000u};
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t t = kHead + 3200 + k * tr;
    for (std::size_t i = 0; i < ns; ++i) set<std::uint32_t>(b, t + kTH + 4 * i, ibm[(i + k) % 3], false);
  }
  const std::string p = tmp("hand_le.sgy");
  dump(p, b);
  const auto r = read_gpr<double>(p);
  EXPECT_EQ(r.header.at("byte_order"), "little");
  EXPECT_EQ(r.header.at("textual_encoding"), "ascii");
  EXPECT_EQ(r.header.at("textual").substr(0, 9), "C 1 ascii");
  EXPECT_EQ(r.header.at("textual").substr(10, 21), std::string(20, ' ') + "?");  // line 1, offset 20
  EXPECT_EQ(r.header.at("data_offset"), "6800");
  const auto& c = r.channels[0];
  EXPECT_EQ(c.format.dt_ns, 0.1);
  EXPECT_EQ(c.data(0, 0), -118.625);
  EXPECT_EQ(c.data(1, 0), 1.0);
  EXPECT_EQ(c.data(2, 0), 100.0);
  EXPECT_EQ(c.data(0, 1), 1.0);
  EXPECT_EQ(c.axes.xyz.rows(), 0);
}

TEST(SegyMalformed, EveryErrorNamesFileFieldAndOffset) {
  const std::string good = tmp("good.sgy");
  write_segy(good, make(4, 3, 0.1, true), SegyWrite{3, true, false});
  const auto b = slurp(good);
  ASSERT_EQ(b.size(), kHead + 3 * (kTH + 8));
  EXPECT_NO_THROW(read_gpr<float>(good));

  const std::pair<std::size_t, const char*> cuts[] = {
      {0, "textual header"}, {100, "textual header"}, {3199, "textual header"}, {3200, "binary header"},
      {3599, "binary header"}, {3600, "traces"}, {3700, "traces"}, {kHead + 248 + 100, "traces"},
      {b.size() - 1, "traces"}};
  for (const auto& [n, field] : cuts) {
    const std::string p = tmp("cut" + std::to_string(n) + ".sgy");
    dump(p, b, n);
    expect_format_error(p, field);
  }
  auto edit = [&](const std::string& name, auto change, const char* field) {
    auto c = b;
    change(c);
    const std::string p = tmp(name);
    dump(p, c);
    expect_format_error(p, field);
  };
  edit("fmt99.sgy", [](auto& c) { set<std::int16_t>(c, 3224, 99); }, "format code");
  edit("fmt0.sgy", [](auto& c) { set<std::int16_t>(c, 3224, 0); }, "format code");
  edit("fmt4.sgy", [](auto& c) { set<std::int16_t>(c, 3224, 4); }, "format code");
  edit("ns0.sgy", [](auto& c) { set<std::uint16_t>(c, 3220, 0); }, "samples per trace");
  edit("ns65535.sgy", [](auto& c) { set<std::uint16_t>(c, 3220, 65535); }, "traces");
  edit("extra.sgy", [](auto& c) { c.insert(c.end(), 7, 0); }, "traces");
  edit("ext.sgy", [](auto& c) { set<std::int16_t>(c, 3504, 3); }, "extended textual headers");
  edit("extneg.sgy", [](auto& c) { set<std::int16_t>(c, 3504, -1); }, "extended textual headers");
  edit("ext1.sgy", [](auto& c) { set<std::int16_t>(c, 3504, 1); }, "");
  edit("unequal.sgy", [](auto& c) { set<std::uint16_t>(c, kHead + 248 + 114, 5); }, "trace samples");
  edit("dt.sgy", [](auto& c) { set<std::uint16_t>(c, kHead + 2 * 248 + 116, 7); }, "trace sample interval");
  edit("dt0.sgy", [](auto& c) {
    set<std::uint16_t>(c, 3216, 0);
    set<std::uint16_t>(c, kHead + 116, 0);
  }, "sample interval");
  edit("addtr.sgy", [](auto& c) { set<std::int32_t>(c, 3506, 1 << 30); }, "additional trace headers");
}

namespace {

// The trace headers are checked inside the parallel decode; the error must still name the first
// bad trace, as a serial pass would, whichever chunk finds its bad trace first.
TEST(SegyMalformed, FirstBadTraceIsNamedAcrossChunks) {
  const Index m = 2000;
  const std::string good = tmp("many.sgy");
  write_segy(good, make(4, m, 0.1, false), SegyWrite{3, true, false});
  const auto b = slurp(good);
  const std::size_t tb = kTH + 8;
  ASSERT_EQ(b.size(), kHead + std::size_t(m) * tb);
  auto check = [&](const std::string& name, std::size_t bad_ns, std::size_t bad_dt, const std::string& want) {
    auto c = b;
    set<std::uint16_t>(c, kHead + bad_ns * tb + 114, 5);
    set<std::uint16_t>(c, kHead + bad_dt * tb + 116, 7);
    const std::string p = tmp(name);
    dump(p, c);
    sapper::test::expect_format_error([&] { (void)read_gpr<float>(p); }, {p, want});
  };
  // one bad trace in each half (each thread's chunk), and two in the last half
  check("bad_a.sgy", 300, 1700, "trace samples at byte " + std::to_string(kHead + 300 * tb + 114) + ": trace 300 has 5");
  check("bad_b.sgy", 1900, 250, "trace sample interval at byte " + std::to_string(kHead + 250 * tb + 116) + ": trace 250");
  check("bad_c.sgy", 1999, 1500, "trace 1500 has a sample interval of 7");
  check("bad_d.sgy", 1998, 1999, "trace 1998 has 5 samples");
}

}  // namespace

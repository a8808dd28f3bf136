// GSSI sidecars: DZX marks in each known XML layout, DZG fixes tied to scans and interpolated to
// every trace, and malformed sidecars (FormatError naming the file and line).
#include <gtest/gtest.h>

#include "io_test.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sapper/io/gpr_file.hpp"
#include "sapper/io/position.hpp"

using namespace sapper;
using namespace sapper::io;

namespace {

std::string tmp(const std::string& name) { return test::temp_path("sidecar", name); }
void put(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

/// A one-channel DZT of m traces without in-data marks (raw second sample 0), optionally with a
/// distance calibration.
std::string dzt(const std::string& name, Index m, bool positions) {
  GprFile<double> f;
  BScan<double> b;
  b.data = Matrix<double>::Constant(8, m, 100.0);
  b.data.row(1).setConstant(-32768);  // raw 0: no mark
  b.format = {8, 0.1, 0};
  if (positions)
    for (Index k = 0; k < m; ++k) b.axes.position_m.push_back(0.5 * double(k));
  f.channels.push_back(b);
  const auto p = tmp(name + ".DZT");
  write_dzt(p, f);
  return p;
}

/// NMEA with its checksum (XOR of the characters between '$' and '*').
std::string nmea(const std::string& body) {
  unsigned x = 0;
  for (char c : body) x ^= unsigned(static_cast<unsigned char>(c));
  char cs[8];
  std::snprintf(cs, sizeof cs, "*%02X", x);
  return "$" + body + cs;
}
std::string gga(double lat, double lon, double alt, int quality = 1) {
  char b[160];
  const double la = std::fabs(lat), lo = std::fabs(lon);
  std::snprintf(b, sizeof b, "GPGGA,120000.00,%02d%010.7f,%c,%03d%010.7f,%c,%d,08,0.9,%.3f,M,10.000,M,,",
                int(la), (la - int(la)) * 60, lat >= 0 ? 'N' : 'S', int(lo), (lo - int(lo)) * 60, lon >= 0 ? 'E' : 'W',
                quality, alt);
  return nmea(b);
}

}  // namespace

TEST(DztSidecar, DzxFileLayoutUserMarksOnly) {
  const auto p = dzt("dzx_file", 12, true);
  put(tmp("dzx_file.DZX"), R"(<?xml version="1.0"?>
<DZX xmlns="www.geophysical.com/DZX/1.02">
  <File><Profile>
    <WayPt><scan>7</scan><mark>User</mark><name>Mark2</name></WayPt>
    <WayPt><scan>5</scan><mark>Distance</mark></WayPt>
    <WayPt><scan>2</scan><mark>User</mark><name>Mark1</name></WayPt>
    <WayPt><scan>40</scan><mark>User</mark></WayPt>
  </Profile></File>
</DZX>)");
  const auto f = read_dzt<float>(p);
  EXPECT_EQ(f.marks, (std::vector<Index>{2, 7}));
  EXPECT_EQ(f.header.at("dzx_marks_beyond_last_trace"), "1");
}

TEST(DztSidecar, DzxProfileGroupAndTargetGroupLayouts) {
  const auto a = tmp("pg.dzx"), b = tmp("tg.dzx");
  put(a, "<DZX><ProfileGroup><File><Profile><WayPt><scan>1351</scan><mark>User</mark></WayPt>"
         "<WayPt><scan> 12 </scan><mark>User</mark></WayPt></Profile></File></ProfileGroup></DZX>");
  put(b, "<DZX><TargetGroup><TargetWayPt><scanSampChanProp>30,112,0,1</scanSampChanProp></TargetWayPt>"
         "<TargetWayPt><scanSampChanProp>4,0,0</scanSampChanProp></TargetWayPt></TargetGroup></DZX>");
  EXPECT_EQ(read_dzx(a), (std::vector<Index>{12, 1351}));
  EXPECT_EQ(read_dzx(b), (std::vector<Index>{4, 30}));
}

TEST(DztSidecar, DzgFixesInterpolatedBetweenScans) {
  const auto p = dzt("track", 10, true);
  // Fixes at scans 0, 4, 8; a corrupted sentence, an invalid fix and an RMC are not used.
  const double lat[3] = {56.86, 56.86005, 56.86005}, lon[3] = {24.11, 24.11, 24.1101}, alt[3] = {8, 9, 11};
  std::string s;
  s += "$GSSIS,0,0.0\n" + gga(lat[0], lon[0], alt[0]) + "\n\n";
  s += "$GSSIS,2,0.1\n" + gga(57, 25, 0, 0) + "\n";  // quality 0: skipped
  s += "$GSSIS,3,0.15\n$GPGGA,120000.00,5651.0000,N,02406.0000,E,1,08,0.9,8.0,M,10.0,M,,*00\n";  // bad checksum
  s += "$GSSIS,4,0.2\r\n" + gga(lat[1], lon[1], alt[1]) + "\r\n";
  s += "$GSSIS,8,0.4\n" + gga(lat[2], lon[2], alt[2]) + "\n";
  put(tmp("track.DZG"), s);
  const auto f = read_dzt<double>(p);
  EXPECT_EQ(f.header.at("dzg_fixes"), "3");
  EXPECT_EQ(f.header.at("dzg_skipped_sentences"), "2");
  const auto& xyz = f.channels[0].axes.xyz;
  ASSERT_EQ(xyz.rows(), 10);
  const double h0 = alt[0] + 10;  // geoid separation 10 m: heights above the ellipsoid
  for (Index k = 0; k < 10; ++k) {
    // expected: linear in the scan between fixes (held after the last), then to the tangent plane
    const int a = k < 4 ? 0 : k < 8 ? 1 : 2, b = std::min(a + 1, 2);
    const double w = a == 2 ? 0 : (double(k) - 4 * a) / 4;
    const auto e = to_local(lat[a] + w * (lat[b] - lat[a]), lon[a] + w * (lon[b] - lon[a]),
                            alt[a] + 10 + w * (alt[b] - alt[a]), lat[0], lon[0], h0);
    EXPECT_NEAR(xyz(k, 0), e.east_m, 1e-6) << k;
    EXPECT_NEAR(xyz(k, 1), e.north_m, 1e-6) << k;
    EXPECT_NEAR(xyz(k, 2), e.up_m, 1e-6) << k;
  }
  // 0.00005 deg of latitude is about 5.57 m north; 0.0001 deg of longitude at 56.86 deg about 6.1 m east
  EXPECT_NEAR(xyz(4, 1), 5.57, 0.01);
  EXPECT_NEAR(xyz(8, 0), 6.09, 0.02);
  // the DZT's own distance calibration is kept
  EXPECT_DOUBLE_EQ(f.channels[0].axes.position_m[3], 1.5);
}

TEST(DztSidecar, DzgGivesPositionsToTimeModeSurveys) {
  const auto p = dzt("timemode", 6, false);
  put(tmp("timemode.dzg"), "$GSSIS,0,0\n" + gga(10, 20, 5) + "\n$GSSIS,5,1\n" + gga(10.0001, 20, 5) + "\n");
  const auto f = read_dzt<float>(p);
  const auto& pos = f.channels[0].axes.position_m;
  ASSERT_EQ(pos.size(), 6u);
  const auto e = to_local(10.0001, 20, 15, 10, 20, 15);
  EXPECT_NEAR(pos[5], std::hypot(e.east_m, e.north_m), 1e-6);
  EXPECT_NEAR(pos[1], pos[5] / 5, 1e-6);
}

TEST(DztSidecar, MalformedSidecarsNameFileAndLine) {
  const auto a = tmp("bad1.dzg"), b = tmp("bad2.dzg"), c = tmp("bad.dzx");
  put(a, "$GSSIS,0,0\n" + gga(10, 20, 5) + "\n$GSSIS,x,1\n");
  put(b, "$GSSIS,5,0\n$GSSIS,3,1\n");
  put(c, "<DZX><WayPt><scan>-3</scan><mark>User</mark></WayPt></DZX>");
  test::expect_format_error([&] { read_dzg(a); }, {a, "line 3", "scan number"});
  test::expect_format_error([&] { read_dzg(b); }, {b, "line 2", "scan 3 after scan 5"});
  test::expect_format_error([&] { read_dzx(c); }, {c, "-3", "not an integer"});
  put(c, "<DZX><File><WayPt><scan>2</scan><mark>User</mark></File>");
  test::expect_format_error([&] { read_dzx(c); }, {c, "<WayPt> at byte 11 is not closed"});
  // a sidecar that breaks makes the DZT read fail with its name, not silently lose positions
  const auto p = dzt("bad2", 4, true);
  put(tmp("bad2.DZG"), "$GSSIS,5,0\n$GSSIS,3,1\n");
  test::expect_format_error([&] { read_dzt<float>(p); }, {"bad2.DZG", "scan 3 after scan 5"});
}

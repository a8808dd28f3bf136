#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "sapper/core/error.hpp"
#include "sapper/io/position.hpp"

using namespace sapper::io;

namespace {
constexpr double kA = 6378137.0, kF = 1 / 298.257223563, kE2 = kF * (2 - kF), kDeg = std::numbers::pi / 180;

// Meridian arc from the equator to latitude phi (deg), by Simpson's rule on dM/dphi.
double meridian_arc(double phi_deg) {
  const int n = 20000;
  const double b = phi_deg * kDeg, h = b / n;
  auto g = [](double p) { return kA * (1 - kE2) / std::pow(1 - kE2 * std::sin(p) * std::sin(p), 1.5); };
  double s = g(0) + g(b);
  for (int i = 1; i < n; ++i) s += g(i * h) * (i % 2 ? 4 : 2);
  return s * h / 3;
}
}  // namespace

// Sentences recorded by a Geometrics MagArrow (../shared/data/mag/magarrow/MagArrow.csv, whose own
// columns give Latitude 56.86228600, Longitude 24.11361300 for this epoch).
TEST(Nmea, ParsesGgaAndRmcOfARealInstrument) {
  const auto gga = parse_nmea("$GNGGA,133753.000,5651.737132,N,02406.816782,E,2,12,0.79,8.366,M,23.853,M,,*7E");
  ASSERT_TRUE(gga.has_value());
  EXPECT_EQ(gga->type, 'G');
  EXPECT_NEAR(gga->lat_deg, 56.86228600, 1e-6);
  EXPECT_NEAR(gga->lon_deg, 24.11361300, 1e-6);
  EXPECT_DOUBLE_EQ(gga->lat_deg, 56 + 51.737132 / 60);
  EXPECT_DOUBLE_EQ(gga->time_s, 13 * 3600 + 37 * 60 + 53.0);
  EXPECT_EQ(gga->quality, 2);
  EXPECT_EQ(gga->satellites, 12);
  EXPECT_DOUBLE_EQ(gga->hdop, 0.79);
  EXPECT_DOUBLE_EQ(gga->altitude_m, 8.366);
  EXPECT_DOUBLE_EQ(gga->geoid_m, 23.853);
  EXPECT_TRUE(gga->valid);
  const auto rmc = parse_nmea("$GNRMC,133753.000,A,5651.737132,N,02406.816782,E,0.29,252.26,280920,,,D*78\r\n");
  ASSERT_TRUE(rmc.has_value());
  EXPECT_EQ(rmc->type, 'R');
  EXPECT_TRUE(rmc->valid);
  EXPECT_DOUBLE_EQ(rmc->speed_m_s, 0.29 * 1852 / 3600);
  EXPECT_DOUBLE_EQ(rmc->course_deg, 252.26);
  EXPECT_EQ(rmc->date_ddmmyy, 280920);
  EXPECT_DOUBLE_EQ(rmc->lon_deg, gga->lon_deg);
}

TEST(Nmea, SouthWestOtherSentencesAndErrors) {
  const auto f = parse_nmea("$GPGGA,000001.5,3345.5000,S,07030.0000,W,1,05,1.2,100.0,M,,M,,");  // no checksum
  ASSERT_TRUE(f.has_value());
  EXPECT_DOUBLE_EQ(f->lat_deg, -(33 + 45.5 / 60));
  EXPECT_DOUBLE_EQ(f->lon_deg, -70.5);
  EXPECT_DOUBLE_EQ(f->time_s, 1.5);
  EXPECT_FALSE(parse_nmea("$GPGSV,3,1,11,03,03,111,00*74").has_value());
  EXPECT_FALSE(parse_nmea("not a sentence").has_value());
  // one flipped digit breaks the checksum
  EXPECT_THROW(parse_nmea("$GNGGA,133753.000,5651.737132,N,02406.816783,E,2,12,0.79,8.366,M,23.853,M,,*7E"),
               sapper::FormatError);
  try {
    parse_nmea("$GPGGA,120000,56x1.7,N,02406.8,E,1,05,1.2,100.0,M,,M,,");
    FAIL();
  } catch (const sapper::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("latitude"), std::string::npos);
  }
  EXPECT_THROW(parse_nmea("$GPGGA,120000,5651.7,Q,02406.8,E,1,05,1.2,100.0,M,,M,,"), sapper::FormatError);
  EXPECT_THROW(parse_nmea("$GPRMC,120000,A,5651.7"), sapper::FormatError);
  EXPECT_THROW(parse_nmea("$GPGGA,256000,5651.7,N,02406.8,E,1,05,1.2,100.0,M,,M,,"), sapper::FormatError);
  // integer fields beyond any int (a fuzzer's 1e51 was undefined behaviour) or not whole
  for (const char* s : {"$GPGGA,120000,5651.7,N,02406.8,E,1e51,05,1.2,100.0,M,,M,,",
                        "$GPGGA,120000,5651.7,N,02406.8,E,1,-3,1.2,100.0,M,,M,,",
                        "$GPGGA,120000,5651.7,N,02406.8,E,1.5,05,1.2,100.0,M,,M,,",
                        "$GPRMC,120000,A,5651.7,N,02406.8,E,0.1,90.0,1e51,,"})
    EXPECT_THROW(parse_nmea(s), sapper::FormatError) << s;
}

TEST(Utm, CentralMeridianIsTheScaledMeridianArc) {
  for (double lat : {0.0, 10.0, 39.5, 58.0, 83.0, -33.0}) {
    const Utm u = to_utm(lat, 27.0);  // zone 35's central meridian
    EXPECT_EQ(u.zone, 35);
    EXPECT_NEAR(u.easting_m, 500000.0, 1e-6);
    const double m = 0.9996 * meridian_arc(std::abs(lat));
    EXPECT_NEAR(u.northing_m, lat >= 0 ? m : 1e7 - m, 2e-3) << lat;
  }
}

TEST(Utm, NearTheMeridianEastingIsTheParallelArc) {
  // E - 500 km ~ k0 nu cos(phi) dlambda for a small dlambda (relative error ~ dlambda^2)
  for (double lat : {5.0, 40.0, 70.0}) {
    const double dl = 0.01, phi = lat * kDeg;
    const double nu = kA / std::sqrt(1 - kE2 * std::sin(phi) * std::sin(phi));
    const Utm u = to_utm(lat, 27.0 + dl);
    EXPECT_NEAR((u.easting_m - 500000) / (0.9996 * nu * std::cos(phi) * dl * kDeg), 1.0, 1e-6) << lat;
  }
}

TEST(Utm, RoundTripsAcrossTheZone) {
  for (double lat = -79.5; lat <= 83.5; lat += 7.3)
    for (double dlon = -3.0; dlon <= 3.0; dlon += 0.75) {
      const Utm u = to_utm(lat, 45.0 + dlon, 38);
      const LatLon back = from_utm(u);
      EXPECT_NEAR(back.lat_deg, lat, 1e-9);
      EXPECT_NEAR(back.lon_deg, 45.0 + dlon, 1e-9);
    }
  EXPECT_EQ(to_utm(56.86, 24.11).zone, 35);
  EXPECT_EQ(to_utm(-12.0, -77.0).zone, 18);
  EXPECT_FALSE(to_utm(-12.0, -77.0).north);
  EXPECT_THROW(to_utm(85.0, 0.0), sapper::ValueError);
  EXPECT_THROW(to_utm(NAN, 0.0), sapper::ValueError);
  EXPECT_THROW(to_utm(10.0, 0.0, 61), sapper::ValueError);
}

TEST(LocalFrame, SmallOffsetsAreArcLengths) {
  const double lat0 = 39.8, lon0 = 46.75, d = 0.001;  // Karabakh
  const Enu n = to_local(lat0 + d, lon0, 0, lat0, lon0);
  EXPECT_NEAR(n.north_m, meridian_arc(lat0 + d) - meridian_arc(lat0), 1e-3);
  EXPECT_NEAR(n.east_m, 0, 1e-9);
  const double phi = lat0 * kDeg, nu = kA / std::sqrt(1 - kE2 * std::sin(phi) * std::sin(phi));
  const Enu e = to_local(lat0, lon0 + d, 0, lat0, lon0);
  EXPECT_NEAR(e.east_m, nu * std::cos(phi) * d * kDeg, 1e-3);
  EXPECT_LT(e.up_m, 0);  // the plane leaves the curved surface
  const Enu u = to_local(lat0, lon0, 12.5, lat0, lon0, 2.5);
  EXPECT_NEAR(u.up_m, 10.0, 1e-9);
  EXPECT_NEAR(u.east_m, 0, 1e-9);
}

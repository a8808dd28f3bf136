// sapper::io positions: NMEA 0183 GGA/RMC sentences, WGS84 latitude/longitude to UTM and to a
// local east-north-up tangent plane. Pure functions; thread-safe; no allocation but strings.
#pragma once

#include <limits>
#include <optional>
#include <string_view>

namespace sapper::io {

/// A GNSS fix from one sentence; fields a sentence does not carry are NaN / -1.
struct Fix {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  char type = 0;                 ///< 'G' (GGA) or 'R' (RMC)
  double time_s = nan;           ///< UTC seconds of the day
  double lat_deg = nan, lon_deg = nan;
  double altitude_m = nan;       ///< GGA: above mean sea level
  double geoid_m = nan;          ///< GGA: geoid separation
  int quality = -1;              ///< GGA: 0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, ...
  int satellites = -1;           ///< GGA
  double hdop = nan;             ///< GGA
  bool valid = false;            ///< GGA: quality > 0; RMC: status 'A'
  double speed_m_s = nan;        ///< RMC: over ground
  double course_deg = nan;       ///< RMC: true course
  int date_ddmmyy = -1;          ///< RMC
};

/// Parses one sentence ("$GPGGA,...*hh", any talker: GP, GN, GL, GA, ...). Returns nullopt for
/// sentence types other than GGA and RMC. Throws FormatError naming the field for a malformed
/// GGA/RMC or a checksum that does not match.
std::optional<Fix> parse_nmea(std::string_view sentence);

/// Universal Transverse Mercator on WGS84 (Krueger series to third order in n: mm accuracy within
/// the zone), false easting 500 km, false northing 0 (north) or 10,000 km (south).
struct Utm {
  double easting_m = 0, northing_m = 0;
  int zone = 0;      ///< 1..60
  bool north = true;
};
/// zone 0: the standard zone of the longitude (no Norway/Svalbard exceptions). Throws ValueError
/// for latitudes outside [-80, 84] or a zone outside 1..60.
Utm to_utm(double lat_deg, double lon_deg, int zone = 0);
struct LatLon {
  double lat_deg = 0, lon_deg = 0;
};
LatLon from_utm(const Utm& u);

/// East, north, up (m) of a WGS84 point relative to the tangent plane at (lat0, lon0, h0), through
/// earth-centred coordinates (exact; heights above the ellipsoid).
struct Enu {
  double east_m = 0, north_m = 0, up_m = 0;
};
Enu to_local(double lat_deg, double lon_deg, double h_m, double lat0_deg, double lon0_deg, double h0_m = 0);

}  // namespace sapper::io

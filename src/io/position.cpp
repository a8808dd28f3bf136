#include "sapper/io/position.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <string>
#include <vector>

#include "sapper/core/error.hpp"

namespace sapper::io {

namespace {

constexpr double kPi = std::numbers::pi, kDeg = kPi / 180;
constexpr double kA = 6378137.0, kF = 1 / 298.257223563;  // WGS84
constexpr double kK0 = 0.9996;

[[noreturn]] void bad(std::string_view sentence, std::string_view field, std::string_view what) {
  throw FormatError(sapper::detail::concat("NMEA \"", sentence.substr(0, 90), "\": ", field, " ", what));
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t b = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ',') {
      out.push_back(s.substr(b, i - b));
      b = i + 1;
    }
  return out;
}

double number(std::string_view s, std::string_view sentence, std::string_view field) {
  if (s.empty()) return Fix::nan;
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) bad(sentence, field, "is not a number");
  return v;
}

/// A whole-number field (fix quality, satellites, date) in [0, max]; -1 where empty.
int whole_number(std::string_view s, std::string_view sentence, std::string_view field, double max) {
  const double v = number(s, sentence, field);
  if (std::isnan(v)) return -1;
  if (!(v >= 0 && v <= max && v == std::floor(v))) bad(sentence, field, "is not a whole number in range");
  return int(v);
}

/// "hhmmss.ss" -> seconds of the day.
double clock(std::string_view s, std::string_view sentence) {
  if (s.empty()) return Fix::nan;
  const double v = number(s, sentence, "time");
  const double h = std::floor(v / 1e4), m = std::floor(v / 1e2) - 100 * h, sec = v - 1e4 * h - 1e2 * m;
  if (h >= 24 || m >= 60 || sec >= 61) bad(sentence, "time", "is not hhmmss");
  return 3600 * h + 60 * m + sec;
}

/// "ddmm.mmmm" / "dddmm.mmmm" with its hemisphere letter -> signed degrees.
double angle(std::string_view v, std::string_view hemi, std::string_view sentence, const char* field, double max) {
  if (v.empty()) return Fix::nan;
  const double x = number(v, sentence, field);
  const double deg = std::floor(x / 100), min = x - 100 * deg;
  if (x < 0 || min >= 60 || deg > max) bad(sentence, field, "is not (d)ddmm.mmm");
  const double d = deg + min / 60;
  if (hemi == "S" || hemi == "W") return -d;
  if (hemi == "N" || hemi == "E") return d;
  bad(sentence, field, "has no hemisphere (N/S/E/W)");
}

// Krueger series coefficients, third order in n.
struct Tm {
  double n, e, A;
  std::array<double, 3> alpha, beta;
  Tm() {
    n = kF / (2 - kF);
    e = std::sqrt(kF * (2 - kF));
    A = kA / (1 + n) * (1 + n * n / 4 + n * n * n * n / 64);
    alpha = {n / 2 - 2 * n * n / 3 + 5 * n * n * n / 16, 13 * n * n / 48 - 3 * n * n * n / 5, 61 * n * n * n / 240};
    beta = {n / 2 - 2 * n * n / 3 + 37 * n * n * n / 96, n * n / 48 + n * n * n / 15, 17 * n * n * n / 480};
  }
};
const Tm& tm() {
  static const Tm t;
  return t;
}

}  // namespace

std::optional<Fix> parse_nmea(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  const std::string_view whole = s;
  if (s.size() < 7 || s[0] != '$') return std::nullopt;
  const std::string_view type = s.substr(3, 3);
  if (type != "GGA" && type != "RMC") return std::nullopt;
  if (const auto star = s.rfind('*'); star != std::string_view::npos) {
    const std::string_view hex = s.substr(star + 1);
    unsigned expect = 0;
    const auto r = std::from_chars(hex.data(), hex.data() + hex.size(), expect, 16);
    if (hex.size() != 2 || r.ec != std::errc()) bad(whole, "checksum", "is not two hex digits");
    unsigned sum = 0;
    for (char c : s.substr(1, star - 1)) sum ^= static_cast<unsigned char>(c);
    if (sum != expect) bad(whole, "checksum", "does not match the sentence");
    s = s.substr(0, star);
  }
  const auto f = split(s);
  Fix x;
  x.type = type[0];
  if (type == "GGA") {
    if (f.size() < 10) bad(whole, "GGA", "has fewer than 10 fields");
    x.time_s = clock(f[1], whole);
    x.lat_deg = angle(f[2], f[3], whole, "latitude", 90);
    x.lon_deg = angle(f[4], f[5], whole, "longitude", 180);
    x.quality = whole_number(f[6], whole, "quality", 9);
    x.satellites = whole_number(f[7], whole, "satellites", 999);
    x.hdop = number(f[8], whole, "hdop");
    x.altitude_m = number(f[9], whole, "altitude");
    if (f.size() > 11) x.geoid_m = number(f[11], whole, "geoid separation");
    x.valid = x.quality > 0 && !std::isnan(x.lat_deg) && !std::isnan(x.lon_deg);
  } else {
    if (f.size() < 10) bad(whole, "RMC", "has fewer than 10 fields");
    x.time_s = clock(f[1], whole);
    x.valid = f[2] == "A";
    x.lat_deg = angle(f[3], f[4], whole, "latitude", 90);
    x.lon_deg = angle(f[5], f[6], whole, "longitude", 180);
    x.speed_m_s = number(f[7], whole, "speed") * (1852.0 / 3600);  // knots
    x.course_deg = number(f[8], whole, "course");
    x.date_ddmmyy = whole_number(f[9], whole, "date", 311299);
  }
  return x;
}

Utm to_utm(double lat, double lon, int zone) {
  require(std::isfinite(lat) && lat >= -80 && lat <= 84, "latitude ", lat, " deg is outside the UTM range [-80, 84]");
  require(std::isfinite(lon), "longitude ", lon, " deg must be finite");
  lon = std::remainder(lon, 360.0);
  if (zone == 0) zone = std::min(60, int(std::floor((lon + 180) / 6)) + 1);
  require(zone >= 1 && zone <= 60, "UTM zone ", zone, " must lie in 1..60");
  const Tm& t = tm();
  const double lam = std::remainder(lon - (6.0 * zone - 183), 360.0) * kDeg, phi = lat * kDeg;
  const double s = std::sin(phi);
  const double tau = std::sinh(std::atanh(s) - t.e * std::atanh(t.e * s));  // conformal latitude's tangent
  const double xi1 = std::atan2(tau, std::cos(lam)), eta1 = std::asinh(std::sin(lam) / std::hypot(tau, std::cos(lam)));
  double xi = xi1, eta = eta1;
  for (int j = 1; j <= 3; ++j) {
    xi += t.alpha[j - 1] * std::sin(2 * j * xi1) * std::cosh(2 * j * eta1);
    eta += t.alpha[j - 1] * std::cos(2 * j * xi1) * std::sinh(2 * j * eta1);
  }
  return {500000 + kK0 * t.A * eta, (lat < 0 ? 1e7 : 0) + kK0 * t.A * xi, zone, lat >= 0};
}

LatLon from_utm(const Utm& u) {
  require(u.zone >= 1 && u.zone <= 60, "UTM zone ", u.zone, " must lie in 1..60");
  require(std::isfinite(u.easting_m) && std::isfinite(u.northing_m), "UTM coordinates must be finite");
  const Tm& t = tm();
  const double xi = (u.northing_m - (u.north ? 0 : 1e7)) / (kK0 * t.A), eta = (u.easting_m - 500000) / (kK0 * t.A);
  double xi1 = xi, eta1 = eta;
  for (int j = 1; j <= 3; ++j) {
    xi1 -= t.beta[j - 1] * std::sin(2 * j * xi) * std::cosh(2 * j * eta);
    eta1 -= t.beta[j - 1] * std::cos(2 * j * xi) * std::sinh(2 * j * eta);
  }
  const double tau1 = std::sin(xi1) / std::hypot(std::sinh(eta1), std::cos(xi1));
  const double lam = std::atan2(std::sinh(eta1), std::cos(xi1));
  // tan(phi) from the conformal latitude's tangent by Newton (Karney 2011, eqs. 19-21)
  double tau = tau1;
  for (int it = 0; it < 8; ++it) {
    const double sig = std::sinh(t.e * std::atanh(t.e * tau / std::hypot(1.0, tau)));
    const double tau_i = tau * std::hypot(1.0, sig) - sig * std::hypot(1.0, tau);
    const double d = (tau1 - tau_i) / std::hypot(1.0, tau_i) * (1 + (1 - t.e * t.e) * tau * tau) /
                     ((1 - t.e * t.e) * std::hypot(1.0, tau));
    tau += d;
    if (std::abs(d) < 1e-14) break;
  }
  return {std::atan(tau) / kDeg, (6.0 * u.zone - 183) + lam / kDeg};
}

Enu to_local(double lat, double lon, double h, double lat0, double lon0, double h0) {
  for (double v : {lat, lon, h, lat0, lon0, h0}) require(std::isfinite(v), "coordinates must be finite (got ", v, ")");
  const double e2 = kF * (2 - kF);
  auto ecef = [&](double la, double lo, double hh) {
    const double p = la * kDeg, l = lo * kDeg, nu = kA / std::sqrt(1 - e2 * std::sin(p) * std::sin(p));
    return std::array<double, 3>{(nu + hh) * std::cos(p) * std::cos(l), (nu + hh) * std::cos(p) * std::sin(l),
                                 (nu * (1 - e2) + hh) * std::sin(p)};
  };
  const auto a = ecef(lat, lon, h), o = ecef(lat0, lon0, h0);
  const double dx = a[0] - o[0], dy = a[1] - o[1], dz = a[2] - o[2];
  const double p = lat0 * kDeg, l = lon0 * kDeg;
  return {-std::sin(l) * dx + std::cos(l) * dy,
          -std::sin(p) * std::cos(l) * dx - std::sin(p) * std::sin(l) * dy + std::cos(p) * dz,
          std::cos(p) * std::cos(l) * dx + std::cos(p) * std::sin(l) * dy + std::sin(p) * dz};
}

}  // namespace sapper::io

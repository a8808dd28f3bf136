// Sensors & Software pulseEKKO DT1 + HD. Layout and choices: docs/io.md, "Sensors & Software DT1 + HD".
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "bytes.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/io/gpr_file.hpp"
#include "text_header.hpp"

namespace sapper::io {

namespace {

constexpr std::size_t kTraceHeader = 128;  // 25 float32 + 28-byte comment
// byte offsets of the trace-header words used (word k, 1-based, is at 4 * (k - 1))
constexpr std::size_t kPosition = 4, kPoints = 8, kBytesPerPoint = 20, kGpsX = 32, kGpsY = 40, kGpsZ = 48,
                      kCommentFlag = 96;

/// Metres per POSITION UNITS unit; FormatError for a unit it does not know.
double metres_per_unit(const detail::TextHeader& hd) {
  const auto u = hd.get("POSITION UNITS");
  if (!u) return 1.0;  // pulseEKKO's default is metres
  std::string s;
  for (unsigned char c : *u)
    if (!std::isspace(c) && c != '.') s.push_back(char(std::tolower(c)));
  if (s == "m" || s == "meter" || s == "meters" || s == "metre" || s == "metres") return 1.0;
  if (s == "ft" || s == "feet" || s == "foot" || s == "'") return 0.3048;
  if (s == "cm" || s == "centimeter" || s == "centimeters" || s == "centimetre" || s == "centimetres") return 0.01;
  if (s == "mm" || s == "millimeter" || s == "millimeters" || s == "millimetre" || s == "millimetres") return 0.001;
  if (s == "in" || s == "inch" || s == "inches") return 0.0254;
  if (s == "km" || s == "kilometer" || s == "kilometers" || s == "kilometre" || s == "kilometres") return 1000.0;
  hd.fail("POSITION UNITS", "= '" + *u + "' is not a known length unit (m, ft, cm, mm, in, km)");
}

}  // namespace

template <class T>
GprFile<T> read_dt1(const std::string& path) {
  const std::string hd_path = detail::sibling(path, {".HD", ".hd", ".Hd", ".hD"});
  if (hd_path.empty()) throw FormatError(path + ": HD header file not found beside the DT1 file (.HD or .hd)");
  const detail::TextHeader hd(hd_path, '=');

  const auto n_traces = *hd.count("NUMBER OF TRACES", 1, std::int64_t(1) << 31, true);
  const auto n_samples = *hd.count("NUMBER OF PTS/TRC", 1, std::int64_t(1) << 24, true);
  const double window_ns = *hd.number("TOTAL TIME WINDOW", true);
  if (!(window_ns > 0)) hd.fail("TOTAL TIME WINDOW", "must be a positive number of ns");
  const double dt_ns = window_ns / double(n_samples);
  const double tz_point = hd.number("TIMEZERO AT POINT", false).value_or(1.0);
  const double unit_m = metres_per_unit(hd);
  double antenna_mhz = std::numeric_limits<double>::quiet_NaN();
  if (const auto f = hd.get("NOMINAL FREQUENCY")) {
    const double x = std::strtod(f->c_str(), nullptr);  // leading number; anything else: unknown
    if (std::isfinite(x) && x > 0) antenna_mhz = x;
  }

  const detail::Bytes b(path);
  if (b.size() == 0) b.fail(0, "trace 0 header", "the DT1 file is empty");
  const auto bpp_word = b.le<float>(kBytesPerPoint, "trace 0 bytes/point");
  if (bpp_word != 2 && bpp_word != 4)
    b.fail(kBytesPerPoint, "trace 0 bytes/point", sapper::detail::concat("= ", bpp_word, " (2 or 4 expected)"));
  const std::size_t bpp = std::size_t(bpp_word);
  const std::size_t record = kTraceHeader + std::size_t(n_samples) * bpp;
  const std::size_t m = std::size_t(n_traces);
  if (const std::size_t whole = b.size() / record; whole < m)
    b.need(whole * record, (m - whole) * record, sapper::detail::concat("NUMBER OF TRACES = ", m, " traces of (128 + NUMBER OF PTS/TRC = ",
                                                 n_samples, " x ", bpp, ") bytes (the file holds ", whole, ")"));

  GprFile<T> out;
  out.path = path;
  out.format = "dt1";
  out.header = hd.fields();
  if (b.size() > m * record)  // more bytes than the HD describes: read what it describes, say so
    out.header["sapper: unread trailing bytes"] = std::to_string(b.size() - m * record);

  BScan<T> s;
  s.format.n_samples = n_samples;
  s.format.dt_ns = dt_ns;
  s.format.time_zero_ns = std::max(tz_point - 1.0, 0.0) * dt_ns;  // TIMEZERO AT POINT is 1-based
  if (!std::isfinite(s.format.time_zero_ns)) hd.fail("TIMEZERO AT POINT", "gives a time zero that is not finite");
  s.axes.antenna_mhz = antenna_mhz;
  detail::size_output(s.data, n_samples, Index(m));
  s.axes.position_m.resize(m);
  Eigen::Matrix<double, Eigen::Dynamic, 3> gps(Index(m), 3);
  bool has_gps = false;

  for (std::size_t j = 0; j < m; ++j) {
    const std::size_t off = j * record;
    const auto pts = b.le<float>(off + kPoints, "trace header number of points");
    if (pts != float(n_samples))
      b.fail(off + kPoints, sapper::detail::concat("trace ", j, " number of points"),
             sapper::detail::concat("= ", pts, " but NUMBER OF PTS/TRC = ", n_samples));
    const auto bj = b.le<float>(off + kBytesPerPoint, "trace header bytes/point");
    if (bj != bpp_word)
      b.fail(off + kBytesPerPoint, sapper::detail::concat("trace ", j, " bytes/point"),
             sapper::detail::concat("= ", bj, " but trace 0 has ", bpp_word));
    const double pos = double(b.le<float>(off + kPosition, "trace header position")) * unit_m;
    if (!std::isfinite(pos))
      b.fail(off + kPosition, sapper::detail::concat("trace ", j, " position"), "is not a finite number");
    s.axes.position_m[j] = pos;
    const double g[3] = {b.le<double>(off + kGpsX, "trace header GPS x"), b.le<double>(off + kGpsY, "trace header GPS y"),
                         b.le<double>(off + kGpsZ, "trace header GPS z")};
    for (int k = 0; k < 3; ++k) {
      gps(Index(j), k) = std::isfinite(g[k]) ? g[k] : 0.0;
      has_gps = has_gps || (std::isfinite(g[k]) && g[k] != 0);
    }
    if (b.le<float>(off + kCommentFlag, "trace header comment flag") != 0) out.marks.push_back(Index(j));
  }
  // The headers are checked (serially, so that the first bad trace is the one named); the samples
  // of all m records lie in the file (checked above), so they decode on all cores.
  parallel_for(Index(m), 0, [&](Index j0, Index j1) {
    for (auto j = std::size_t(j0); j < std::size_t(j1); ++j) {
      const std::size_t d0 = j * record + kTraceHeader;
      T* col = s.data.col(Index(j)).data();
      if (bpp == 2)
        b.le_words<std::int16_t>(d0, std::size_t(n_samples), col, "sample");
      else
        b.le_words<std::int32_t>(d0, std::size_t(n_samples), col, "sample");
    }
  }, 256);
  if (has_gps) s.axes.xyz = gps;
  s.validate();
  out.channels.push_back(std::move(s));
  return out;
}

template GprFile<float> read_dt1<float>(const std::string&);
template GprFile<double> read_dt1<double>(const std::string&);

}  // namespace sapper::io

// GSSI sidecar files beside a DZT: DZG (GPS, NMEA sentences tagged with scan numbers) and DZX
// (XML with user marks). Rules: docs/io.md, "GSSI DZG and DZX".
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <optional>
#include <string_view>

#include "bytes.hpp"
#include "sapper/io/gpr_file.hpp"
#include "sapper/io/position.hpp"

namespace sapper::io {

namespace {

constexpr std::size_t kMaxSidecarBytes = std::size_t(1) << 30;

[[noreturn]] void fail(const std::string& path, std::size_t line, std::string_view what) {
  throw FormatError(sapper::detail::concat(path, ": line ", line, ": ", what));
}

/// A non-negative integer that fills s (after trimming spaces), or -1.
long long integer(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  if (s.empty() || s.size() > 15) return -1;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// The text between <tag> (or <tag attr...>) and </tag>, searching from `from`; *end is just past
/// it, or npos when there is no such element. An element left open is a FormatError.
std::string_view element(const std::string& path, std::string_view xml, std::string_view tag, std::size_t from,
                         std::size_t* end) {
  *end = std::string_view::npos;
  std::string open("<"), close("</");
  open.append(tag), close.append(tag).append(">");
  for (std::size_t p = xml.find(open, from); p != std::string_view::npos; p = xml.find(open, p + 1)) {
    const std::size_t after = p + open.size();
    if (after >= xml.size() || (xml[after] != '>' && xml[after] != ' ')) continue;  // <WayPtX>, not <WayPt>
    const std::size_t body = xml.find('>', after), q = xml.find(close, body);
    if (q == std::string_view::npos)
      throw FormatError(sapper::detail::concat(path, ": <", tag, "> at byte ", p, " is not closed"));
    *end = q + close.size();
    return xml.substr(body + 1, q - body - 1);
  }
  return {};
}

}  // namespace

GpsTrack read_dzg(const std::string& path) {
  const std::string text = detail::read_text(path, kMaxSidecarBytes);
  GpsTrack t;
  // Per "$GSSIS" block: its first valid GGA, else its first valid RMC.
  long long scan = -1, last_scan = -1;
  std::optional<Fix> gga, rmc;
  const auto close_block = [&] {
    const auto& f = gga ? gga : rmc;
    if (scan >= 0 && f) {
      // several blocks may share a scan (GPS faster than the traces): the last fix wins
      if (t.scan.empty() || t.scan.back() != double(scan))
        for (auto* v : {&t.scan, &t.time_s, &t.lat_deg, &t.lon_deg, &t.altitude_m}) v->emplace_back();
      t.scan.back() = double(scan);
      t.time_s.back() = f->time_s;
      t.lat_deg.back() = f->lat_deg;
      t.lon_deg.back() = f->lon_deg;
      t.altitude_m.back() =
          std::isfinite(f->altitude_m) ? f->altitude_m + (std::isfinite(f->geoid_m) ? f->geoid_m : 0.0) : Fix::nan;
    }
    gga.reset(), rmc.reset();
  };
  std::size_t line_no = 0;
  for (std::size_t b = 0; b < text.size();) {
    std::size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string_view line(text.data() + b, e - b);
    b = e + 1, ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.rfind("$GSSIS,", 0) == 0) {
      close_block();
      const auto rest = line.substr(7);
      scan = integer(rest.substr(0, rest.find(',')));
      if (scan < 0) fail(path, line_no, "a $GSSIS line without a scan number: \"" + std::string(line.substr(0, 60)) + "\"");
      if (scan < last_scan)
        fail(path, line_no, sapper::detail::concat("scan ", scan, " after scan ", last_scan, " (scans must not go back)"));
      last_scan = scan;
      continue;
    }
    if (line.empty() || line.front() != '$' || scan < 0) continue;
    try {
      const auto f = parse_nmea(line);
      if (!f) continue;
      if (!f->valid || !std::isfinite(f->lat_deg) || !std::isfinite(f->lon_deg)) {
        ++t.skipped;
        continue;
      }
      auto& slot = f->type == 'G' ? gga : rmc;
      if (!slot) slot = f;
    } catch (const FormatError&) {
      ++t.skipped;  // a corrupted sentence (checksum, field): GPS logs have them; counted, not fatal
    }
  }
  close_block();
  return t;
}

std::vector<Index> read_dzx(const std::string& path) {
  const std::string text = detail::read_text(path, kMaxSidecarBytes);
  const std::string_view xml(text);
  std::vector<Index> marks;
  const auto add = [&](std::string_view s) {
    const long long v = integer(s);
    if (v < 0) throw FormatError(path + ": a mark's scan number \"" + std::string(s.substr(0, 40)) + "\" is not an integer");
    marks.push_back(Index(v));
  };
  std::size_t end = 0;
  // "File" / "ProfileGroup" layouts: <WayPt><scan>n</scan><mark>User</mark>...</WayPt>
  for (std::size_t p = 0;; p = end) {
    const auto wp = element(path, xml, "WayPt", p, &end);
    if (end == std::string_view::npos) break;
    std::size_t e2 = 0;
    const auto mark = element(path, wp, "mark", 0, &e2);
    if (e2 == std::string_view::npos || mark != "User") continue;
    const auto scan = element(path, wp, "scan", 0, &e2);
    if (e2 == std::string_view::npos) throw FormatError(path + ": a user mark (<WayPt>) without a <scan>");
    add(scan);
  }
  // "TargetGroup" layout: <TargetWayPt><scanSampChanProp>scan,sample,channel,...</scanSampChanProp>
  for (std::size_t p = 0;; p = end) {
    const auto wp = element(path, xml, "TargetWayPt", p, &end);
    if (end == std::string_view::npos) break;
    std::size_t e2 = 0;
    const auto ssc = element(path, wp, "scanSampChanProp", 0, &e2);
    if (e2 == std::string_view::npos) throw FormatError(path + ": a <TargetWayPt> without a <scanSampChanProp>");
    add(ssc.substr(0, ssc.find(',')));
  }
  std::sort(marks.begin(), marks.end());
  marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
  return marks;
}

namespace detail {

template <class T>
void attach_gssi_sidecars(GprFile<T>& f) {
  if (f.channels.empty()) return;
  const auto m = std::size_t(f.channels[0].data.cols());
  if (const auto dzx = sibling(f.path, {".DZX", ".dzx", ".Dzx"}); !dzx.empty()) {
    std::size_t outside = 0;
    for (const Index k : read_dzx(dzx)) {
      if (std::size_t(k) < m) f.marks.push_back(k);
      else ++outside;
    }
    std::sort(f.marks.begin(), f.marks.end());
    f.marks.erase(std::unique(f.marks.begin(), f.marks.end()), f.marks.end());
    f.header["dzx_path"] = dzx;
    f.header["dzx_marks_beyond_last_trace"] = std::to_string(outside);
  }
  const auto dzg = sibling(f.path, {".DZG", ".dzg", ".Dzg"});
  if (dzg.empty()) return;
  const GpsTrack t = read_dzg(dzg);
  f.header["dzg_path"] = dzg;
  f.header["dzg_fixes"] = std::to_string(t.scan.size());
  f.header["dzg_skipped_sentences"] = std::to_string(t.skipped);
  if (t.scan.empty()) return;
  // Each trace's fix: linear in the scan number between fixes, the nearest fix beyond them.
  const bool has_h = std::all_of(t.altitude_m.begin(), t.altitude_m.end(), [](double h) { return std::isfinite(h); });
  const double lat0 = t.lat_deg[0], lon0 = t.lon_deg[0], h0 = has_h ? t.altitude_m[0] : 0.0;
  Eigen::Matrix<double, Eigen::Dynamic, 3> xyz(Index(m), 3);
  std::size_t j = 0;
  for (std::size_t k = 0; k < m; ++k) {
    const double s = double(k);
    while (j + 1 < t.scan.size() && t.scan[j + 1] <= s) ++j;
    std::size_t a = j, b = std::min(j + 1, t.scan.size() - 1);
    double w = 0;
    if (s > t.scan[a] && b != a) w = (s - t.scan[a]) / (t.scan[b] - t.scan[a]);
    if (s < t.scan[0]) a = b = 0, w = 0;
    const auto lerp = [&](const std::vector<double>& v) { return v[a] + w * (v[b] - v[a]); };
    const Enu e = to_local(lerp(t.lat_deg), lerp(t.lon_deg), has_h ? lerp(t.altitude_m) : 0.0, lat0, lon0, h0);
    xyz(Index(k), 0) = e.east_m, xyz(Index(k), 1) = e.north_m, xyz(Index(k), 2) = has_h ? e.up_m : Fix::nan;
  }
  f.header["origin_lat_deg"] = sapper::detail::concat(std::setprecision(12), lat0);
  f.header["origin_lon_deg"] = sapper::detail::concat(std::setprecision(12), lon0);
  f.header["origin_h_m"] = sapper::detail::concat(std::setprecision(12), h0);
  for (auto& c : f.channels) {
    c.axes.xyz = xyz;
    if (c.axes.position_m.empty()) {  // a time-mode survey: distance along the GPS track
      c.axes.position_m.assign(m, 0.0);
      for (std::size_t k = 1; k < m; ++k)
        c.axes.position_m[k] = c.axes.position_m[k - 1] + std::hypot(xyz(Index(k), 0) - xyz(Index(k - 1), 0),
                                                                      xyz(Index(k), 1) - xyz(Index(k - 1), 1));
    }
  }
}

template void attach_gssi_sidecars<float>(GprFile<float>&);
template void attach_gssi_sidecars<double>(GprFile<double>&);

}  // namespace detail

}  // namespace sapper::io

// Geometrics G-858 STN text (MagMapper export): written in reverse order, the last line of the file
// recorded first. Rules: docs/io.md, "Geometrics G-858 STN". Read line by line; nothing is sized
// from a number in the file.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>

#include "bytes.hpp"
#include "text.hpp"
#include "sapper/core/error.hpp"
#include "sapper/io/mag_file.hpp"

namespace sapper::io {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxLineBytes = 1 << 20;
using sapper::detail::concat;
using namespace sapper::io::detail;

std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> f;
  for (std::size_t i = 0; i < s.size();) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const std::size_t j = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > j) f.push_back(s.substr(j, i - j));
  }
  return f;
}

std::optional<long> to_int(std::string_view s) {
  long v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return {};
  return v;
}

/// "mm/dd/yy" (yy < 80: 20yy, else 19yy) -> days since 1970.
std::optional<long long> parse_date(std::string_view s, std::string* iso) {
  unsigned m = 0, d = 0, y = 0;
  if (s.size() != 8 || s[2] != '/' || s[5] != '/' || !parse_uint(s.substr(0, 2), m) || !parse_uint(s.substr(3, 2), d) ||
      !parse_uint(s.substr(6, 2), y) || m < 1 || m > 12 || d < 1 || d > 31)
    return {};
  y += y < 80 ? 2000 : 1900;
  if (iso) *iso = concat(y, '-', m < 10 ? "0" : "", m, '-', d < 10 ? "0" : "", d);
  return days_from_civil(y, m, d);
}

struct Row {
  std::size_t line_no;
  bool mark;          // a "3" row
  double v[2];        // data: sensors; mark: x, y
  double clock;       // seconds of the day
  long long day;      // days since 1970
  std::string iso;
  long line = 0, code = 0;  // mark rows: line number, mark code
};

/// The sensor geometry of pymagra's project file beside the .stn (the STN itself carries none):
/// nine lines, read by position as pymagra does: data type, title, line direction (deg), height of
/// sensor 1 (m), height of sensor 2 (m; horizontal layout: the distance between the sensors),
/// layout (0 vertical, 1 horizontal), Earth field (nT), inclination, declination (deg). Layout and
/// choices: docs/io.md, "Sensor geometry".
void read_g858_config(const std::string& path, MagLineData& out) {
  const std::string text = detail::read_text(path, 1 << 16);
  std::vector<std::string_view> lines;
  for (std::size_t i = 0; i <= text.size();) {
    std::size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    std::string_view l(text.data() + i, j - i);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (j < text.size() || !l.empty()) lines.push_back(l);
    i = j + 1;
  }
  static constexpr const char* kNames[9] = {"data type", "title", "line direction (deg)", "height of sensor 1 (m)",
                                            "height of sensor 2 (m)", "sensor layout (0 vertical, 1 horizontal)",
                                            "field strength (nT)", "inclination (deg)", "declination (deg)"};
  const auto fail = [&](std::size_t k, std::string_view what) -> void {
    throw FormatError(concat(path, ": line ", k + 1, " (", kNames[k], "): ", what));
  };
  if (lines.size() < 9)
    throw FormatError(concat(path, ": line ", lines.size() + 1, " (", kNames[lines.size()],
                             "): missing (a G-858 project .config has 9 lines, this one ", lines.size(), ")"));
  double v[9] = {};
  for (std::size_t k = 0; k < 9; ++k) {
    if (!valid_utf8(lines[k])) fail(k, "is not UTF-8 text");
    if (k < 2) continue;
    const auto f = fields(lines[k]);
    const auto x = f.size() == 1 ? parse_finite(f[0]) : std::nullopt;
    if (!x) fail(k, concat("'", printable(lines[k]), "' is not a number"));
    v[k] = *x;
  }
  if (v[5] != 0 && v[5] != 1) fail(5, concat(v[5], " is not 0 (vertical) or 1 (horizontal)"));
  const bool vertical = v[5] == 0;
  if (!(v[3] >= 0)) fail(3, concat(v[3], " m is below the ground"));
  if (!(v[4] >= 0)) fail(4, concat(v[4], vertical ? " m is below the ground" : " m is not a distance"));
  const auto trim = [](std::string_view l) {
    const auto f = fields(l);
    return f.empty() ? std::string() : std::string(f.front().data(), f.back().data() + f.back().size());
  };
  auto& H = out.header;
  H["config data_type"] = printable(trim(lines[0]));
  H["config title"] = printable(trim(lines[1]));
  H["config line_direction_deg"] = concat(v[2]);
  H["config height1_m"] = concat(v[3]);
  H["config height2_m"] = concat(v[4]);
  H["config layout"] = vertical ? "vertical" : "horizontal";
  H["config field_nt"] = concat(v[6]);
  H["config inclination_deg"] = concat(v[7]);
  H["config declination_deg"] = concat(v[8]);
  const std::size_t n = out.sensors_nt.size();
  out.sensor_along_m.assign(n, 0.0);
  out.sensor_across_m.assign(n, 0.0);
  out.sensor_height_m.assign(n, v[3]);
  if (n == 2 && vertical) out.sensor_height_m[1] = v[4];
  if (n == 2 && !vertical) out.sensor_across_m = {-v[4] / 2, v[4] / 2};  // sensor 1 left of travel
}

}  // namespace

MagLineData read_g858(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open the file");
  std::size_t no = 0;
  const auto fail = [&](std::string_view what) -> void { throw FormatError(concat(path, ": line ", no, ": ", what)); };
  const auto fail_col = [&](std::string_view col, std::string_view what) -> void {
    throw FormatError(concat(path, ": line ", no, ", column '", col, "': ", what));
  };
  std::vector<Row> rows;
  std::string first_row;
  int n_sensors = 0;
  std::string line;
  for (;;) {
    line.clear();
    char c;
    bool any = false;
    while (in.get(c)) {
      any = true;
      if (c == '\n') break;
      if (line.size() >= kMaxLineBytes) {
        ++no;
        fail("a line longer than 1 MiB (not a text file?)");
      }
      line += c;
    }
    if (!any) break;
    ++no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!valid_utf8(line)) fail("is not UTF-8 text (binary data or a legacy code page?)");
    const auto f = fields(line);
    if (f.empty()) continue;
    const auto code = to_int(f[0]);
    if (!code) fail_col("code", concat("'", printable(f[0]), "' is not a record code (0 reading, 3 mark)"));
    if (first_row.empty()) first_row = printable(line);
    if (*code != 0 && *code != 3) continue;  // e.g. the "99 0 0" first row
    Row r{};
    r.line_no = no;
    r.mark = *code == 3;
    std::size_t k = 1;
    if (r.mark) {
      // 3 x y hh:mm:ss.ss mm/dd/yy count line mark_no code
      if (f.size() < 9) fail(concat("a mark row of ", f.size(), " fields (9 expected: 3 x y time date count line mark code)"));
      for (int j = 0; j < 2; ++j) {
        const auto v = parse_finite(f[k]);
        if (!v) fail_col(j ? "y" : "x", concat("'", printable(f[k]), "' is not a number"));
        r.v[j] = *v;
        ++k;
      }
    } else {
      // 0 s1 [s2] hh:mm:ss.ss mm/dd/yy ...
      std::size_t t = 1;
      while (t < f.size() && f[t].find(':') == std::string_view::npos) ++t;
      if (t >= f.size() || t + 1 >= f.size())
        fail(concat("a truncated reading row of ", f.size(), " fields (0, sensors, time, date expected)"));
      const int ns = int(t - 1);
      if (ns < 1 || ns > 2) fail(concat("a reading row with ", ns, " sensor values (1 or 2 expected)"));
      if (n_sensors == 0) n_sensors = ns;
      if (ns != n_sensors) fail(concat("a reading row with ", ns, " sensor values where earlier rows have ", n_sensors));
      r.v[1] = kNaN;
      for (int j = 0; j < ns; ++j) {
        const auto v = parse_finite(f[k]);
        if (!v) fail_col(concat("sensor ", j + 1), concat("'", printable(f[k]), "' is not a number"));
        r.v[j] = *v;
        ++k;
      }
    }
    const auto clock = parse_clock(f[k]);
    if (!clock) fail_col("time", concat("'", printable(f[k]), "' is not a time (hh:mm:ss.ss)"));
    r.clock = *clock;
    const auto day = parse_date(f[k + 1], &r.iso);
    if (!day) fail_col("date", concat("'", printable(f[k + 1]), "' is not a date (mm/dd/yy)"));
    r.day = *day;
    if (r.mark) {
      const auto ln = to_int(f[6]), cd = to_int(f[8]);
      if (!ln) fail_col("line", concat("'", printable(f[6]), "' is not an integer"));
      if (!cd) fail_col("mark code", concat("'", printable(f[8]), "' is not an integer"));
      r.line = *ln;
      r.code = *cd;
    }
    rows.push_back(std::move(r));
  }
  if (no == 0) throw FormatError(path + ": line 1: the file is empty");
  std::reverse(rows.begin(), rows.end());  // recording order

  MagLineData out;
  out.format = "g858";
  if (!first_row.empty()) out.header["first_row"] = first_row;
  std::optional<long long> day0;
  // Anchors: (sample index, x, y) per line, in recording order.
  struct Anchor {
    std::size_t i;
    double x, y;
  };
  std::vector<std::vector<Anchor>> anchors;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // [first, end) samples per line
  bool in_line = false;
  double line_no = kNaN;
  std::vector<double> line_col, mark_col;
  std::size_t lines = 0, marks = 0;
  for (const Row& r : rows) {
    const std::size_t n = out.time_s.size();
    if (r.mark) {
      if (r.code == 36) {  // start of a line: anchored at the next reading
        if (in_line) spans.back().second = n;
        in_line = true;
        line_no = double(r.line);
        anchors.push_back({{n, r.v[0], r.v[1]}});
        spans.push_back({n, n});
        ++lines;
        out.header[concat("line ", lines - 1)] =
            concat("number ", r.line, ", start x ", r.v[0], " y ", r.v[1]);
      } else if ((r.code == 4 || r.code == 5) && in_line) {  // a mark / the end: anchored at the previous reading
        if (n > spans.back().first) {
          auto& a = anchors.back();
          const std::size_t i = n - 1;
          if (!a.empty() && a.back().i == i) a.back() = {i, r.v[0], r.v[1]};
          else a.push_back({i, r.v[0], r.v[1]});
          mark_col[i] = double(r.code);
          ++marks;
        }
        if (r.code == 5) {
          spans.back().second = n;
          in_line = false;
          line_no = kNaN;
        }
      }
      continue;
    }
    if (!day0) {
      day0 = r.day;
      out.header["date"] = r.iso;
    }
    out.time_s.push_back(r.clock + double(r.day - *day0) * 86400.0);
    if (out.sensors_nt.empty()) out.sensors_nt.resize(std::size_t(n_sensors));
    for (int j = 0; j < n_sensors; ++j) out.sensors_nt[std::size_t(j)].push_back(r.v[j]);
    line_col.push_back(line_no);
    mark_col.push_back(in_line && !anchors.back().empty() && anchors.back().front().i == n ? 36.0 : 0.0);
  }
  if (in_line) spans.back().second = out.time_s.size();
  if (out.time_s.empty()) throw FormatError(concat(path, ": line ", no, ": no reading rows (code 0)"));
  const std::size_t n = out.size();
  out.x_m.assign(n, kNaN);
  out.y_m.assign(n, kNaN);
  for (std::size_t l = 0; l < anchors.size(); ++l) {
    const auto& a = anchors[l];
    for (std::size_t k = 0; k + 1 < a.size(); ++k) {
      const std::size_t i0 = a[k].i, i1 = a[k + 1].i;
      for (std::size_t i = i0; i <= i1 && i < n; ++i) {
        const double t = i1 > i0 ? double(i - i0) / double(i1 - i0) : 1.0;
        out.x_m[i] = a[k].x + (a[k + 1].x - a[k].x) * t;
        out.y_m[i] = a[k].y + (a[k + 1].y - a[k].y) * t;
      }
    }
    if (a.size() == 1 && a[0].i < n && a[0].i < spans[l].second) out.x_m[a[0].i] = a[0].x, out.y_m[a[0].i] = a[0].y;
  }
  out.lat_deg.assign(n, kNaN);
  out.lon_deg.assign(n, kNaN);
  out.altitude_m.assign(n, kNaN);
  out.valid.assign(n, 1);
  for (int j = 0; j < n_sensors; ++j) out.sensor_names.push_back(concat("sensor", j + 1));
  out.extra["line"] = std::move(line_col);
  out.extra["mark"] = std::move(mark_col);
  out.header["lines"] = concat(lines);
  out.header["marks"] = concat(marks);
  if (const auto config = detail::sibling(path, {".config", ".CONFIG"}); !config.empty()) read_g858_config(config, out);
  return out;
}

}  // namespace sapper::io

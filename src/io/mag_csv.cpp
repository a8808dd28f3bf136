// Magnetometer line data and base stations: delimited text (MagArrow, MagDrone, sapper CSV) and
// IAGA-2002. Read line by line; nothing is sized from a number in the file.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>

#include "sapper/core/error.hpp"
#include "sapper/io/mag_file.hpp"
#include "sapper/io/position.hpp"
#include "text.hpp"

namespace sapper::io {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxPreambleLines = 10000;
constexpr std::size_t kMaxLineBytes = 1 << 20;

using sapper::detail::concat;
using namespace sapper::io::detail;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string column_key(std::string_view name, std::string* unit = nullptr) {
  std::string out;
  int depth = 0;
  for (const char c : name) {
    if (c == '[') {
      ++depth;
    } else if (c == ']') {
      depth = std::max(0, depth - 1);
    } else if (depth == 0) {
      out += c;
    } else if (unit) {
      *unit += c;
    }
  }
  if (unit) *unit = lower(trim(*unit));
  return lower(trim(out));
}

/// Reads a text file line by line (LF or CRLF), counting lines; refuses lines over 1 MiB.
class LineReader {
 public:
  explicit LineReader(std::string path) : path_(std::move(path)), in_(path_, std::ios::binary) {
    if (!in_) throw FormatError(path_ + ": cannot open the file");
  }
  bool next(std::string& line) {
    line.clear();
    if (!in_) return false;
    char c;
    bool any = false;
    while (in_.get(c)) {
      any = true;
      if (c == '\n') break;
      if (line.size() >= kMaxLineBytes) fail("a line longer than 1 MiB (not a text file?)");
      line += c;
    }
    if (!any) return false;
    ++no_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  std::size_t line_no() const { return no_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(std::string_view what) const {
    throw FormatError(concat(path_, ": line ", no_ + (no_ == 0), ": ", what));
  }
  [[noreturn]] void fail(std::string_view column, std::string_view what) const {
    throw FormatError(concat(path_, ": line ", no_, ", column '", column, "': ", what));
  }

 private:
  std::string path_;
  std::ifstream in_;
  std::size_t no_ = 0;
};

/// Splits on the delimiter outside double quotes; quotes are removed ("" inside quotes: one ").
void split(std::string_view line, char delim, std::vector<std::string>& out) {
  out.clear();
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delim) {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(std::move(cur));
}

char detect_delimiter(std::string_view line) {
  std::size_t best = 0;
  char d = 0;
  for (const char c : {',', ';', '\t'}) {
    std::size_t n = 0;
    bool quoted = false;
    for (const char x : line) {
      if (x == '"') quoted = !quoted;
      else if (x == c && !quoted) ++n;
    }
    if (n > best) best = n, d = c;
  }
  return d;
}

/// A number (surrounding spaces, a leading '+'); nullopt for an empty field; throws via fail otherwise.
std::optional<double> number(std::string_view s, bool& ok) {
  s = trim(s);
  ok = true;
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    ok = false;
    return std::nullopt;
  }
  return v;
}

/// "YYYY/MM/DD", "YYYY-MM-DD" or "DD.MM.YYYY" -> days since 1970; nullopt if malformed.
std::optional<long long> parse_date(std::string_view s, std::string* iso = nullptr) {
  s = trim(s);
  unsigned y = 0, m = 0, d = 0;
  if (s.size() == 10 && (s[4] == '/' || s[4] == '-') && s[7] == s[4]) {
    if (!parse_uint(s.substr(0, 4), y) || !parse_uint(s.substr(5, 2), m) || !parse_uint(s.substr(8, 2), d)) return {};
  } else if (s.size() == 10 && s[2] == '.' && s[5] == '.') {
    if (!parse_uint(s.substr(6, 4), y) || !parse_uint(s.substr(3, 2), m) || !parse_uint(s.substr(0, 2), d)) return {};
  } else {
    return {};
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return {};
  if (iso) *iso = concat(y, '-', m < 10 ? "0" : "", m, '-', d < 10 ? "0" : "", d);
  return days_from_civil(y, m, d);
}

/// A column name as written without its bracketed unit.
std::string display(std::string_view name) {
  std::string out;
  int depth = 0;
  for (const char c : name) {
    if (c == '[') ++depth;
    else if (c == ']') depth = std::max(0, depth - 1);
    else if (depth == 0) out += c;
  }
  return std::string(trim(out));
}

bool is_empty_columns(const MagColumns& c) { return c.empty(); }

/// The column mapping for a header, from the caller or a preset; sets format.
using Resolver = std::function<MagColumns(const std::vector<std::string>& keys, std::string& format)>;

struct Table {
  std::vector<std::string> names;  // as written, trimmed
  std::vector<std::string> keys;   // column_key
  std::vector<std::string> units;
};

std::string available(const Table& t) {
  std::string s;
  for (const auto& n : t.names) {
    if (n.empty()) continue;
    if (!s.empty()) s += ", ";
    s += "'" + printable(n) + "'";
  }
  return s;
}

bool has(const std::vector<std::string>& keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

MagColumns preset(const std::vector<std::string>& keys, std::string& format) {
  MagColumns c;
  if (has(keys, "mag") && has(keys, "time") && has(keys, "latitude") && has(keys, "longitude")) {
    format = "magarrow";
    c.time = "time";
    if (has(keys, "date")) c.date = "date";
    c.lat = "latitude";
    c.lon = "longitude";
    if (has(keys, "altitude")) c.altitude = "altitude";
    c.sensors = {"mag"};
    if (has(keys, "magvalid")) c.valid = "magvalid";
  } else if (has(keys, "timestamp") && has(keys, "b1x") && has(keys, "b1y") && has(keys, "b1z")) {
    format = "magdrone";
    c.time = "timestamp";
    for (const char* s : {"b1", "b2", "b3", "b4"}) {
      const std::string p(s);
      if (has(keys, p + "x") && has(keys, p + "y") && has(keys, p + "z"))
        c.vector_sensors.push_back({p + "x", p + "y", p + "z"});
    }
    if (has(keys, "latitude") && has(keys, "longitude")) c.lat = "latitude", c.lon = "longitude";
    if (has(keys, "altitude")) c.altitude = "altitude";
  } else if (has(keys, "time_s") && has(keys, "total_field_nt")) {
    format = "sapper";
    c.time = "time_s";
    if (has(keys, "x_m")) c.x = "x_m";
    if (has(keys, "y_m")) c.y = "y_m";
    c.sensors = {"total_field_nt"};
    for (const char* e : {"line", "direction", "sensor", "z_m"})
      if (has(keys, e)) c.extra.push_back(e);
  }
  return c;
}

/// A column reference resolved to an index, with its unit scale for time.
struct Col {
  int index = -1;
  std::string name;
};

class MagReader {
 public:
  MagReader(const std::string& path, const Resolver& resolve, char delimiter = 0) : in_(path) { read(resolve, delimiter); }
  MagLineData out;

 private:
  LineReader in_;
  Table t_;
  char delim_ = 0;

  Col find(const std::string& name) {
    const std::string k = column_key(name);
    for (std::size_t i = 0; i < t_.keys.size(); ++i)
      if (t_.keys[i] == k && !k.empty()) return {int(i), t_.names[i]};
    throw FormatError(concat(in_.path(), ": line ", header_line_, ": no column '", printable(name),
                             "' (available: ", available(t_), ")"));
  }
  std::optional<Col> find_opt(const std::string& name) {
    if (name.empty()) return std::nullopt;
    return find(name);
  }

  std::size_t header_line_ = 0;

  static void keep(std::map<std::string, std::string>& h, std::string_view line, std::size_t line_no) {
    std::string_view s = trim(line);
    while (!s.empty() && s.front() == '#') s.remove_prefix(1);
    s = trim(s);
    if (s.empty() || s.find_first_not_of("-#=*_ ") == std::string_view::npos) return;
    const auto at = s.find(':');
    if (at != std::string_view::npos && at > 0) {
      h.emplace(std::string(trim(s.substr(0, at))), std::string(trim(s.substr(at + 1))));
    } else {
      h.emplace(concat("line ", line_no), std::string(s));
    }
  }

  void read(const Resolver& resolve, char want_delim = 0) {
    std::string line;
    std::vector<std::string> f;
    // Preamble: '#' comments, blank lines, "key: value" lines, one-field lines; then the header row.
    for (;;) {
      if (!in_.next(line)) {
        if (in_.line_no() == 0) in_.fail("the file is empty");
        throw FormatError(concat(in_.path(), ": no header row (a row of column names) in ", in_.line_no(), " lines"));
      }
      if (in_.line_no() > kMaxPreambleLines)
        in_.fail(concat("no header row in the first ", kMaxPreambleLines, " lines"));
      if (in_.line_no() == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
      if (!valid_utf8(line)) in_.fail("is not UTF-8 text (binary data or a legacy code page?)");
      const std::string_view s = trim(line);
      if (s.empty()) continue;
      if (s.front() == '#') {
        keep(out.header, s, in_.line_no());
        continue;
      }
      const char d = want_delim ? want_delim : detect_delimiter(s);
      if (d == 0) {
        keep(out.header, s, in_.line_no());
        continue;
      }
      split(s, d, f);
      if (f.size() < 2 || f[0].find(':') != std::string::npos) {
        keep(out.header, s, in_.line_no());
        continue;
      }
      delim_ = d;
      break;
    }
    header_line_ = in_.line_no();
    for (auto& n : f) {
      std::string unit;
      t_.names.emplace_back(trim(n));
      t_.keys.push_back(column_key(n, &unit));
      t_.units.push_back(unit);
    }
    std::string format;
    const MagColumns c = resolve(t_.keys, format);
    if (c.empty())
      throw FormatError(concat(in_.path(), ": line ", header_line_,
                               ": unknown column layout (not MagArrow, MagDrone or sapper CSV); pass a column "
                               "mapping (columns: ",
                               available(t_), ")"));
    out.format = format;
    parse_rows(c);
  }

  void parse_rows(const MagColumns& c) {
    const Col time = find(c.time.empty() ? std::string("time") : c.time);
    const auto date = find_opt(c.date);
    const auto x = find_opt(c.x), y = find_opt(c.y), lat = find_opt(c.lat), lon = find_opt(c.lon);
    const auto alt = find_opt(c.altitude), valid = find_opt(c.valid);
    std::vector<std::vector<Col>> sensors;
    for (const auto& s : c.sensors) {
      sensors.push_back({find(s)});
      out.sensor_names.push_back(display(sensors.back()[0].name));
    }
    for (const auto& v : c.vector_sensors) {
      if (v.size() != 3) throw ValueError("a vector sensor needs three columns (x, y, z)");
      sensors.push_back({find(v[0]), find(v[1]), find(v[2])});
      // the name: the common prefix of the three names without units ("B1x", "B1y", "B1z" -> "B1")
      std::string a = column_key(v[0]), b = column_key(v[1]), z = column_key(v[2]);
      std::size_t n = 0;
      while (n < a.size() && n < b.size() && n < z.size() && a[n] == b[n] && a[n] == z[n]) ++n;
      const std::string& written = sensors.back()[0].name;
      out.sensor_names.push_back(n > 0 ? std::string(trim(display(written).substr(0, n))) : "|" + a + "," + b + "," + z + "|");
    }
    std::vector<Col> extra;
    for (const auto& e : c.extra) {
      extra.push_back(find(e));
      out.extra[e];
    }
    out.sensors_nt.resize(sensors.size());
    const std::string& tunit = t_.units[std::size_t(time.index)];
    const double tscale = tunit == "ms" ? 1e-3 : tunit == "us" ? 1e-6 : tunit == "min" ? 60.0 : tunit == "h" ? 3600.0 : 1.0;
    std::optional<long long> day0;

    std::string line;
    std::vector<std::string> f;
    auto value = [&](const Col& col) -> double {
      if (std::size_t(col.index) >= f.size()) return kNaN;  // a short (ragged) row
      bool ok = false;
      const auto v = number(f[std::size_t(col.index)], ok);
      if (!ok) in_.fail(printable(col.name), concat("'", printable(trim(f[std::size_t(col.index)])), "' is not a number"));
      return v ? *v : kNaN;
    };
    while (in_.next(line)) {
      const std::string_view s = trim(line);
      if (s.empty() || s.front() == '#') continue;
      split(s, delim_, f);
      // time
      if (std::size_t(time.index) >= f.size() || trim(f[std::size_t(time.index)]).empty())
        in_.fail(printable(time.name), "no time value");
      const std::string_view tv = trim(f[std::size_t(time.index)]);
      double t = 0;
      if (tv.find(':') != std::string_view::npos) {
        const auto clock = parse_clock(tv);
        if (!clock) in_.fail(printable(time.name), concat("'", printable(tv), "' is not a time (hh:mm:ss.sss)"));
        t = *clock;
      } else {
        t = value(time) * tscale;
      }
      if (date) {
        if (std::size_t(date->index) >= f.size()) in_.fail(printable(date->name), "no date value");
        std::string iso;
        const auto d = parse_date(f[std::size_t(date->index)], &iso);
        if (!d)
          in_.fail(printable(date->name),
                   concat("'", printable(trim(f[std::size_t(date->index)])), "' is not a date (YYYY/MM/DD, YYYY-MM-DD or DD.MM.YYYY)"));
        if (!day0) {
          day0 = *d;
          out.header["date"] = iso;
        }
        t += double(*d - *day0) * 86400.0;
      }
      out.time_s.push_back(t);
      double la = lat ? value(*lat) : kNaN, lo = lon ? value(*lon) : kNaN, h = alt ? value(*alt) : kNaN;
      if (la == 0 && lo == 0) la = lo = h = kNaN;  // no fix (MagDrone writes 0 in every GPS column)
      out.lat_deg.push_back(la);
      out.lon_deg.push_back(lo);
      out.altitude_m.push_back(h);
      out.x_m.push_back(x ? value(*x) : kNaN);
      out.y_m.push_back(y ? value(*y) : kNaN);
      for (std::size_t k = 0; k < sensors.size(); ++k) {
        double v = 0;
        if (sensors[k].size() == 1) {
          v = value(sensors[k][0]);
        } else {
          const double bx = value(sensors[k][0]), by = value(sensors[k][1]), bz = value(sensors[k][2]);
          v = std::sqrt(bx * bx + by * by + bz * bz);
        }
        out.sensors_nt[k].push_back(v);
      }
      if (valid) {
        const double v = value(*valid);
        out.valid.push_back(std::isfinite(v) && v != 0 ? 1 : 0);
      } else {
        out.valid.push_back(1);
      }
      for (std::size_t k = 0; k < extra.size(); ++k) out.extra[c.extra[k]].push_back(value(extra[k]));
    }
    if (out.time_s.empty())
      throw FormatError(concat(in_.path(), ": line ", header_line_, ": a header row but no data rows"));
    // x/y from lat/lon: east/north (m) of the tangent plane at the first fix, height 0.
    if (!x && !y && lat && lon) {
      const std::size_t n = out.size();
      std::size_t i0 = 0;
      while (i0 < n && !(std::isfinite(out.lat_deg[i0]) && std::isfinite(out.lon_deg[i0]))) ++i0;
      if (i0 < n) {
        const double la0 = out.lat_deg[i0], lo0 = out.lon_deg[i0];
        out.header["origin_lat_deg"] = concat(la0);
        out.header["origin_lon_deg"] = concat(lo0);
        for (std::size_t i = 0; i < n; ++i) {
          if (!(std::isfinite(out.lat_deg[i]) && std::isfinite(out.lon_deg[i]))) continue;
          if (std::abs(out.lat_deg[i]) > 90 || std::abs(out.lon_deg[i]) > 360) continue;
          const Enu e = to_local(out.lat_deg[i], out.lon_deg[i], 0, la0, lo0, 0);
          out.x_m[i] = e.east_m;
          out.y_m[i] = e.north_m;
        }
      }
    }
  }
};

bool is_missing_iaga(double v) { return std::abs(v - 99999.0) < 0.5 || std::abs(v - 88888.0) < 0.5; }

}  // namespace

MagLineData read_mag_csv(const std::string& path, const MagColumns& columns) {
  Resolver r = [&](const std::vector<std::string>& keys, std::string& format) {
    if (!is_empty_columns(columns)) {
      format = "csv";
      return columns;
    }
    return preset(keys, format);
  };
  MagReader m(path, r, columns.delimiter);
  return std::move(m.out);
}

BaseStation read_base_csv(const std::string& path, const std::string& time_column, const std::string& field_column) {
  Resolver r = [&](const std::vector<std::string>& keys, std::string& format) {
    format = "csv";
    MagColumns c;
    c.time = time_column;
    if (c.time.empty()) c.time = has(keys, "time_s") ? "time_s" : "time";
    std::string f = field_column;
    if (f.empty())
      for (const char* k : {"field_nt", "f", "total"})
        if (has(keys, k)) {
          f = k;
          break;
        }
    c.sensors = {f.empty() ? std::string("field_nt") : f};
    return c;
  };
  MagReader m(path, r);
  BaseStation b;
  b.time_s = std::move(m.out.time_s);
  b.field_nt = std::move(m.out.sensors_nt[0]);
  b.header = std::move(m.out.header);
  return b;
}

BaseStation read_iaga2002(const std::string& path) {
  LineReader in(path);
  BaseStation b;
  std::string line;
  bool format_seen = false;
  std::string letters;  // the four components, from the column header
  // Header: "Key <spaces> value |" lines (the key in columns 1-24), " #" comments, then "DATE TIME DOY ...".
  for (;;) {
    if (!in.next(line)) {
      if (in.line_no() == 0) in.fail("the file is empty");
      throw FormatError(concat(path, ": no IAGA-2002 column header (DATE TIME DOY ...) in ", in.line_no(), " lines"));
    }
    if (in.line_no() > kMaxPreambleLines) in.fail("no IAGA-2002 column header");
    if (!valid_utf8(line)) in.fail("is not UTF-8 text (binary data or a legacy code page?)");
    std::string_view s = line;
    if (const auto bar = s.rfind('|'); bar != std::string_view::npos) s = s.substr(0, bar);
    const std::string_view ts = trim(s);
    if (ts.empty()) continue;
    if (ts.front() == '#') {
      b.header.emplace(concat("comment ", in.line_no()), std::string(trim(ts.substr(1))));
      continue;
    }
    if (ts.size() >= 4 && lower(ts.substr(0, 4)) == "date") {
      std::vector<std::string> names;
      std::string cur;
      for (const char c : ts) {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!cur.empty()) names.push_back(std::move(cur)), cur.clear();
        } else {
          cur += c;
        }
      }
      if (!cur.empty()) names.push_back(cur);
      if (names.size() != 7 || lower(names[1]) != "time" || lower(names[2]) != "doy")
        in.fail("column header: expected DATE TIME DOY and four components");
      for (std::size_t k = 3; k < 7; ++k) letters += char(std::toupper(static_cast<unsigned char>(names[k].back())));
      break;
    }
    const std::string key(trim(s.substr(0, std::min<std::size_t>(24, s.size()))));
    const std::string value(trim(s.size() > 24 ? s.substr(24) : std::string_view()));
    if (lower(key) == "format") {
      if (lower(value).find("iaga-2002") == std::string::npos) in.fail("Format", "'" + printable(value) + "' is not IAGA-2002");
      format_seen = true;
    }
    b.header.emplace(key, value);
  }
  if (!format_seen) in.fail("no 'Format IAGA-2002' header line before the column header");
  const auto pos = [&](char c) -> int {
    const auto p = letters.find(c);
    return p == std::string::npos ? -1 : int(p);
  };
  const int iF = pos('F'), iX = pos('X'), iY = pos('Y'), iZ = pos('Z'), iH = pos('H');
  std::optional<long long> day0;
  std::vector<std::string_view> f;
  while (in.next(line)) {
    if (trim(line).empty()) continue;
    f.clear();
    std::string_view s = line;
    for (std::size_t i = 0; i < s.size();) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      const std::size_t j = i;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      if (i > j) f.push_back(s.substr(j, i - j));
    }
    if (f.size() != 7) in.fail(concat("a data row of ", f.size(), " fields (7 expected: DATE TIME DOY and four components)"));
    std::string iso;
    const auto d = parse_date(f[0], &iso);
    if (!d) in.fail("DATE", concat("'", printable(f[0]), "' is not a date (YYYY-MM-DD)"));
    const auto clock = parse_clock(f[1]);
    if (!clock) in.fail("TIME", concat("'", printable(f[1]), "' is not a time (hh:mm:ss.sss)"));
    if (!day0) {
      day0 = *d;
      b.header["date"] = iso;
    }
    double v[4];
    for (int k = 0; k < 4; ++k) {
      bool ok = false;
      const auto x = number(f[std::size_t(3 + k)], ok);
      const std::string col(1, letters[std::size_t(k)]);
      if (!ok || !x) in.fail(col, concat("'", printable(f[std::size_t(3 + k)]), "' is not a number"));
      v[k] = is_missing_iaga(*x) ? kNaN : *x;
    }
    b.time_s.push_back(double(*d - *day0) * 86400.0 + *clock);
    double F = iF >= 0 ? v[iF] : kNaN;
    if (!std::isfinite(F)) {
      if (iX >= 0 && iY >= 0 && iZ >= 0) F = std::sqrt(v[iX] * v[iX] + v[iY] * v[iY] + v[iZ] * v[iZ]);
      else if (iH >= 0 && iZ >= 0) F = std::sqrt(v[iH] * v[iH] + v[iZ] * v[iZ]);
    }
    b.field_nt.push_back(F);
  }
  if (b.time_s.empty()) throw FormatError(concat(path, ": an IAGA-2002 header but no data rows"));
  return b;
}

}  // namespace sapper::io

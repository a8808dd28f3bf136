// Private to src/io: the small text parsers every text-format reader (G-858, magnetometer CSV,
// IAGA-2002, DT1/MALA headers, DZT names) needs, so each rule is written once.
#pragma once

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sapper::io::detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Text safe to put in a message: bytes outside printable ASCII as \xNN, at most 60 characters.
inline std::string printable(std::string_view s) {
  std::string out;
  for (const char ch : s.substr(0, 60)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > 60) out += "...";
  return out;
}

/// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF) without NUL.
inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
    else return false;
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr std::uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

/// All of ``s`` as an unsigned decimal (no sign, no spaces).
inline bool parse_uint(std::string_view s, unsigned& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// All of ``s`` as a finite number (a leading '+' allowed); nullopt otherwise.
inline std::optional<double> parse_finite(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return {};
  return v;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
inline long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long long)doe - 719468;
}

/// "hh:mm:ss[.sss]" (surrounding spaces allowed) -> seconds of the day; nullopt if malformed.
inline std::optional<double> parse_clock(std::string_view s) {
  s = trim(s);
  const auto a = s.find(':');
  if (a == std::string_view::npos) return {};
  const auto b = s.find(':', a + 1);
  if (b == std::string_view::npos) return {};
  unsigned h = 0, m = 0;
  if (!parse_uint(s.substr(0, a), h) || !parse_uint(s.substr(a + 1, b - a - 1), m) || h > 24 || m > 59) return {};
  const auto sec = parse_finite(s.substr(b + 1));
  if (!sec || !(*sec >= 0 && *sec < 61)) return {};
  return h * 3600.0 + m * 60.0 + *sec;
}

}  // namespace sapper::io::detail

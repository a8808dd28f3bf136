// Private to src/io (DT1 .HD and MALA .rad readers): a "KEY <sep> value" text header. Lines may
// end in LF, CRLF or CRCRLF; order, spacing and case of keys vary; unknown keys are kept; lines
// without the separator (file tag, date, title) are kept as "line N". Every error is a
// FormatError naming the header file and the field.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bytes.hpp"
#include "text.hpp"

namespace sapper::io::detail {

class TextHeader {
 public:
  /// Reads and parses the header file (at most 1 MiB, valid UTF-8, no NUL bytes).
  TextHeader(std::string path, char sep) : path_(std::move(path)) {
    const std::string s = read_text(path_);
    const char eol = s.find('\n') == std::string::npos ? '\r' : '\n';  // CR-only files too
    std::size_t line_no = 0;
    for (std::size_t start = 0; start < s.size();) {
      std::size_t end = s.find(eol, start);
      if (end == std::string::npos) end = s.size();
      const std::string_view line = trim(std::string_view(s).substr(start, end - start));
      ++line_no;
      start = end + 1;
      if (!valid_utf8(line))
        fail(sapper::detail::concat("line ", line_no), "is not UTF-8 text (binary data or a legacy code page?)");
      if (line.empty()) continue;
      const std::size_t at = line.find(sep);
      if (at == std::string_view::npos) {
        fields_.emplace(sapper::detail::concat("line ", line_no), std::string(line));
        continue;
      }
      std::string key = collapse(trim(line.substr(0, at)));
      const std::string value(trim(line.substr(at + 1)));
      if (key.empty()) key = sapper::detail::concat("line ", line_no);
      const std::string norm = upper(key);
      if (index_.count(norm)) continue;  // the first of repeated keys wins; the repeat is not kept
      index_.emplace(norm, key);
      fields_.emplace(std::move(key), value);
    }
  }

  const std::string& path() const { return path_; }
  /// All fields: keys as written (inner whitespace collapsed), values trimmed.
  const std::map<std::string, std::string>& fields() const { return fields_; }

  /// The value of a key (case and inner spacing ignored), if present.
  std::optional<std::string> get(std::string_view key) const {
    const auto it = index_.find(upper(collapse(key)));
    if (it == index_.end()) return std::nullopt;
    return fields_.at(it->second);
  }

  /// A finite number; FormatError when absent (required) or not a number.
  std::optional<double> number(std::string_view key, bool required) const {
    const auto v = get(key);
    if (!v) {
      if (required) fail(key, "is missing");
      return std::nullopt;
    }
    double x = 0;
    const char* b = v->data();
    const char* e = b + v->size();
    if (b != e && *b == '+') ++b;
    const auto r = std::from_chars(b, e, x);
    if (v->empty() || r.ec != std::errc() || r.ptr != e || !std::isfinite(x))
      fail(key, sapper::detail::concat("= '", *v, "' is not a finite number"));
    return x;
  }

  /// An integer count in [lo, hi]; FormatError when absent (required), not a whole number or
  /// out of range.
  std::optional<std::int64_t> count(std::string_view key, std::int64_t lo, std::int64_t hi, bool required) const {
    const auto x = number(key, required);
    if (!x) return std::nullopt;
    if (*x != std::floor(*x) || *x < double(lo) || *x > double(hi))
      fail(key, sapper::detail::concat("= ", *x, " must be a whole number in [", lo, ", ", hi, "]"));
    return std::int64_t(*x);
  }

  [[noreturn]] void fail(std::string_view field, std::string_view what) const {
    throw FormatError(sapper::detail::concat(path_, ": ", field, " ", what));
  }

 private:
  static std::string collapse(std::string_view s) {
    std::string out;
    for (char c : trim(s)) {
      const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
      if (space && !out.empty() && out.back() == ' ') continue;
      out.push_back(space ? ' ' : c);
    }
    return out;
  }
  static std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    return out;
  }

  std::string path_;
  std::map<std::string, std::string> fields_;
  std::map<std::string, std::string> index_;  // upper-cased key -> key as written
};

}  // namespace sapper::io::detail

// Private to src/io: a file's bytes with bounds-checked reads whose errors name the file, the
// field and the byte offset (never a read past the end, never an allocation a header asks for
// without checking it against the file's size).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/core/types.hpp"
#include "sapper/io/gpr_file.hpp"

namespace sapper::io::detail {

class Bytes {
 public:
  /// The whole file, mapped read-only (files of 1 MiB or more) or read into memory; FormatError
  /// if it cannot be opened or read.
  explicit Bytes(std::string path);
  ~Bytes();
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  const std::string& path() const { return path_; }
  std::size_t size() const { return n_; }
  const std::uint8_t* data() const { return p_; }

  [[noreturn]] void fail(std::size_t offset, std::string_view field, std::string_view what) const {
    throw FormatError(sapper::detail::concat(path_, ": ", field, " at byte ", offset, ": ", what));
  }
  /// Throws unless [offset, offset + n) lies in the file (overflow-safe).
  void need(std::size_t offset, std::size_t n, std::string_view field) const {
    if (offset > n_ || n > n_ - offset)
      fail(offset, field, sapper::detail::concat("needs ", n, " bytes but the file has ", n_, " (truncated?)"));
  }
  template <class U>
  U le(std::size_t offset, std::string_view field) const { return get<U>(offset, field, std::endian::little); }
  template <class U>
  U be(std::size_t offset, std::string_view field) const { return get<U>(offset, field, std::endian::big); }
  /// n little-endian words of type U at `offset`, converted to T into dst: one bounds check, then
  /// a plain loop (the hot path of every reader).
  template <class U, class T>
  void le_words(std::size_t offset, std::size_t n, T* dst, std::string_view field) const {
    if (n > n_ / sizeof(U)) need(offset, n_ + 1, field);  // n * sizeof(U) would not fit: fails
    need(offset, n * sizeof(U), field);
    const std::uint8_t* p = data() + offset;
    for (std::size_t i = 0; i < n; ++i) {
      U v;
      std::memcpy(&v, p + i * sizeof(U), sizeof(U));
      if constexpr (std::endian::native == std::endian::big && sizeof(U) > 1) v = swapped(v);
      dst[i] = T(v);
    }
  }
  /// n bytes as text, cut at the first NUL.
  std::string text(std::size_t offset, std::size_t n, std::string_view field) const {
    need(offset, n, field);
    std::string s(reinterpret_cast<const char*>(data() + offset), n);
    return s.substr(0, s.find('\0'));
  }

 private:
  template <class U>
  static U swapped(U v) {
    unsigned char raw[sizeof(U)];
    std::memcpy(raw, &v, sizeof(U));
    for (std::size_t i = 0; i < sizeof(U) / 2; ++i) std::swap(raw[i], raw[sizeof(U) - 1 - i]);
    std::memcpy(&v, raw, sizeof(U));
    return v;
  }
  template <class U>
  U get(std::size_t offset, std::string_view field, std::endian order) const {
    need(offset, sizeof(U), field);
    unsigned char raw[sizeof(U)];
    std::memcpy(raw, data() + offset, sizeof(U));
    if (order != std::endian::native)
      for (std::size_t i = 0; i < sizeof(U) / 2; ++i) std::swap(raw[i], raw[sizeof(U) - 1 - i]);
    U v;
    std::memcpy(&v, raw, sizeof(U));
    return v;
  }
  std::string path_;
  std::unique_ptr<std::uint8_t[]> b_;  // small files: read here (not zero-filled: the read fills it)
  const std::uint8_t* p_ = nullptr;    // b_ or the mapping
  void* map_ = nullptr;                // large files: mapped, no copy
  std::size_t n_ = 0;
};

/// Sizes a reader's output without touching it, asking the kernel for transparent huge pages on
/// large outputs (as numpy does for its arrays): first-touch page faults, not the decode, dominate
/// the cost of filling a fresh buffer of tens of MB, and 2 MiB pages cut them 512-fold.
void huge_page_hint(void* p, std::size_t bytes);
template <class T>
void size_output(Matrix<T>& m, Index rows, Index cols) {
  m.resize(rows, cols);
  huge_page_hint(m.data(), std::size_t(m.size()) * sizeof(T));
}

/// A text file (a header) of at most max_bytes; FormatError if missing or larger.
std::string read_text(const std::string& path, std::size_t max_bytes = 1 << 20);

/// The path with its extension replaced, trying the given spellings (e.g. ".HD", ".hd") in
/// turn; the first that exists, or "" when none does.
std::string sibling(const std::string& path, const std::vector<std::string>& extensions);

/// Reads the DZX and DZG files beside a DZT (same name, if present): DZX marks join the marks;
/// DZG fixes give every channel's xyz (east, north, up of the first fix, m; NaN up without
/// altitudes) and, when the DZT has no distance calibration, positions along the track.
template <class T>
void attach_gssi_sidecars(GprFile<T>& f);

}  // namespace sapper::io::detail

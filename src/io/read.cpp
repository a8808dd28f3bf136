#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "bytes.hpp"
#include "sapper/io/gpr_file.hpp"
#include "sapper/io/segy.hpp"

namespace sapper::io {

namespace detail {

Bytes::Bytes(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) throw FormatError(path_ + ": cannot open the file");
  const auto n = in.tellg();
  if (n < 0) throw FormatError(path_ + ": cannot read the file's size");
  n_ = std::size_t(n);
  b_.reset(new std::uint8_t[n_ ? n_ : 1]);
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(b_.get()), n)) throw FormatError(path_ + ": read failed");
}

std::string read_text(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw FormatError(path + ": cannot open the file");
  const auto n = in.tellg();
  if (n < 0 || std::size_t(n) > max_bytes)
    throw FormatError(sapper::detail::concat(path, ": a header file of ", n, " bytes (at most ", max_bytes, " expected)"));
  std::string s(std::size_t(n), '\0');
  in.seekg(0);
  in.read(s.data(), n);
  return s;
}

std::string sibling(const std::string& path, const std::vector<std::string>& extensions) {
  for (const auto& e : extensions) {
    auto p = std::filesystem::path(path).replace_extension(e);
    if (std::filesystem::exists(p)) return p.string();
  }
  return "";
}

}  // namespace detail

template <class T>
GprFile<T> read_gpr(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ext == ".dzt") return read_dzt<T>(path);
  if (ext == ".dt1") return read_dt1<T>(path);
  if (ext == ".rd3" || ext == ".rd7") return read_mala<T>(path);
  if (ext == ".sgy" || ext == ".segy") return read_segy<T>(path);
  // no known extension: the content decides (a DZT tag at byte 0: low byte 0xff, or 0x0n00)
  detail::Bytes head(path);
  if (head.size() >= 1024) {
    const auto tag = head.le<std::uint16_t>(0, "rh_tag");
    if ((tag & 0xff) == 0xff || ((tag & 0xf0ff) == 0 && tag != 0)) return read_dzt<T>(path);
  }
  throw FormatError(path + ": unknown GPR format (expected .DZT, .DT1 + .HD, .rd3/.rd7 + .rad)");
}

template GprFile<float> read_gpr<float>(const std::string&);
template GprFile<double> read_gpr<double>(const std::string&);

}  // namespace sapper::io

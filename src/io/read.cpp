#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bytes.hpp"
#include "sapper/io/gpr_file.hpp"
#include "sapper/io/segy.hpp"

namespace sapper::io {

namespace detail {

// Large files are mapped rather than copied: the decode reads the page cache directly, which is
// what makes a read nearly as fast as numpy's fromfile. The one cost: a file truncated by another
// process *while* it is being decoded raises SIGBUS (a copy would read garbage instead).
constexpr std::size_t kMapFrom = std::size_t(1) << 20;

Bytes::Bytes(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FormatError(path_ + ": cannot open the file (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
    ::close(fd);
    throw FormatError(path_ + ": not a regular file, or its size cannot be read");
  }
  n_ = std::size_t(st.st_size);
  if (n_ >= kMapFrom) {
    void* m = ::mmap(nullptr, n_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m != MAP_FAILED) {
      ::madvise(m, n_, MADV_SEQUENTIAL);
      map_ = m;
      p_ = static_cast<const std::uint8_t*>(m);
      ::close(fd);
      return;
    }
  }
  b_.reset(new std::uint8_t[n_ ? n_ : 1]);
  std::size_t got = 0;
  while (got < n_) {
    const ssize_t r = ::read(fd, b_.get() + got, n_ - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ::close(fd);
      throw FormatError(sapper::detail::concat(path_, ": read failed after ", got, " of ", n_, " bytes"));
    }
    got += std::size_t(r);
  }
  ::close(fd);
  p_ = b_.get();
}

Bytes::~Bytes() {
  if (map_) ::munmap(map_, n_);
}

void huge_page_hint(void* p, std::size_t bytes) {
  constexpr std::uintptr_t kHuge = std::uintptr_t(1) << 21;
  if (bytes < 4 * kHuge) return;
  const auto a = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const auto e = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (e > a) ::madvise(reinterpret_cast<void*>(a), e - a, MADV_HUGEPAGE);  // a hint: failure is harmless
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

// SEG-Y (rev 1 / rev 2) reader and writer for GPR. Layout, rules and choices: docs/io.md,
// section "SEG-Y". Offsets below are 0-based (the standard's byte numbers minus 1).
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "bytes.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/io/segy.hpp"

namespace sapper::io {

namespace {

constexpr std::size_t kText = 3200, kBinary = 400, kTraceHeader = 240, kData = kText + kBinary;
// binary header (absolute offsets)
constexpr std::size_t kJob = 3200, kLine = 3204, kReel = 3208, kTracesPerEnsemble = 3212, kInterval = 3216,
                      kNsamp = 3220, kFormat = 3224, kEnsembleFold = 3226, kSortCode = 3228, kUnits = 3254,
                      kByteOrder = 3296, kRevision = 3500, kFixed = 3502, kExtText = 3504, kExtTrace = 3506;
// trace header (relative to its start)
constexpr std::size_t tSeqLine = 0, tSeqFile = 4, tRecord = 8, tChannel = 12, tTraceId = 28, tElev = 40,
                      tElevScalar = 68, tCoordScalar = 70, tX = 72, tY = 76, tCoordUnits = 88, tNsamp = 114,
                      tInterval = 116;

// EBCDIC (code page 037) of the printable ASCII characters 0x20..0x7e.
constexpr std::array<std::uint8_t, 95> kEbcdic = {
    0x40, 0x5a, 0x7f, 0x7b, 0x5b, 0x6c, 0x50, 0x7d, 0x4d, 0x5d, 0x5c, 0x4e, 0x6b, 0x60, 0x4b, 0x61,  // ' '../
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0x7a, 0x5e, 0x4c, 0x7e, 0x6e, 0x6f,  // 0..?
    0x7c, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6,  // @..O
    0xd7, 0xd8, 0xd9, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xba, 0xe0, 0xbb, 0xb0, 0x6d,  // P.._
    0x79, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96,  // `..o
    0x97, 0x98, 0x99, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xc0, 0x4f, 0xd0, 0xa1,        // p..~
};

std::uint8_t to_ebcdic(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u <= 0x7e ? kEbcdic[u - 0x20] : 0x40;
}
char from_ebcdic(std::uint8_t b) {
  static const std::array<char, 256> table = [] {
    std::array<char, 256> t;
    t.fill('?');
    t[0] = ' ';
    for (int c = 0x20; c <= 0x7e; ++c) t[kEbcdic[std::size_t(c - 0x20)]] = char(c);
    return t;
  }();
  return table[b];
}

/// EBCDIC when its letters, digits and spaces outnumber ASCII's (the two sets are disjoint).
bool is_ebcdic(const std::uint8_t* p, std::size_t n) {
  std::size_t e = 0, a = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned b = p[i];
    if (b == 0x40 || (b >= 0x81 && b <= 0x89) || (b >= 0x91 && b <= 0x99) || (b >= 0xa2 && b <= 0xa9) ||
        (b >= 0xc1 && b <= 0xc9) || (b >= 0xd1 && b <= 0xd9) || (b >= 0xe2 && b <= 0xe9) || (b >= 0xf0 && b <= 0xf9))
      ++e;
    else if (b == 0x20 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a))
      ++a;
  }
  return e > a;
}

/// The 3200 bytes as ASCII text: 40 lines of 80 characters, trailing blanks removed, joined by
/// '\n'; bytes outside printable ASCII become ' ' (NUL) or '?'.
std::string textual(const std::uint8_t* p, bool ebcdic) {
  std::string s;
  for (std::size_t line = 0; line < kText / 80; ++line) {
    std::string l;
    for (std::size_t i = 0; i < 80; ++i) {
      const std::uint8_t b = p[line * 80 + i];
      l += ebcdic ? from_ebcdic(b) : (b >= 0x20 && b <= 0x7e ? char(b) : b == 0 || b == '\t' || b == '\n' || b == '\r' ? ' ' : '?');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    if (line) s += '\n';
    s += l;
  }
  return s;
}

// sapper's textual line "C 6 SAPPER TIME ZERO NS: <t0> ANTENNA MHZ: <f>" (write_segy).
constexpr std::string_view kSapperTimeZero = "SAPPER TIME ZERO NS:", kSapperAntenna = "ANTENNA MHZ:";

/// The number after `key` in sapper's line of the textual header; NaN when absent or unreadable.
double sapper_value(const std::string& text, std::string_view key) {
  const auto line = text.find(kSapperTimeZero);
  if (line == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  const auto k = text.find(key, line);
  if (k == std::string::npos || k > line + 80) return std::numeric_limits<double>::quiet_NaN();
  const char *b = text.data() + k + key.size(), *e = text.data() + text.size();
  while (b < e && *b == ' ') ++b;
  double v = std::numeric_limits<double>::quiet_NaN();
  std::from_chars(b, e, v);  // "nan" parses as NaN; anything unreadable leaves NaN
  return v;
}

std::size_t sample_bytes(int code) {
  switch (code) {
    case 1: case 2: case 5: case 10: return 4;
    case 3: case 11: return 2;
    case 6: return 8;
    case 8: case 16: return 1;
    default: return 0;
  }
}

template <class U>
void store(std::uint8_t* p, U v, bool big) {
  unsigned char r[sizeof(U)];
  std::memcpy(r, &v, sizeof(U));
  if (big != (std::endian::native == std::endian::big))
    for (std::size_t i = 0; i < sizeof(U) / 2; ++i) std::swap(r[i], r[sizeof(U) - 1 - i]);
  std::memcpy(p, r, sizeof(U));
}

/// One word of the byte order Big, known at compile time, swapped through an unsigned word with
/// the bswap builtins: GCC vectorises the sample loops over these, not over a byte-array swap.
template <class U, bool Big>
U load_as(const std::uint8_t* p) {
  using W = std::conditional_t<sizeof(U) == 1, std::uint8_t,
            std::conditional_t<sizeof(U) == 2, std::uint16_t, std::conditional_t<sizeof(U) == 4, std::uint32_t, std::uint64_t>>>;
  W w;
  std::memcpy(&w, p, sizeof(U));
  if constexpr (sizeof(U) > 1 && Big != (std::endian::native == std::endian::big)) {
    if constexpr (sizeof(U) == 2) w = __builtin_bswap16(w);
    else if constexpr (sizeof(U) == 4) w = __builtin_bswap32(w);
    else w = __builtin_bswap64(w);
  }
  return std::bit_cast<U>(w);
}

template <bool Big, class T>
void decode_as(const std::uint8_t* src, T* dst, std::size_t n, int code) {
  switch (code) {
    case 1: for (std::size_t i = 0; i < n; ++i) dst[i] = T(ibm_to_double(load_as<std::uint32_t, Big>(src + 4 * i))); break;
    case 2: for (std::size_t i = 0; i < n; ++i) dst[i] = T(load_as<std::int32_t, Big>(src + 4 * i)); break;
    case 3: for (std::size_t i = 0; i < n; ++i) dst[i] = T(load_as<std::int16_t, Big>(src + 2 * i)); break;
    case 5: for (std::size_t i = 0; i < n; ++i) dst[i] = T(load_as<float, Big>(src + 4 * i)); break;
    case 6: for (std::size_t i = 0; i < n; ++i) dst[i] = T(load_as<double, Big>(src + 8 * i)); break;
    case 8: for (std::size_t i = 0; i < n; ++i) dst[i] = T(std::int8_t(src[i])); break;
    case 10: for (std::size_t i = 0; i < n; ++i) dst[i] = T(load_as<std::uint32_t, Big>(src + 4 * i)); break;
    case 11: for (std::size_t i = 0; i < n; ++i) dst[i] = T(load_as<std::uint16_t, Big>(src + 2 * i)); break;
    default: for (std::size_t i = 0; i < n; ++i) dst[i] = T(src[i]); break;  // 16: uint8
  }
}

/// SEG-Y scalar: positive multiplies, negative divides by its magnitude, 0 means 1.
double scale(std::int16_t s) { return s > 0 ? double(s) : s < 0 ? 1.0 / -double(s) : 1.0; }

}  // namespace

double ibm_to_double(std::uint32_t ibm) {
  const std::uint32_t frac = ibm & 0xffffffu;
  const int exp = int((ibm >> 24) & 0x7fu);
  const double v = std::ldexp(double(frac), 4 * (exp - 64) - 24);  // exact: 24 bits, exponent in range
  return (ibm >> 31) ? -v : v;
}

std::uint32_t double_to_ibm(double v) {
  if (!std::isfinite(v)) throw ValueError(sapper::detail::concat("IBM float: ", v, " is not finite"));
  const std::uint32_t sign = std::signbit(v) ? 0x80000000u : 0u;
  const double a = std::abs(v);
  if (a == 0) return sign;
  int e = 0;
  const double m = std::frexp(a, &e);  // a = m 2^e, m in [0.5, 1)
  int q = e >= 0 ? (e + 3) / 4 : -((-e) / 4);  // ceil(e / 4): a = (m 2^(e - 4q)) 16^q, fraction in [1/16, 1)
  int exp = q + 64;
  double f = std::nearbyint(std::ldexp(m, 24 + e - 4 * q));  // 24-bit fraction, ties to even
  if (exp < 0) {  // below the smallest normal IBM magnitude: a denormal fraction at exponent 0
    f = std::nearbyint(std::ldexp(m, 24 + e + 4 * 64));
    exp = 0;
  }
  if (f >= 16777216.0) {  // rounding carried into a new hex digit: 0x100000 at the next exponent
    f = 1048576.0;
    ++exp;
  }
  if (exp > 127)
    throw ValueError(sapper::detail::concat("IBM float: ", v, " is beyond the largest IBM float (about 7.2e75)"));
  return sign | (std::uint32_t(exp) << 24) | std::uint32_t(f);
}

template <class T>
GprFile<T> read_segy(const std::string& path) {
  detail::Bytes f(path);
  GprFile<T> out;
  out.path = path;
  out.format = "segy";
  auto& H = out.header;

  f.need(0, kText, "textual header");
  f.need(kText, kBinary, "binary header");
  const bool ebcdic = is_ebcdic(f.data(), kText);
  H["textual"] = textual(f.data(), ebcdic);
  H["textual_encoding"] = ebcdic ? "ebcdic" : "ascii";
  const double t0 = sapper_value(H["textual"], kSapperTimeZero), mhz = sapper_value(H["textual"], kSapperAntenna);

  // Byte order: the format code read big-endian is 1..16 (the standard), else little-endian.
  bool big = true;
  int code = f.be<std::int16_t>(kFormat, "format code");
  if (code < 1 || code > 16) {
    const int lcode = f.le<std::int16_t>(kFormat, "format code");
    if (lcode < 1 || lcode > 16)
      f.fail(kFormat, "format code", sapper::detail::concat(code, " (big-endian) / ", lcode,
                                                             " (little-endian): not a SEG-Y sample format code 1..16"));
    big = false;
    code = lcode;
  }
  const std::size_t sb = sample_bytes(code);
  if (sb == 0)
    f.fail(kFormat, "format code", sapper::detail::concat(code, ": unsupported sample format (1, 2, 3, 5, 6, 8, 10, 11, 16 read)"));
  auto i16 = [&](std::size_t o, std::string_view field) {
    return big ? f.be<std::int16_t>(o, field) : f.le<std::int16_t>(o, field);
  };
  auto u16 = [&](std::size_t o, std::string_view field) {
    return big ? f.be<std::uint16_t>(o, field) : f.le<std::uint16_t>(o, field);
  };
  auto i32 = [&](std::size_t o, std::string_view field) {
    return big ? f.be<std::int32_t>(o, field) : f.le<std::int32_t>(o, field);
  };

  const unsigned interval = u16(kInterval, "sample interval");
  const unsigned ns = u16(kNsamp, "samples per trace");
  if (ns == 0) f.fail(kNsamp, "samples per trace", "0 samples per trace");
  const auto rev = u16(kRevision, "revision");
  const int major = rev >> 8, minor = rev & 0xff;
  const int fixed = i16(kFixed, "fixed length flag");
  const int next = i16(kExtText, "extended textual headers");
  if (next < 0)
    f.fail(kExtText, "extended textual headers",
           sapper::detail::concat(next, ": a variable number of extended textual headers is not supported"));
  std::size_t extra = 0;  // rev 2: additional 240-byte trace headers per trace
  if (major >= 2) {
    const std::int32_t e = i32(kExtTrace, "additional trace headers");
    if (e < 0 || e > 65535)
      f.fail(kExtTrace, "additional trace headers", sapper::detail::concat(e, " additional trace headers (0 to 65535 expected)"));
    extra = std::size_t(e);
  }
  const std::size_t data_start = kData + kText * std::size_t(next);
  f.need(kData, kText * std::size_t(next), "extended textual headers");

  H["byte_order"] = big ? "big" : "little";
  H["format_code"] = std::to_string(code);
  H["sample_interval_raw"] = std::to_string(interval);
  H["samples_per_trace"] = std::to_string(ns);
  H["revision"] = std::to_string(major) + "." + std::to_string(minor);
  H["fixed_length"] = std::to_string(fixed);
  H["extended_textual_headers"] = std::to_string(next);
  H["additional_trace_headers"] = std::to_string(extra);
  H["line_number"] = std::to_string(i32(kLine, "line number"));
  H["measurement_system"] = std::to_string(i16(kUnits, "measurement system"));
  H["data_offset"] = std::to_string(data_start);

  const std::size_t hdr_bytes = kTraceHeader * (1 + extra), trace_bytes = hdr_bytes + std::size_t(ns) * sb;
  const std::size_t data_bytes = f.size() - data_start;
  if (data_bytes == 0) f.fail(data_start, "traces", "no traces after the headers");
  if (data_bytes % trace_bytes != 0)
    f.fail(data_start + data_bytes / trace_bytes * trace_bytes, "traces",
           sapper::detail::concat(data_bytes, " bytes after the headers are not a whole number of traces of ",
                                  trace_bytes, " bytes (", hdr_bytes, " header + ", ns, " samples x ", sb,
                                  " bytes): truncated, or samples per trace / format code wrong"));
  const std::size_t m = data_bytes / trace_bytes;
  H["n_traces"] = std::to_string(m);

  // dt: the binary header's interval, else the first trace's; read as picoseconds.
  unsigned dt_raw = interval;
  if (dt_raw == 0) dt_raw = u16(data_start + tInterval, "trace sample interval");
  if (dt_raw == 0) f.fail(kInterval, "sample interval", "0 in the binary header and in the first trace header");

  BScan<T> b;
  detail::size_output(b.data, Index(ns), Index(m));
  b.format.n_samples = Index(ns);
  b.format.dt_ns = double(dt_raw) / 1000.0;
  if (std::isfinite(t0) && t0 >= 0) b.format.time_zero_ns = t0;
  if (std::isfinite(mhz) && mhz > 0) b.axes.antenna_mhz = mhz;
  // One pass on all cores: each trace's header is checked and read where its samples are decoded
  // (no serial pass over m scattered headers first). A chunk stops at its first bad trace; the
  // lowest bad trace is checked again (check_trace) to throw its error, so the error names the
  // trace a serial pass would have named.
  auto check_trace = [&](std::size_t k) {
    const std::size_t t = data_start + k * trace_bytes;
    const unsigned tn = u16(t + tNsamp, "trace samples");
    if (tn != 0 && tn != ns)
      f.fail(t + tNsamp, "trace samples", sapper::detail::concat("trace ", k, " has ", tn, " samples, the binary header ", ns,
                                                                 " (SEG-Y for GPR is fixed-length)"));
    const unsigned ti = u16(t + tInterval, "trace sample interval");
    if (ti != 0 && ti != dt_raw)
      f.fail(t + tInterval, "trace sample interval",
             sapper::detail::concat("trace ", k, " has a sample interval of ", ti, ", the file ", dt_raw));
  };
  Eigen::Matrix<double, Eigen::Dynamic, 3> xyz(Index(m), 3);
  std::atomic<std::size_t> bad{m};
  std::atomic<bool> any_coord{false};
  const std::uint8_t* d = f.data() + data_start;  // m whole traces lie here (checked above)
  auto decode_all = [&]<bool Big>(std::bool_constant<Big>) {
    parallel_for(Index(m), 0, [&](Index k0, Index k1) {
      bool any = false;
      for (auto k = std::size_t(k0); k < std::size_t(k1); ++k) {
        const std::uint8_t* t = d + k * trace_bytes;
        const unsigned tn = load_as<std::uint16_t, Big>(t + tNsamp), ti = load_as<std::uint16_t, Big>(t + tInterval);
        if ((tn != 0 && tn != ns) || (ti != 0 && ti != dt_raw)) {
          for (std::size_t b0 = bad.load(); k < b0 && !bad.compare_exchange_weak(b0, k);) {
          }
          break;
        }
        const double cs = scale(load_as<std::int16_t, Big>(t + tCoordScalar));
        const double es = scale(load_as<std::int16_t, Big>(t + tElevScalar));
        const double x = load_as<std::int32_t, Big>(t + tX) * cs, y = load_as<std::int32_t, Big>(t + tY) * cs;
        const double z = load_as<std::int32_t, Big>(t + tElev) * es;
        xyz(Index(k), 0) = x, xyz(Index(k), 1) = y, xyz(Index(k), 2) = z;
        any = any || x != 0 || y != 0 || z != 0;
        decode_as<Big>(t + hdr_bytes, b.data.data() + k * ns, ns, code);
      }
      if (any) any_coord.store(true, std::memory_order_relaxed);
    }, 256);
  };
  big ? decode_all(std::true_type{}) : decode_all(std::false_type{});
  if (const std::size_t k = bad.load(); k < m) {
    check_trace(k);  // throws
    f.fail(data_start + k * trace_bytes, "trace header", "inconsistent");  // not reached
  }
  H["first_trace_sequence"] = std::to_string(i32(data_start + tSeqLine, "trace sequence number"));
  if (any_coord.load()) {
    b.axes.xyz = std::move(xyz);
    b.axes.position_m.resize(m);
    double s = 0;
    for (std::size_t k = 0; k < m; ++k) {
      if (k) s += std::hypot(b.axes.xyz(Index(k), 0) - b.axes.xyz(Index(k) - 1, 0),
                             b.axes.xyz(Index(k), 1) - b.axes.xyz(Index(k) - 1, 1));
      b.axes.position_m[k] = s;
    }
  }
  out.channels.push_back(std::move(b));
  return out;
}

template <class T>
void write_segy(const std::string& path, const GprFile<T>& file, SegyWrite o) {
  require(o.format == 1 || o.format == 2 || o.format == 3 || o.format == 5, path,
          ": write_segy writes format codes 1 (IBM float), 2 (int32), 3 (int16) or 5 (IEEE float), not ", o.format);
  require(file.channels.size() == 1, path, ": SEG-Y holds one channel, not ", file.channels.size());
  const BScan<T>& b = file.channels[0];
  b.validate();
  const Index n = b.data.rows(), m = b.data.cols();
  require(n >= 1 && n <= 65535, path, ": ", n, " samples per trace (1 to 65535 expected)");
  require(m >= 1, path, ": no traces");
  const double ps = b.format.dt_ns * 1000.0, psr = std::round(ps);
  require(psr >= 1 && psr <= 65535 && std::abs(ps - psr) <= 1e-6 * psr, path, ": dt_ns = ", b.format.dt_ns,
          " is not a whole number of picoseconds in 1..65535 (the sample interval field, bytes 3217-3218)");
  require(std::isfinite(b.format.time_zero_ns) && b.format.time_zero_ns >= 0, path, ": time_zero_ns = ",
          b.format.time_zero_ns, " must be finite and >= 0");
  const bool has_xyz = b.axes.xyz.rows() > 0;
  if (has_xyz)
    for (Index k = 0; k < m; ++k)
      for (int c = 0; c < 3; ++c) {
        const double v = std::round(b.axes.xyz(k, c) * 100);
        require(std::isfinite(v) && v >= -2147483648.0 && v <= 2147483647.0, path, ": xyz(", k, ", ", c, ") = ",
                b.axes.xyz(k, c), " m does not fit a 32-bit count of centimetres");
      }
  const bool big = o.big_endian;
  const std::size_t sb = o.format == 3 ? 2 : 4;
  // check every value before the file is touched
  const T* src = b.data.data();
  for (Index j = 0; j < n * m; ++j) {
    const double v = double(src[j]);
    bool ok = std::isfinite(v);
    const char* what = "a finite value";
    if (o.format == 2) ok = ok && v == std::floor(v) && v >= -2147483648.0 && v <= 2147483647.0, what = "an integer in [-2147483648, 2147483647] (int32)";
    if (o.format == 3) ok = ok && v == std::floor(v) && v >= -32768.0 && v <= 32767.0, what = "an integer in [-32768, 32767] (int16)";
    if (o.format == 5) ok = ok && std::abs(v) <= double(std::numeric_limits<float>::max()), what = "a finite float32";
    if (o.format == 1) {
      what = "within the IBM float range (about 7.2e75)";
      try {
        (void)double_to_ibm(v);
      } catch (const ValueError&) {
        ok = false;
      }
    }
    if (!ok)
      throw ValueError(sapper::detail::concat(path, ": sample ", j % n, " of trace ", j / n, " = ", v, " is not ", what));
  }

  std::vector<std::uint8_t> head(kData, 0);
  std::string text;
  auto line = [&](std::string s) {
    s.resize(80, ' ');
    text += s;
  };
  line("C 1 SEG-Y REV2.0 GPR DATA WRITTEN BY SAPPER (HUMANITARIAN DEMINING SIGNAL PROCESSING)");
  line("C 2 ONE GPR PROFILE: " + std::to_string(m) + " TRACES OF " + std::to_string(n) + " SAMPLES");
  line("C 3 SAMPLE INTERVAL IN PICOSECONDS (BINARY HEADER BYTES 3217-3218): " + std::to_string(long(psr)));
  line(std::string("C 4 SAMPLE FORMAT CODE ") + std::to_string(o.format) + (big ? " BIG-ENDIAN" : " LITTLE-ENDIAN"));
  line(has_xyz ? "C 5 SOURCE X/Y (BYTES 73-80) AND ELEVATION (41-44) IN M, SCALAR -100 (CM)" : "C 5 NO COORDINATES");
  // No SEG-Y field holds a GPR time zero or antenna: sapper keeps them in a textual line of its own.
  line(sapper::detail::concat("C 6 ", kSapperTimeZero, " ", std::setprecision(12), b.format.time_zero_ns, " ",
                              kSapperAntenna, " ", b.axes.antenna_mhz));
  for (int i = 7; i <= 39; ++i) line((i < 10 ? "C " : "C") + std::to_string(i));
  line("C40 END TEXTUAL HEADER");
  for (std::size_t i = 0; i < kText; ++i) head[i] = o.ebcdic ? to_ebcdic(text[i]) : std::uint8_t(text[i]);
  store<std::int32_t>(&head[kJob], 1, big);
  store<std::int32_t>(&head[kLine], 1, big);
  store<std::int32_t>(&head[kReel], 1, big);
  store<std::int16_t>(&head[kTracesPerEnsemble], 1, big);
  store<std::uint16_t>(&head[kInterval], std::uint16_t(psr), big);
  store<std::uint16_t>(&head[kNsamp], std::uint16_t(n), big);
  store<std::int16_t>(&head[kFormat], std::int16_t(o.format), big);
  store<std::int16_t>(&head[kEnsembleFold], 1, big);
  store<std::int16_t>(&head[kSortCode], 1, big);  // as recorded
  store<std::int16_t>(&head[kUnits], 1, big);     // metres
  store<std::uint32_t>(&head[kByteOrder], 0x01020304u, big);
  store<std::uint16_t>(&head[kRevision], 0x0200, big);
  store<std::int16_t>(&head[kFixed], 1, big);
  store<std::int16_t>(&head[kExtText], 0, big);

  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  if (!os) throw FormatError(path + ": cannot open the file for writing");
  os.write(reinterpret_cast<const char*>(head.data()), std::streamsize(head.size()));
  std::vector<std::uint8_t> tr(kTraceHeader + std::size_t(n) * sb);
  for (Index k = 0; k < m; ++k) {
    std::fill(tr.begin(), tr.end(), std::uint8_t(0));
    const auto seq = std::int32_t(k + 1);
    store<std::int32_t>(&tr[tSeqLine], seq, big);
    store<std::int32_t>(&tr[tSeqFile], seq, big);
    store<std::int32_t>(&tr[tRecord], 1, big);
    store<std::int32_t>(&tr[tChannel], seq, big);
    store<std::int16_t>(&tr[tTraceId], 1, big);  // time-domain seismic (GPR) data
    if (has_xyz) {
      store<std::int32_t>(&tr[tElev], std::int32_t(std::round(b.axes.xyz(k, 2) * 100)), big);
      store<std::int32_t>(&tr[tX], std::int32_t(std::round(b.axes.xyz(k, 0) * 100)), big);
      store<std::int32_t>(&tr[tY], std::int32_t(std::round(b.axes.xyz(k, 1) * 100)), big);
      store<std::int16_t>(&tr[tElevScalar], -100, big);
      store<std::int16_t>(&tr[tCoordScalar], -100, big);
      store<std::int16_t>(&tr[tCoordUnits], 1, big);  // length
    }
    store<std::uint16_t>(&tr[tNsamp], std::uint16_t(n), big);
    store<std::uint16_t>(&tr[tInterval], std::uint16_t(psr), big);
    const T* s = src + k * n;
    std::uint8_t* d = tr.data() + kTraceHeader;
    for (Index i = 0; i < n; ++i) {
      const double v = double(s[i]);
      switch (o.format) {
        case 1: store<std::uint32_t>(d + 4 * i, double_to_ibm(v), big); break;
        case 2: store<std::int32_t>(d + 4 * i, std::int32_t(v), big); break;
        case 3: store<std::int16_t>(d + 2 * i, std::int16_t(v), big); break;
        default: store<float>(d + 4 * i, float(v), big); break;
      }
    }
    os.write(reinterpret_cast<const char*>(tr.data()), std::streamsize(tr.size()));
  }
  if (!os.flush()) throw FormatError(path + ": write failed");
}

template GprFile<float> read_segy<float>(const std::string&);
template GprFile<double> read_segy<double>(const std::string&);
template void write_segy<float>(const std::string&, const GprFile<float>&, SegyWrite);
template void write_segy<double>(const std::string&, const GprFile<double>&, SegyWrite);

}  // namespace sapper::io

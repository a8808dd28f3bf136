// GSSI DZT reader and writer. Layout, rules and choices: docs/io.md, section "GSSI DZT".
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "bytes.hpp"
#include "text.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/io/gpr_file.hpp"

namespace sapper::io {

namespace {

using detail::valid_utf8;

constexpr std::size_t kHeader = 1024;  // one 1 KB header per channel
constexpr unsigned kMaxChannels = 8;   // GSSI control units record at most 8 channels

// Offsets of the fields read (relative to the start of a channel's header).
constexpr std::size_t kTag = 0, kData = 2, kNsamp = 4, kBits = 6, kZero = 8, kSps = 10, kSpm = 14, kMpm = 18,
                      kPosition = 22, kRange = 26, kNpass = 30, kCdt = 32, kMdt = 36, kMapOffset = 40,
                      kMapSize = 42, kText = 44, kNtext = 46, kProc = 48, kNproc = 50, kNchan = 52, kEpsr = 54,
                      kTop = 58, kDepth = 62, kAntname = 98, kAntnameLen = 14, kChanmask = 112, kName = 114,
                      kNameLen = 12, kChksum = 126;

/// Accepted rh_tag values: 0x00ff / 0xfnff as documented (low byte 0xff), and 0xn00 with n in 1..15
/// (0x0700 in GPRPy's example file from a SIR-3000).
bool tag_ok(std::uint16_t tag) {
  const unsigned lo = tag & 0xffu, hi = tag >> 8;
  return lo == 0xffu || (lo == 0 && hi >= 1 && hi <= 15);
}

std::string num(float v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  return std::string(buf, r.ptr);
}

/// GSSI's packed date (rhb_cdt, rhb_mdt): sec/2 (5 bits), min (6), hour (5), day (5), month (4), year-1980 (7).
std::string date_text(std::uint32_t v) {
  if (v == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u", (v >> 25) + 1980u, (v >> 21) & 15u, (v >> 16) & 31u,
                (v >> 11) & 31u, (v >> 5) & 63u, (v & 31u) * 2u);
  return buf;
}

/// Centre frequency of the common GSSI antenna model names (readgssi's table); NaN for adjustable
/// (MLF) and dual-frequency models.
double antenna_table(std::string_view name) {
  struct A { const char* name; double mhz; };
  static constexpr A table[] = {
      {"3207", 100},     {"3207AP", 100},   {"5106", 200},     {"5106A", 200},    {"50270", 270},
      {"50270S", 270},   {"50300", 300},    {"50300S", 300},   {"350", 350},      {"350HS", 350},
      {"D400HS", 350},   {"5103", 400},     {"5103A", 400},    {"50400", 400},    {"50400S", 400},
      {"800", 800},      {"3101", 900},     {"3101A", 900},    {"51600", 1600},   {"51600S", 1600},
      {"5100", 1500},    {"62000", 2000},   {"62000-003", 2000}, {"62300", 2300}, {"62300XT", 2300},
      {"52600", 2600},   {"52600S", 2600},
  };
  for (const auto& a : table)
    if (name == a.name) return a.mhz;
  return std::numeric_limits<double>::quiet_NaN();
}

/// Antenna name -> MHz: the table first, then "<number>MHz" / "<number>GHz" anywhere in the name
/// (case-insensitive), else NaN. Never throws.
double antenna_mhz(std::string name) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  std::size_t b = 0;
  while (b < name.size() && name[b] == ' ') ++b;
  name = name.substr(b);
  const double t = antenna_table(name);
  if (!std::isnan(t)) return t;
  std::string up;
  for (char c : name) up += char(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [unit, scale] : {std::pair<std::string_view, double>{"MHZ", 1.0}, {"GHZ", 1000.0}}) {
    for (std::size_t p = up.find(unit); p != std::string::npos; p = up.find(unit, p + 1)) {
      std::size_t e = p;
      while (e > 0 && up[e - 1] == ' ') --e;
      std::size_t s = e;
      while (s > 0 && (std::isdigit(static_cast<unsigned char>(up[s - 1])) || up[s - 1] == '.')) --s;
      if (s == e) continue;
      double v = 0;
      const auto r = std::from_chars(up.data() + s, up.data() + e, v);
      if (r.ec == std::errc() && r.ptr == up.data() + e && std::isfinite(v) && v > 0) return v * scale;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

struct ChannelHeader {
  unsigned nsamp = 0, bits = 0;
  int zero = 0;
  float spm = 0, range = 0;
  std::string antname;
};

ChannelHeader channel_header(const detail::Bytes& f, std::size_t base, std::map<std::string, std::string>& header,
                             const std::string& prefix) {
  ChannelHeader h;
  const auto tag = f.le<std::uint16_t>(base + kTag, "rh_tag");
  if (!tag_ok(tag)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%04x", tag);
    f.fail(base + kTag, "rh_tag", std::string("not a GSSI DZT header tag: ") + buf);
  }
  h.nsamp = f.le<std::uint16_t>(base + kNsamp, "rh_nsamp");
  h.bits = f.le<std::uint16_t>(base + kBits, "rh_bits");
  h.zero = f.le<std::int16_t>(base + kZero, "rh_zero");
  h.spm = f.le<float>(base + kSpm, "rhf_spm");
  h.range = f.le<float>(base + kRange, "rhf_range");
  h.antname = f.text(base + kAntname, kAntnameLen, "rh_antname");
  if (!valid_utf8(h.antname)) f.fail(base + kAntname, "rh_antname", "the antenna name is not valid UTF-8");
  if (h.bits != 8 && h.bits != 16 && h.bits != 32)
    f.fail(base + kBits, "rh_bits", sapper::detail::concat(h.bits, " bits per sample (8, 16 or 32 expected)"));
  if (h.nsamp < 2)
    f.fail(base + kNsamp, "rh_nsamp", sapper::detail::concat(h.nsamp, " samples per trace (at least 2 expected)"));
  if (!(std::isfinite(h.range) && h.range > 0))
    f.fail(base + kRange, "rhf_range", sapper::detail::concat("time range ", h.range, " ns (positive expected)"));

  char tagbuf[16];
  std::snprintf(tagbuf, sizeof tagbuf, "0x%04x", tag);
  header[prefix + "rh_tag"] = tagbuf;
  header[prefix + "rh_nsamp"] = std::to_string(h.nsamp);
  header[prefix + "rh_bits"] = std::to_string(h.bits);
  header[prefix + "rh_zero"] = std::to_string(h.zero);
  header[prefix + "rhf_spm"] = num(h.spm);
  header[prefix + "rhf_range"] = num(h.range);
  header[prefix + "rh_antname"] = h.antname;
  return h;
}

template <class Raw, int Offset, class T>
void convert(const std::uint8_t* src, T* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    Raw v;
    std::memcpy(&v, src + i * sizeof(Raw), sizeof(Raw));
    if constexpr (std::endian::native == std::endian::big && sizeof(Raw) > 1) {
      unsigned char r[sizeof(Raw)];
      std::memcpy(r, &v, sizeof(Raw));
      for (std::size_t j = 0; j < sizeof(Raw) / 2; ++j) std::swap(r[j], r[sizeof(Raw) - 1 - j]);
      std::memcpy(&v, r, sizeof(Raw));
    }
    if constexpr (Offset == 0)
      dst[i] = T(v);
    else
      dst[i] = T(std::int32_t(v) - Offset);
  }
}

void put16(std::uint8_t* p, std::uint16_t v) { p[0] = std::uint8_t(v); p[1] = std::uint8_t(v >> 8); }
void put32(std::uint8_t* p, std::uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i)); }
void putf(std::uint8_t* p, float v) { put32(p, std::bit_cast<std::uint32_t>(v)); }

}  // namespace

template <class T>
GprFile<T> read_dzt(const std::string& path) {
  detail::Bytes f(path);
  GprFile<T> out;
  out.path = path;
  out.format = "dzt";
  auto& H = out.header;

  const ChannelHeader h0 = channel_header(f, 0, H, "");
  const auto rh_data = f.le<std::uint16_t>(kData, "rh_data");
  const auto nchan = f.le<std::uint16_t>(kNchan, "rh_nchan");
  if (nchan < 1 || nchan > kMaxChannels)
    f.fail(kNchan, "rh_nchan", sapper::detail::concat(nchan, " channels (1 to ", kMaxChannels, " expected)"));
  // Header size: 1024 * rh_data when rh_data < 1024, else 1024 * channels (REFERENCE.md, readgssi).
  const std::size_t data_start = rh_data < 1024 ? kHeader * rh_data : kHeader * nchan;
  if (data_start < kHeader * nchan)
    f.fail(kData, "rh_data", sapper::detail::concat("header of ", data_start, " bytes is smaller than ", nchan,
                                                    " channel headers of 1024 bytes"));
  f.need(0, data_start, "header (rh_data)");

  // The remaining channel-0 fields, as text.
  H["rh_data"] = std::to_string(rh_data);
  H["rh_nchan"] = std::to_string(nchan);
  H["rhf_sps"] = num(f.le<float>(kSps, "rhf_sps"));
  H["rhf_mpm"] = num(f.le<float>(kMpm, "rhf_mpm"));
  H["rhf_position"] = num(f.le<float>(kPosition, "rhf_position"));
  H["rh_npass"] = std::to_string(f.le<std::uint16_t>(kNpass, "rh_npass"));
  H["rhb_cdt"] = date_text(f.le<std::uint32_t>(kCdt, "rhb_cdt"));
  H["rhb_mdt"] = date_text(f.le<std::uint32_t>(kMdt, "rhb_mdt"));
  H["rh_mapOffset"] = std::to_string(f.le<std::uint16_t>(kMapOffset, "rh_mapOffset"));
  H["rh_mapSize"] = std::to_string(f.le<std::uint16_t>(kMapSize, "rh_mapSize"));
  H["rh_text"] = std::to_string(f.le<std::uint16_t>(kText, "rh_text"));
  H["rh_ntext"] = std::to_string(f.le<std::uint16_t>(kNtext, "rh_ntext"));
  H["rh_proc"] = std::to_string(f.le<std::uint16_t>(kProc, "rh_proc"));
  H["rh_nproc"] = std::to_string(f.le<std::uint16_t>(kNproc, "rh_nproc"));
  H["rhf_epsr"] = num(f.le<float>(kEpsr, "rhf_epsr"));
  H["rhf_top"] = num(f.le<float>(kTop, "rhf_top"));
  H["rhf_depth"] = num(f.le<float>(kDepth, "rhf_depth"));
  H["rh_chanmask"] = std::to_string(f.le<std::uint16_t>(kChanmask, "rh_chanmask"));
  const std::string name = f.text(kName, kNameLen, "rh_name");
  if (!valid_utf8(name)) f.fail(kName, "rh_name", "the file name field is not valid UTF-8");
  H["rh_name"] = name;
  H["rh_chksum"] = std::to_string(f.le<std::uint16_t>(kChksum, "rh_chksum"));
  H["data_offset"] = std::to_string(data_start);

  std::vector<ChannelHeader> ch{h0};
  for (unsigned c = 1; c < nchan; ++c) {
    ch.push_back(channel_header(f, c * kHeader, H, "ch" + std::to_string(c) + "."));
    if (ch.back().nsamp != h0.nsamp)
      f.fail(c * kHeader + kNsamp, "rh_nsamp",
             sapper::detail::concat("channel ", c, " has ", ch.back().nsamp, " samples, channel 0 has ", h0.nsamp));
    if (ch.back().bits != h0.bits)
      f.fail(c * kHeader + kBits, "rh_bits",
             sapper::detail::concat("channel ", c, " has ", ch.back().bits, " bits, channel 0 has ", h0.bits));
  }

  const std::size_t n = h0.nsamp, bytes = h0.bits / 8, trace_bytes = n * bytes, scan_bytes = trace_bytes * nchan;
  const std::size_t data_bytes = f.size() - data_start;
  if (data_bytes == 0) f.fail(data_start, "data", "no traces after the header");
  if (data_bytes % scan_bytes != 0)
    f.fail(data_start + data_bytes / scan_bytes * scan_bytes, "data",
           sapper::detail::concat(data_bytes, " data bytes are not a whole number of scans of ", nchan, " x ", n,
                                  " samples x ", bytes, " bytes (truncated, or rh_nsamp/rh_bits/rh_nchan wrong)"));
  const std::size_t m = data_bytes / scan_bytes;
  H["n_traces"] = std::to_string(m);

  const std::uint8_t* d = f.data() + data_start;
  std::vector<char> marked(m, 0);  // char, not bool: threads write neighbouring entries
  for (unsigned c = 0; c < nchan; ++c) {
    BScan<T> b;
    detail::size_output(b.data, Index(n), Index(m));
    // the decode is memory-bound: two threads keep both the page faults and the conversion moving
    parallel_for(Index(m), 0, [&](Index k0, Index k1) {
    for (auto k = std::size_t(k0); k < std::size_t(k1); ++k) {
      const std::uint8_t* src = d + (k * nchan + c) * trace_bytes;
      T* dst = b.data.data() + k * n;
      // Marks: a nonzero raw second sample (before the offset is removed) flags a user mark.
      bool mark = false;
      switch (h0.bits) {
        case 8:
          convert<std::uint8_t, 128>(src, dst, n);
          mark = src[1] != 0;
          break;
        case 16:
          convert<std::uint16_t, 32768>(src, dst, n);
          mark = (src[2] | src[3]) != 0;
          break;
        default:
          convert<std::int32_t, 0>(src, dst, n);
          mark = (src[4] | src[5] | src[6] | src[7]) != 0;
          break;
      }
      if (c == 0 && mark) marked[k] = 1;
    }
    }, 256);
    const auto& h = ch[c];
    b.format.n_samples = Index(n);
    b.format.dt_ns = double(h.range) / double(n);
    b.format.time_zero_ns = (h.zero >= 0 && unsigned(h.zero) < n) ? h.zero * b.format.dt_ns : 0.0;
    if (std::isfinite(h.spm) && h.spm > 0) {
      b.axes.position_m.resize(m);
      for (std::size_t k = 0; k < m; ++k) b.axes.position_m[k] = double(k) / double(h.spm);
    }
    b.axes.antenna_mhz = antenna_mhz(h.antname);
    out.channels.push_back(std::move(b));
  }
  for (std::size_t k = 0; k < m; ++k)
    if (marked[k]) out.marks.push_back(Index(k));
  detail::attach_gssi_sidecars(out);
  return out;
}

template <class T>
void write_dzt(const std::string& path, const GprFile<T>& file, int bits) {
  require(bits == 16 || bits == 32, path, ": write_dzt writes 16- or 32-bit samples, not ", bits);
  const std::size_t nchan = file.channels.size();
  require(nchan >= 1 && nchan <= kMaxChannels, path, ": ", nchan, " channels (1 to ", kMaxChannels, " expected)");
  const Index n = file.channels[0].data.rows(), m = file.channels[0].data.cols();
  require(n >= 2 && n <= 65535, path, ": ", n, " samples per trace (2 to 65535 expected)");
  require(m >= 1, path, ": no traces");
  const std::size_t bytes = std::size_t(bits / 8), trace_bytes = std::size_t(n) * bytes;

  std::vector<std::uint8_t> hdr(kHeader * nchan, 0);
  for (std::size_t c = 0; c < nchan; ++c) {
    const BScan<T>& b = file.channels[c];
    b.validate();
    require(b.data.rows() == n && b.data.cols() == m, path, ": channel ", c, " is ", b.data.rows(), " x ",
            b.data.cols(), ", channel 0 is ", n, " x ", m, " (DZT channels share one size)");
    const float range = float(b.format.dt_ns * double(n));
    require(std::isfinite(range) && range > 0, path, ": channel ", c, ": dt_ns = ", b.format.dt_ns,
            " gives a time range that a float cannot hold");
    const double dt = double(range) / double(n);  // what read_dzt will compute
    const double z = b.format.time_zero_ns / dt;
    const double zr = std::round(z);
    require(std::isfinite(z) && zr >= 0 && zr < double(n) && zr <= 32767 && std::abs(z - zr) <= 1e-6, path, ": channel ", c,
            ": time_zero_ns = ", b.format.time_zero_ns, " is not a whole number of samples in [0, ", n,
            ") (DZT stores time zero as a sample index, rh_zero)");
    float spm = 0;
    const auto& p = b.axes.position_m;
    if (!p.empty()) {
      require(m >= 2, path, ": channel ", c, ": one trace: a trace spacing cannot be stored");
      const double s = (p.back() - p.front()) / double(m - 1);
      require(s > 0 && std::abs(p.front()) <= 1e-9 * s, path, ": channel ", c,
              ": positions must start at 0 m and increase (DZT stores traces per metre only)");
      spm = float(1.0 / s);
      for (Index k = 0; k < m; ++k)
        require(std::abs(p[std::size_t(k)] - double(k) / double(spm)) <= 1e-6 * s, path, ": channel ", c,
                ": position_m[", k, "] = ", p[std::size_t(k)], " is not on a uniform spacing of ", s, " m");
    }
    std::string ant;
    if (!std::isnan(b.axes.antenna_mhz)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.9gMHz", b.axes.antenna_mhz);
      ant = buf;
      require(ant.size() <= kAntnameLen - 1 && antenna_mhz(ant) == b.axes.antenna_mhz, path, ": channel ", c,
              ": antenna_mhz = ", b.axes.antenna_mhz, " does not fit the 14-byte antenna name");
    }
    std::uint8_t* h = hdr.data() + c * kHeader;
    put16(h + kTag, 0x00ff);
    put16(h + kData, 1024);  // >= 1024: the header is 1024 x channels
    put16(h + kNsamp, std::uint16_t(n));
    put16(h + kBits, std::uint16_t(bits));
    put16(h + kZero, std::uint16_t(zr));
    putf(h + kSpm, spm);
    putf(h + kRange, range);
    put16(h + kNchan, std::uint16_t(nchan));
    putf(h + kEpsr, 1.0f);
    std::memcpy(h + kAntname, ant.data(), ant.size());
    std::memcpy(h + kName, "sapper", 6);
  }

  const double lo = bits == 16 ? -32768.0 : -2147483648.0, hi = bits == 16 ? 32767.0 : 2147483647.0;
  for (std::size_t c = 0; c < nchan; ++c) {  // check every value before the file is touched
    const T* src = file.channels[c].data.data();
    for (Index j = 0; j < n * m; ++j) {
      const double v = double(src[j]);
      if (!(v >= lo && v <= hi && v == std::floor(v)))
        throw ValueError(sapper::detail::concat(path, ": channel ", c, " sample ", j % n, " of trace ", j / n, " = ",
                                                v, " is not an integer that ", bits, "-bit DZT samples hold [", lo,
                                                ", ", hi, "]"));
    }
  }

  std::vector<std::uint8_t> buf(trace_bytes * nchan);
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  if (!os) throw FormatError(path + ": cannot open the file for writing");
  os.write(reinterpret_cast<const char*>(hdr.data()), std::streamsize(hdr.size()));
  for (Index k = 0; k < m; ++k) {
    for (std::size_t c = 0; c < nchan; ++c) {
      std::uint8_t* dst = buf.data() + c * trace_bytes;
      const T* src = file.channels[c].data.data() + k * n;
      if (bits == 16)
        for (Index i = 0; i < n; ++i) put16(dst + std::size_t(i) * 2, std::uint16_t(std::int32_t(src[i]) + 32768));
      else
        for (Index i = 0; i < n; ++i) put32(dst + std::size_t(i) * 4, std::uint32_t(std::int32_t(src[i])));
    }
    os.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size()));
  }
  if (!os.flush()) throw FormatError(path + ": write failed");
}

template GprFile<float> read_dzt<float>(const std::string&);
template GprFile<double> read_dzt<double>(const std::string&);
template void write_dzt<float>(const std::string&, const GprFile<float>&, int);
template void write_dzt<double>(const std::string&, const GprFile<double>&, int);

}  // namespace sapper::io

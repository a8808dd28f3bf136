// MALA RD3 (int16) / RD7 (int32) + RAD. Layout and choices: docs/io.md, "MALA RD3/RD7 + RAD".
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "bytes.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/io/gpr_file.hpp"
#include "text_header.hpp"

namespace sapper::io {

namespace {

/// Centre frequency from an ANTENNAS text such as "500 MHz shielded" or "1.6 GHz": the number
/// just before "MHz"/"GHz" (case ignored); NaN when there is none.
double antenna_from_name(const std::string& name) {
  std::string low(name);
  std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const auto& [unit, scale] : {std::pair<const char*, double>{"mhz", 1.0}, {"ghz", 1000.0}}) {
    for (std::size_t at = low.find(unit); at != std::string::npos; at = low.find(unit, at + 1)) {
      std::size_t e = at;
      while (e > 0 && low[e - 1] == ' ') --e;
      std::size_t b = e;
      while (b > 0 && (std::isdigit(static_cast<unsigned char>(low[b - 1])) || low[b - 1] == '.')) --b;
      if (b == e) continue;
      const double x = std::strtod(low.substr(b, e - b).c_str(), nullptr) * scale;
      if (std::isfinite(x) && x > 0) return x;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

template <class T>
GprFile<T> read_mala(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ext != ".rd3" && ext != ".rd7") throw FormatError(path + ": a MALA data file is .rd3 (16-bit) or .rd7 (32-bit)");
  const std::size_t bps = ext == ".rd3" ? 2 : 4;

  const std::string rad_path = detail::sibling(path, {".rad", ".RAD", ".Rad"});
  if (rad_path.empty()) throw FormatError(path + ": RAD header file not found beside the data file (.rad or .RAD)");
  const detail::TextHeader rad(rad_path, ':');

  const auto n_samples = *rad.count("SAMPLES", 1, std::int64_t(1) << 24, true);
  const double freq_mhz = *rad.number("FREQUENCY", true);
  if (!(freq_mhz > 0)) rad.fail("FREQUENCY", "(sampling frequency, MHz) must be positive");
  const double dt_ns = 1000.0 / freq_mhz;
  if (!std::isfinite(dt_ns)) rad.fail("FREQUENCY", "is too small to give a sample interval");
  const double signal_position = rad.number("SIGNAL POSITION", false).value_or(0.0);
  const auto last_trace = rad.count("LAST TRACE", 0, std::int64_t(1) << 40, false);
  const auto distance_flag = rad.number("DISTANCE FLAG", false);
  const auto distance_interval = rad.number("DISTANCE INTERVAL", false);
  const double start_position = rad.number("START POSITION", false).value_or(0.0);

  const detail::Bytes b(path);
  const std::size_t trace_bytes = std::size_t(n_samples) * bps;
  if (b.size() == 0) b.fail(0, "SAMPLES", "the data file is empty");
  const std::size_t m = b.size() / trace_bytes;
  if (b.size() % trace_bytes != 0)
    b.fail(m * trace_bytes, sapper::detail::concat("trace ", m, " (SAMPLES = ", n_samples, ")"),
           sapper::detail::concat("the file ends inside a trace: ", b.size(), " bytes is not a whole number of ",
                                  trace_bytes, "-byte traces (truncated, or SAMPLES is wrong)"));
  if (last_trace && std::size_t(*last_trace) > m)
    b.need(m * trace_bytes, (std::size_t(*last_trace) - m) * trace_bytes,
           sapper::detail::concat("LAST TRACE = ", *last_trace, " (the file holds ", m, " traces)"));

  GprFile<T> out;
  out.path = path;
  out.format = ext.substr(1);
  out.header = rad.fields();

  BScan<T> s;
  s.format.n_samples = n_samples;
  s.format.dt_ns = dt_ns;
  s.format.time_zero_ns = signal_position * dt_ns;  // SIGNAL POSITION is in samples
  if (!std::isfinite(s.format.time_zero_ns)) rad.fail("SIGNAL POSITION", "gives a time zero that is not finite");
  s.axes.antenna_mhz = antenna_from_name(rad.get("ANTENNAS").value_or(""));
  detail::size_output(s.data, n_samples, Index(m));
  parallel_for(Index(m), 0, [&](Index j0, Index j1) {  // memory-bound: all cores keep it moving
    for (auto j = std::size_t(j0); j < std::size_t(j1); ++j) {
      T* col = s.data.col(Index(j)).data();
      if (bps == 2)
        b.le_words<std::int16_t>(j * trace_bytes, std::size_t(n_samples), col, "sample");
      else
        b.le_words<std::int32_t>(j * trace_bytes, std::size_t(n_samples), col, "sample");
    }
  }, 256);
  if (distance_flag && *distance_flag == 1 && distance_interval && *distance_interval > 0) {
    s.axes.position_m.resize(m);
    for (std::size_t j = 0; j < m; ++j) s.axes.position_m[j] = start_position + double(j) * *distance_interval;
  }
  s.validate();
  out.channels.push_back(std::move(s));
  return out;
}

template GprFile<float> read_mala<float>(const std::string&);
template GprFile<double> read_mala<double>(const std::string&);

}  // namespace sapper::io

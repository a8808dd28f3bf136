// sapper::gpr: the parameters of each preprocessing step, as plain data. A Chain is a
// list of these; each also has a batch function in ops.hpp. Units: ns, MHz, traces.
#pragma once

#include <limits>
#include <string>
#include <variant>

#include "sapper/core/types.hpp"

namespace sapper::gpr {

enum class Statistic { mean, median };

inline constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

/// Subtract each trace's mean/median over [t0_ns, t1_ns] after time zero (whole trace if t1_ns <= t0_ns).
struct RemoveDc {
  Statistic method = Statistic::mean;
  double t0_ns = 0, t1_ns = 0;
};

/// Subtract a centred running mean/median of window_ns.
struct Dewow {
  double window_ns = 2.0;
  Statistic method = Statistic::mean;
};

/// Align every trace's first break (first |x| >= threshold * max|x| within search_ns of
/// sample 0; whole trace if search_ns <= 0) at target_ns, snapped to the sample grid, by
/// windowed-sinc interpolation; crop drops the samples before it. target_ns unset: the
/// median first break of the B-scan (batch only; a stream needs it set).
struct TimeZero {
  double threshold = 0.2;
  double target_ns = kUnset;
  double search_ns = 0;
  bool crop = true;
};

/// Background removal: window_traces (odd) moving window, centred (latency window/2 when
/// streaming) or causal (trailing window, no latency); window_traces = 0: global mean trace.
struct Background {
  Index window_traces = 51;
  Statistic method = Statistic::mean;
  bool causal = false;
};

/// SEC gain min(max_gain, max(t, dt)^power * exp(alpha_per_ns * max(t, 0))), t after time zero.
struct Gain {
  double power = 1.0;
  double alpha_per_ns = 0.0;
  double max_gain = 1e6;
};

/// Automatic gain control: 1/RMS over a centred window of window_ns, capped at max_gain.
struct Agc {
  double window_ns = 5.0;
  double max_gain = 1e6;
};

/// Band-pass in MHz. Zero-phase in the frequency domain with cos^2 tapers of taper_mhz
/// (unset: a quarter of the band), or causal: a Butterworth of `order` (bilinear transform).
struct Bandpass {
  double low_mhz = 0, high_mhz = 0;
  double taper_mhz = kUnset;
  bool causal = false;
  int order = 4;
};

/// Instantaneous amplitude |x + i H{x}|.
struct Envelope {};

using Step = std::variant<RemoveDc, Dewow, TimeZero, Background, Gain, Agc, Bandpass, Envelope>;

/// The step as a JSON object {"op": "<name>", <parameters>...}; unset values are null.
std::string to_json(const Step& s);
/// Parses one step; unknown op or parameter names, and wrong types, throw ValueError.
Step step_from_json(const std::string& json);
/// The op name ("remove_dc", "dewow", "time_zero", "background", "gain", "agc", "bandpass", "envelope").
const char* op_name(const Step& s);

}  // namespace sapper::gpr

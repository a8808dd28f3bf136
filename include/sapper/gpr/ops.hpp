// sapper::gpr: B-scan preprocessing operations. Formulas and units: docs/gpr.md.
// Every function reads `in` and writes `out` (same shape; in == out is allowed),
// validates its parameters (throws sapper::ValueError naming the bad value), and
// splits traces over `threads` (0 = all cores). NaN/Inf propagate; the Python
// layer rejects them up front. Trace-local operations (everything except the
// background removals) give identical results for any split of the traces into
// blocks, so they stream by calling them block by block.
#pragma once

#include <span>

#include "sapper/core/types.hpp"
#include "sapper/gpr/steps.hpp"

namespace sapper::gpr {

/// Subtract each trace's mean or median, taken over [t0_ns, t1_ns] (whole trace if t1_ns <= t0_ns).
template <class T>
void remove_dc(ConstView<T> in, View<T> out, const TraceFormat& f, Statistic s = Statistic::mean,
               double t0_ns = 0, double t1_ns = 0, int threads = 0);

/// Subtract a centred running mean/median over 2*floor(window_ns/dt/2)+1 samples (truncated at the ends).
template <class T>
void dewow(ConstView<T> in, View<T> out, const TraceFormat& f, double window_ns,
           Statistic s = Statistic::mean, int threads = 0);

/// out = in * min(max_gain, max(t, dt)^power * exp(alpha_per_ns * max(t, 0))), t = i*dt - time_zero (ns).
/// power = 0 gives exponential gain, alpha = 0 gives t-power gain; both give SEC gain.
template <class T>
void sec_gain(ConstView<T> in, View<T> out, const TraceFormat& f, double power, double alpha_per_ns,
              double max_gain = 1e6, int threads = 0);

/// out = in * min(max_gain, 1 / rms), rms over a centred window of window_ns (truncated at the ends).
template <class T>
void agc(ConstView<T> in, View<T> out, const TraceFormat& f, double window_ns, double max_gain = 1e6,
         int threads = 0);

/// Zero-phase band-pass in the frequency domain: gain 1 in [low+taper/2, high-taper/2],
/// cos^2 ramps of width taper_mhz centred on low_mhz and high_mhz, 0 outside. Traces are
/// zero-padded to fft_size(n) = good_size(n + n/4) to keep wrap-around away from the ends.
template <class T>
void bandpass(ConstView<T> in, View<T> out, const TraceFormat& f, double low_mhz, double high_mhz,
              double taper_mhz, int threads = 0);

/// FFT length used by bandpass for traces of n samples.
Index bandpass_fft_size(Index n);

/// Instantaneous amplitude |x + i H{x}| (same definition as scipy.signal.hilbert, no padding).
template <class T>
void envelope(ConstView<T> in, View<T> out, int threads = 0);

/// Subtract the mean trace of the whole B-scan.
template <class T>
void remove_mean_trace(ConstView<T> in, View<T> out, int threads = 0);

/// Subtract, per sample, the mean/median of a window of `window_traces` traces (odd):
/// centred, or trailing (causal: the trace and the window-1 before it); truncated at the
/// ends of the profile. in == out is allowed (no copy of the B-scan is made).
template <class T>
void moving_background(ConstView<T> in, View<T> out, Index window_traces,
                       Statistic s = Statistic::mean, int threads = 0, bool causal = false);

/// First-break time of every trace in ns after sample 0 (see TimeZero): the first sample where
/// |x| >= threshold * max|x| (max over the first search_ns; whole trace if <= 0), linearly
/// interpolated between that sample and the one before. NaN for a trace that is all zero.
template <class T>
void first_break(ConstView<T> in, const TraceFormat& f, double threshold, double search_ns,
                 std::span<double> picks_ns, int threads = 0);

/// Shifts trace j later by shifts_ns[j] (y(t) = x(t - s)), by 16-tap Lanczos (windowed-sinc)
/// interpolation with weights normalised to sum 1; samples from outside the trace are 0.
template <class T>
void shift_traces(ConstView<T> in, View<T> out, const TraceFormat& f, std::span<const double> shifts_ns,
                  int threads = 0);

/// Validates p and fills in its target (median first break, snapped to the grid) when unset.
template <class T>
TimeZero resolve_time_zero(ConstView<T> in, const TraceFormat& f, TimeZero p, int threads = 0);

/// The format after time-zero alignment with resolved parameters p: time zero at sample
/// round(target/dt), or sample 0 with n_samples reduced accordingly when p.crop.
TraceFormat time_zero_format(const TraceFormat& f, const TimeZero& p);

/// Time-zero alignment with resolved parameters (resolve_time_zero): shifts every trace so that
/// its first break lands on time zero; out has time_zero_format(f, p).n_samples rows (in == out
/// only without crop). Traces without a first break are moved by the crop only.
template <class T>
void time_zero(ConstView<T> in, View<T> out, const TraceFormat& f, const TimeZero& p, int threads = 0);

#define SAPPER_GPR_EXTERN(T)                                                                          \
  extern template void remove_dc<T>(ConstView<T>, View<T>, const TraceFormat&, Statistic, double,    \
                                    double, int);                                                      \
  extern template void dewow<T>(ConstView<T>, View<T>, const TraceFormat&, double, Statistic, int);  \
  extern template void sec_gain<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, double, \
                                   int);                                                               \
  extern template void agc<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, int);        \
  extern template void bandpass<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, double, \
                                   int);                                                               \
  extern template void envelope<T>(ConstView<T>, View<T>, int);                                       \
  extern template void remove_mean_trace<T>(ConstView<T>, View<T>, int);                              \
  extern template void moving_background<T>(ConstView<T>, View<T>, Index, Statistic, int, bool);     \
  extern template void first_break<T>(ConstView<T>, const TraceFormat&, double, double, std::span<double>, \
                                      int);                                                            \
  extern template void shift_traces<T>(ConstView<T>, View<T>, const TraceFormat&,                     \
                                       std::span<const double>, int);                                  \
  extern template TimeZero resolve_time_zero<T>(ConstView<T>, const TraceFormat&, TimeZero, int);     \
  extern template void time_zero<T>(ConstView<T>, View<T>, const TraceFormat&, const TimeZero&, int);
SAPPER_GPR_EXTERN(float)
SAPPER_GPR_EXTERN(double)
#undef SAPPER_GPR_EXTERN

}  // namespace sapper::gpr

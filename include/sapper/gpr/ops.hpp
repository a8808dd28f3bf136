// sapper::gpr: B-scan preprocessing operations. Formulas and units: docs/gpr.md.
// Every function reads `in` and writes `out` (same shape; in == out is allowed),
// validates its parameters (throws sapper::ValueError naming the bad value), and
// splits traces over `threads` (0 = all cores). NaN/Inf propagate; the Python
// layer rejects them up front. Trace-local operations (everything except the
// background removals) give identical results for any split of the traces into
// blocks, so they stream by calling them block by block.
#pragma once

#include "sapper/core/types.hpp"

namespace sapper::gpr {

enum class Statistic { mean, median };

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

/// Subtract, per sample, the mean/median of a centred window of `window_traces` traces
/// (odd; truncated at the ends of the profile).
template <class T>
void moving_background(ConstView<T> in, View<T> out, Index window_traces,
                       Statistic s = Statistic::mean, int threads = 0);

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
  extern template void moving_background<T>(ConstView<T>, View<T>, Index, Statistic, int);
SAPPER_GPR_EXTERN(float)
SAPPER_GPR_EXTERN(double)
#undef SAPPER_GPR_EXTERN

}  // namespace sapper::gpr

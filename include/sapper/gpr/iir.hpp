// sapper::gpr: causal IIR filtering of GPR traces by cascades of second-order sections,
// and the Butterworth design for them. Traces are filtered along samples, each from zero
// state, so a streamed profile gives the same output for any split into blocks of traces.
// The cascade runs in double whatever T is (T is only read and written), transposed direct
// form II, and allocates nothing (state on the stack; thread handles only when threads > 1).
// The coefficients are immutable data: thread-safe to share.
#pragma once

#include <vector>

#include "sapper/core/types.hpp"

namespace sapper::gpr {

/// One second-order section, a0 = 1: y = b0 x + b1 x[-1] + b2 x[-2] - a1 y[-1] - a2 y[-2].
struct Biquad {
  double b0, b1, b2, a1, a2;
};

/// Digital Butterworth band-pass from an analog low-pass prototype of `order` poles (so 2*order
/// poles, `order` sections), by the bilinear transform with corners pre-warped to
/// Omega = tan(pi f dt): same response as scipy.signal.butter(order, [low_mhz, high_mhz],
/// btype='bandpass', fs=1e3/dt_ns, output='sos') (sections paired and scaled differently).
/// low_mhz = 0 gives a low-pass at high_mhz, high_mhz >= Nyquist a high-pass at low_mhz (each
/// of `order` poles; an odd order has one first-order section), both at once one pass-through
/// section. Requires order in [1, 12], dt_ns > 0 finite, 0 <= low_mhz < high_mhz,
/// low_mhz < Nyquist; throws ValueError naming the bad value.
std::vector<Biquad> butterworth_bandpass(int order, double low_mhz, double high_mhz, double dt_ns);

/// One trace: y[0..n) = the cascade applied to x[0..n) from zero state (x == y allowed).
/// No checks, no allocation: the hot path of sosfilt and of the causal Bandpass step.
template <class T>
void sosfilt_trace(const std::vector<Biquad>& sos, const T* x, T* y, Index n) noexcept;

/// Every trace (column) through the cascade from zero state, as scipy.signal.sosfilt(sos, x,
/// axis=0) (which computes in T; this in double). in == out allowed. `threads` splits traces
/// (0 = all cores). Rejects an empty or non-finite sos and out.shape != in.shape (ValueError).
template <class T>
void sosfilt(const std::vector<Biquad>& sos, ConstView<T> in, View<T> out, int threads = 0);

#define SAPPER_GPR_IIR_EXTERN(T)                                                                     \
  extern template void sosfilt_trace<T>(const std::vector<Biquad>&, const T*, T*, Index) noexcept; \
  extern template void sosfilt<T>(const std::vector<Biquad>&, ConstView<T>, View<T>, int);
SAPPER_GPR_IIR_EXTERN(float)
SAPPER_GPR_IIR_EXTERN(double)
#undef SAPPER_GPR_IIR_EXTERN

}  // namespace sapper::gpr

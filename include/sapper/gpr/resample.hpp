// sapper::gpr: stacking and resampling of traces along the survey line.
// Both functions read a B-scan (samples x traces) and return a new one; they validate
// their parameters (throw sapper::ValueError naming the bad value) and split output
// traces over `threads` (0 = all cores). Sums are taken in double. NaN/Inf in the data
// propagate into the output traces they touch. Cost O(n_samples * (n_traces + n_out)).
#pragma once

#include <cmath>
#include <vector>

#include "sapper/core/types.hpp"

namespace sapper::gpr {

/// Largest output resample_traces will allocate, in values (output traces x samples):
/// 10^8 values is 0.8 GB in double. A spacing that would exceed it is rejected.
inline constexpr Index max_resampled_values = 100'000'000;

/// Average every `n` consecutive traces: output trace g is the mean of input traces
/// [g*n, min((g+1)*n, m)), so the last, partial group is averaged over the traces it has.
/// Output has ceil(m/n) traces. Requires n >= 1 and a non-empty input.
template <class T>
Matrix<T> stack_traces(ConstView<T> in, Index n, int threads = 0);

/// Result of resample_traces: trace k of `data` lies at position x0_m + k*spacing_m.
template <class T>
struct Resampled {
  Matrix<T> data;
  double x0_m = 0;
  double spacing_m = 0;
  std::vector<Index> count;  ///< input traces stacked into each output trace (0 = interpolated)
};

/// Resample traces to a uniform spacing s = spacing_m along the line, from the position p_j
/// of every input trace j = 0..m-1 (m = in.cols()), in metres, finite and non-decreasing
/// (repeats allowed: the cart stopped). Definition:
///   x0 = p_0;  K = floor((p_{m-1} - x0)/s + 1e-9) + 1 output traces at x_k = x0 + k*s.
///   Bin k holds the traces with u_j = (p_j - x0)/s in [k - 1/2, k + 1/2), i.e. p_j in
///   [x_k - s/2, x_k + s/2); the last bin, k = K-1, is closed: u_j in [K - 3/2, K - 1/2].
///   Traces past the last bin (u_j > K - 1/2, a tail shorter than s/2) are in no bin.
///   count[k] = number of traces in bin k.
///   count[k] > 0:  out_k = mean of the traces in bin k (stacking).
///   count[k] == 0: linear interpolation between the nearest traces on either side: the last
///                  trace a before the bin and the next one, b = a + 1 (adjacent in index,
///                  since positions are sorted): out_k = in_a + (x_k - p_a)/(p_b - p_a) * (in_b - in_a).
/// Bin 0 always holds trace 0 and an empty last bin has traces beyond it, so both neighbours
/// exist and p_b - p_a > s. A line of zero length (all p_j equal) gives one output trace,
/// the mean of all traces. Rejects: positions_m.size() != m, empty input, a non-finite or
/// decreasing position (names the first offending index and values), s not finite and > 0,
/// and K * n_samples > max_resampled_values.
template <class T>
Resampled<T> resample_traces(ConstView<T> in, const std::vector<double>& positions_m, double spacing_m,
                             int threads = 0);

/// K of resample_traces for a line from first_m to last_m at spacing_m: floor(L / s + 1e-9) + 1
/// (the tolerance keeps the end point of a line that is a whole number of spacings long).
inline double resampled_traces(double first_m, double last_m, double spacing_m) {
  return std::floor((last_m - first_m) / spacing_m + 1e-9) + 1;
}

/// Band-limited resampling of every trace to out.rows() = m samples over the same time window
/// (sample interval dt n / m for n = in.rows()), as scipy.signal.resample(in, m, axis=0): the
/// trace's real spectrum cut to (or padded with zeros beyond) min(n, m) / 2 + 1 bins, the unpaired
/// bin min(n, m) / 2 doubled when shrinking and halved when growing where min(n, m) is even, then
/// the inverse transform over n. The trace is taken as periodic (no taper), so a trace whose ends
/// differ rings a little at both. out.cols() must equal in.cols(); out must not alias in.
/// Rejects an empty input, m < 1 and mismatched traces; NaN/Inf samples are not checked (they spread over the trace).
template <class T>
void resample_samples(ConstView<T> in, View<T> out, int threads = 0);

#define SAPPER_GPR_RESAMPLE_EXTERN(T)                                                   \
  extern template Matrix<T> stack_traces<T>(ConstView<T>, Index, int);                  \
  extern template void resample_samples<T>(ConstView<T>, View<T>, int);                 \
  extern template Resampled<T> resample_traces<T>(ConstView<T>, const std::vector<double>&, double, int);
SAPPER_GPR_RESAMPLE_EXTERN(float)
SAPPER_GPR_RESAMPLE_EXTERN(double)
#undef SAPPER_GPR_RESAMPLE_EXTERN

}  // namespace sapper::gpr

// Private: configured per-trace kernels and the background-removal core. Each kernel is
// validated and planned once (make), owns no mutable state, and runs one trace at a time
// with caller-provided Work, so batch calls (a Work per thread) and streams (a Work made at
// configure time) share one implementation and the stream allocates nothing per trace.
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/core/fft.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/gpr/iir.hpp"
#include "sapper/gpr/ops.hpp"

namespace sapper::gpr::detail {

inline void check_format(const TraceFormat& f) {
  require(f.n_samples >= 1, "n_samples = ", f.n_samples, " must be at least 1");
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be a positive number of ns");
  require(std::isfinite(f.time_zero_ns), "time_zero_ns = ", f.time_zero_ns, " must be finite");
}

inline void check_positive(double v, const char* name) {
  require(std::isfinite(v) && v > 0, name, " = ", v, " must be positive and finite");
}

template <class T>
void check_shapes(const ConstView<T>& in, const View<T>& out, Index out_rows) {
  require(out.rows() == out_rows && in.cols() == out.cols(), "output shape (", out.rows(), ", ", out.cols(),
          ") must be (", out_rows, ", ", in.cols(), ") for input shape (", in.rows(), ", ", in.cols(), ")");
}

/// Half-width in samples of a centred window of `window` units at spacing `d`.
inline Index half_width(double window, double d) { return Index(std::floor(window / d / 2)); }

/// Median of v[0..n) (mean of the two middle values when n is even); reorders v.
template <class T>
T median(T* v, Index n) {
  T* mid = v + n / 2;
  std::nth_element(v, mid, v + n);
  if (n % 2) return *mid;
  return T(0.5) * (*mid + *std::max_element(v, mid));
}

/// Scratch of the plain kernels: one or two trace-length arrays.
template <class T>
struct Scratch {
  std::vector<T> a;
  std::vector<double> d;
};

template <class T>
struct DcKernel {
  Index n, i0, i1;
  Statistic s;
  static DcKernel make(const TraceFormat& f, const RemoveDc& p);
  Index n_out() const { return n; }
  Scratch<T> work() const { return {std::vector<T>(s == Statistic::median ? i1 - i0 : 0), {}}; }
  void operator()(const T* x, T* y, Scratch<T>& w) const;
};

template <class T>
struct DewowKernel {
  Index n, h;
  Statistic s;
  static DewowKernel make(const TraceFormat& f, const Dewow& p);
  Index n_out() const { return n; }
  Scratch<T> work() const { return {std::vector<T>(s == Statistic::median ? n + 2 * h + 1 : n), std::vector<double>(n + 1)}; }
  void operator()(const T* x, T* y, Scratch<T>& w) const;
};

template <class T>
struct GainKernel {  // SEC / t-power gain and AGC
  Index n, h = -1;   // h >= 0: AGC half-width
  double max_gain = 0;
  std::vector<T> g;  // fixed gain curve (SEC)
  static GainKernel make(const TraceFormat& f, const Gain& p);
  static GainKernel make(const TraceFormat& f, const Agc& p);
  Index n_out() const { return n; }
  Scratch<T> work() const { return {std::vector<T>(h >= 0 ? n : 0), std::vector<double>(h >= 0 ? n + 1 : 0)}; }
  void operator()(const T* x, T* y, Scratch<T>& w) const;
};

template <class T>
struct FftWork {
  fft::Buffer<T> r;
  fft::Buffer<std::complex<T>> c, z;
};

template <class T>
struct BandpassKernel {  // zero-phase (FFT) or causal (Butterworth sections)
  Index n, nf = 0;
  std::shared_ptr<const fft::RealPlan<T>> plan;
  std::vector<T> H;
  std::vector<Biquad> sos;
  static BandpassKernel make(const TraceFormat& f, const Bandpass& p);
  Index n_out() const { return n; }
  FftWork<T> work() const;
  void operator()(const T* x, T* y, FftWork<T>& w) const;
};

template <class T>
struct EnvelopeKernel {
  Index n;
  std::shared_ptr<const fft::RealPlan<T>> plan;
  static EnvelopeKernel make(const TraceFormat& f, const Envelope& p);
  Index n_out() const { return n; }
  FftWork<T> work() const;
  void operator()(const T* x, T* y, FftWork<T>& w) const;
};

/// First break of one trace in samples (NaN if the trace is all zero).
template <class T>
double first_break_samples(const T* x, Index n_search, double threshold);

template <class T>
struct TimeZeroKernel {
  Index n, k0, crop;  // time zero at uncropped sample k0; `crop` samples dropped
  Index n_search;
  double threshold;
  static TimeZeroKernel make(const TraceFormat& f, const TimeZero& resolved);
  Index n_out() const { return n - crop; }
  Scratch<T> work() const { return {std::vector<T>(n), {}}; }
  void operator()(const T* x, T* y, Scratch<T>& w) const;
};

/// y[i] = x(i - d) for i in [c, c + n_out), written to y[0..n_out): Lanczos interpolation.
template <class T>
void shift_one(const T* x, Index n, T* y, Index n_out, Index c, double d);

/// Runs a kernel over every trace, traces split over threads, one Work per thread.
template <class K, class T>
void run_tracewise(const K& k, ConstView<T> in, View<T> out, int threads) {
  check_shapes(in, out, k.n_out());
  require(in.rows() == k.n, "input has ", in.rows(), " samples per trace; the step was configured for ", k.n);
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    auto w = k.work();
    for (Index j = b; j < e; ++j) k(in.col(j).data(), out.col(j).data(), w);
  }, 16);
}

/// Moving-window background over `rows` samples, fed one trace at a time. The window of output
/// j is traces [j - back, j + lead] (back + lead + 1 = window), truncated at the profile's ends;
/// output j is ready when trace j + lead has been pushed. Allocates only in the constructor.
template <class T>
class BackgroundCore {
 public:
  BackgroundCore(Index rows, Index window, Index lead, Statistic s);
  /// Takes the next trace; writes the output that became ready to y and returns true, if any.
  bool push(const T* x, T* y);
  /// At the end of the profile: writes the next held output to y; false when none is left.
  bool flush_one(T* y);
  void reset() { lo_ = hi_ = emitted_ = 0; std::fill(sum_.begin(), sum_.end(), 0.0); }
  Index latency() const { return lead_; }

 private:
  void evict_before(Index j);  // drops the traces before the window of output j
  void emit(Index j, T* y);
  T* slot(Index j) { return ring_.data() + (j % w_) * rows_; }
  Index rows_, w_, lead_;
  Statistic s_;
  std::vector<T> ring_, tmp_;
  std::vector<double> sum_;
  Index lo_ = 0, hi_ = 0, emitted_ = 0;  // sum_ covers traces [lo_, hi_)
};

}  // namespace sapper::gpr::detail

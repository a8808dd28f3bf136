// GPR preprocessing operations (see docs/gpr.md for the exact definitions): the kernels of
// kernels.hpp and the batch functions of ops.hpp, which validate, make a kernel and run it.
#include "sapper/gpr/ops.hpp"

#include "kernels.hpp"

namespace sapper::gpr {
namespace detail {

namespace {
constexpr double kPi = 3.14159265358979323846;

/// P[i] = x[0] + ... + x[i-1] in double (P has n + 1 entries), of x or of x^2. Four
/// interleaved chains over quarters of the trace hide the latency of the dependent adds.
template <bool Square, class T>
void prefix_sums(const T* x, Index n, double* P) {
  auto v = [](T a) { return Square ? double(a) * double(a) : double(a); };
  const Index q = n / 4;
  double s[4] = {0, 0, 0, 0};
  P[0] = 0;
  for (Index i = 0; i < q; ++i)
    for (int k = 0; k < 4; ++k) P[k * q + i + 1] = s[k] += v(x[k * q + i]);
  for (Index i = 4 * q; i < n; ++i) P[i + 1] = s[3] += v(x[i]);
  for (int k = 1; k < 4; ++k) {  // quarters k = 1..3 start from the sum before them
    const double off = P[k * q];
    for (Index i = k * q + 1; i <= (k == 3 ? n : (k + 1) * q); ++i) P[i] += off;
  }
}

/// Calls f(i, mean) for the centred window of half-width h at every sample, from prefix sums P.
template <class F>
void window_means(const double* P, Index n, Index h, F&& f) {
  const Index e = std::min(h, n);
  for (Index i = 0; i < e; ++i) {  // truncated at the start (and the end too for short traces)
    const Index b = std::min(n, i + h + 1);
    f(i, (P[b] - P[0]) / double(b));
  }
  const double inv = 1.0 / double(2 * h + 1);
  for (Index i = e; i < n - h; ++i) f(i, (P[i + h + 1] - P[i - h]) * inv);
  for (Index i = std::max(e, n - h); i < n; ++i) f(i, (P[n] - P[i - h]) / double(n - i + h));
}
}  // namespace

template <class T>
DcKernel<T> DcKernel<T>::make(const TraceFormat& f, const RemoveDc& p) {
  check_format(f);
  Index i0 = 0, i1 = f.n_samples;
  if (p.t1_ns > p.t0_ns) {
    require(std::isfinite(p.t0_ns) && std::isfinite(p.t1_ns), "DC window [", p.t0_ns, ", ", p.t1_ns, "] ns must be finite");
    i0 = std::clamp<Index>(Index(std::ceil((p.t0_ns + f.time_zero_ns) / f.dt_ns)), 0, f.n_samples);
    i1 = std::clamp<Index>(Index(std::floor((p.t1_ns + f.time_zero_ns) / f.dt_ns)) + 1, 0, f.n_samples);
    require(i1 > i0, "DC window [", p.t0_ns, ", ", p.t1_ns, "] ns holds no sample of the trace");
  }
  return {f.n_samples, i0, i1, p.method};
}

template <class T>
void DcKernel<T>::operator()(const T* x, T* y, Scratch<T>& w) const {
  T c;
  if (s == Statistic::mean) {
    const double acc = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(x + i0, i1 - i0).template cast<double>().sum();
    c = T(acc / double(i1 - i0));
  } else {
    std::copy(x + i0, x + i1, w.a.data());
    c = median(w.a.data(), i1 - i0);
  }
  for (Index i = 0; i < n; ++i) y[i] = x[i] - c;
}

template <class T>
DewowKernel<T> DewowKernel<T>::make(const TraceFormat& f, const Dewow& p) {
  check_format(f);
  check_positive(p.window_ns, "dewow window_ns");
  return {f.n_samples, std::min(half_width(p.window_ns, f.dt_ns), f.n_samples), p.method};
}

template <class T>
void DewowKernel<T>::operator()(const T* x, T* y, Scratch<T>& w) const {
  if (s == Statistic::mean) {
    prefix_sums<false>(x, n, w.d.data());  // all of x is read before y (maybe x) is written
    window_means(w.d.data(), n, h, [&](Index i, double m) { y[i] = x[i] - T(m); });
    return;
  }
  T* m = w.a.data();
  T* win = m + n;
  for (Index i = 0; i < n; ++i) {
    const Index a = std::max<Index>(0, i - h), b = std::min<Index>(n, i + h + 1);
    std::copy(x + a, x + b, win);
    m[i] = median(win, b - a);
  }
  for (Index i = 0; i < n; ++i) y[i] = x[i] - m[i];
}

template <class T>
GainKernel<T> GainKernel<T>::make(const TraceFormat& f, const Gain& p) {
  check_format(f);
  require(std::isfinite(p.power) && std::abs(p.power) <= 10, "gain power = ", p.power, " must be in [-10, 10]");
  require(std::isfinite(p.alpha_per_ns) && std::abs(p.alpha_per_ns) <= 100, "gain alpha_per_ns = ",
          p.alpha_per_ns, " must be in [-100, 100] 1/ns");
  check_positive(p.max_gain, "max_gain");
  GainKernel k{f.n_samples, -1, p.max_gain, std::vector<T>(f.n_samples)};
  for (Index i = 0; i < f.n_samples; ++i) {
    const double t = double(i) * f.dt_ns - f.time_zero_ns;
    const double v = std::pow(std::max(t, f.dt_ns), p.power) * std::exp(p.alpha_per_ns * std::max(t, 0.0));
    k.g[i] = T(std::min(p.max_gain, v));
  }
  return k;
}

template <class T>
GainKernel<T> GainKernel<T>::make(const TraceFormat& f, const Agc& p) {
  check_format(f);
  check_positive(p.window_ns, "agc window_ns");
  check_positive(p.max_gain, "max_gain");
  return {f.n_samples, std::min(half_width(p.window_ns, f.dt_ns), f.n_samples), p.max_gain, {}};
}

template <class T>
void GainKernel<T>::operator()(const T* x, T* y, Scratch<T>& w) const {
  if (h < 0) {
    for (Index i = 0; i < n; ++i) y[i] = x[i] * g[i];
    return;
  }
  prefix_sums<true>(x, n, w.d.data());
  T* gi = w.a.data();
  window_means(w.d.data(), n, h, [&](Index i, double ms) {
    const double rms = std::sqrt(std::max(ms, 0.0));
    gi[i] = T(rms * max_gain > 1 ? 1 / rms : max_gain);
  });
  for (Index i = 0; i < n; ++i) y[i] = x[i] * gi[i];
}

template <class T>
BandpassKernel<T> BandpassKernel<T>::make(const TraceFormat& f, const Bandpass& p) {
  check_format(f);
  const double nyq_mhz = 1e3 / (2 * f.dt_ns);
  const double low = p.low_mhz, high = p.high_mhz;
  require(std::isfinite(low) && low >= 0, "band-pass low_mhz = ", low, " must be >= 0");
  require(std::isfinite(high) && high > low && high <= nyq_mhz, "band-pass high_mhz = ", high,
          " must lie in (low_mhz = ", low, ", Nyquist = ", nyq_mhz, "]");
  BandpassKernel k;
  k.n = f.n_samples;
  if (p.causal) {
    k.sos = butterworth_bandpass(p.order, low, high, f.dt_ns);
    return k;
  }
  const double taper = std::isnan(p.taper_mhz) ? 0.25 * (high - low) : p.taper_mhz;
  require(std::isfinite(taper) && taper >= 0 && taper <= high - low, "band-pass taper_mhz = ", taper,
          " must lie in [0, high_mhz - low_mhz]");
  k.nf = bandpass_fft_size(k.n);
  k.plan = fft::RealPlan<T>::get(k.nf);
  const Index nb = k.nf / 2 + 1;
  k.H.resize(nb);
  auto ramp = [&](double fr, double edge) {  // 0 below edge - taper/2, 1 above edge + taper/2
    if (taper == 0) return fr >= edge ? 1.0 : 0.0;
    const double u = std::clamp((fr - edge) / taper + 0.5, 0.0, 1.0);
    return std::pow(std::sin(0.5 * kPi * u), 2);
  };
  for (Index i = 0; i < nb; ++i) {
    const double fr = double(i) * 1e3 / (double(k.nf) * f.dt_ns);
    const double lo = low > 0 ? ramp(fr, low) : 1.0;
    const double hi = high < nyq_mhz ? 1.0 - ramp(fr, high) : 1.0;
    k.H[i] = T(lo * hi / double(k.nf));  // the inverse FFT's 1/nf folded in
  }
  return k;
}

template <class T>
FftWork<T> BandpassKernel<T>::work() const {
  return {fft::Buffer<T>(nf), fft::Buffer<std::complex<T>>(nf ? nf / 2 + 1 : 0), {}};
}

template <class T>
void BandpassKernel<T>::operator()(const T* x, T* y, FftWork<T>& w) const {
  if (!sos.empty()) {
    sosfilt_trace(sos, x, y, n);
    return;
  }
  std::copy_n(x, n, w.r.data());
  std::fill(w.r.begin() + n, w.r.end(), T(0));
  plan->forward(w.r.data(), w.c.data());
  for (std::size_t i = 0; i < H.size(); ++i) w.c[i] *= H[i];
  plan->inverse(w.c.data(), w.r.data());
  std::copy_n(w.r.data(), n, y);
}

template <class T>
EnvelopeKernel<T> EnvelopeKernel<T>::make(const TraceFormat& f, const Envelope&) {
  check_format(f);
  return {f.n_samples, fft::RealPlan<T>::get(f.n_samples)};
}

template <class T>
FftWork<T> EnvelopeKernel<T>::work() const {
  return {fft::Buffer<T>(n), fft::Buffer<std::complex<T>>(n), fft::Buffer<std::complex<T>>(n)};
}

template <class T>
void EnvelopeKernel<T>::operator()(const T* x, T* y, FftWork<T>& w) const {
  std::copy_n(x, n, w.r.data());
  plan->forward(w.r.data(), w.c.data());
  // analytic signal: keep DC (and Nyquist), double positive, zero negative frequencies
  for (Index i = 1; i < (n + 1) / 2; ++i) w.c[i] *= T(2);
  std::fill(w.c.begin() + n / 2 + 1, w.c.end(), std::complex<T>(0));
  plan->inverse_complex(w.c.data(), w.z.data());
  const T s = T(1) / T(n);
  for (Index i = 0; i < n; ++i) y[i] = std::abs(w.z[i]) * s;
}

template <class T>
double first_break_samples(const T* x, Index n_search, double threshold) {
  if (n_search < 1) return std::nan("");
  const T a = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(x, n_search).abs().maxCoeff();  // vectorised
  if (!(a > 0) || !std::isfinite(a)) return std::nan("");
  const double level = threshold * double(a);
  Index i = 0;
  while (std::abs(x[i]) < level) ++i;  // terminates: |x| reaches a >= level
  if (i == 0) return 0;
  const double p = std::abs(double(x[i - 1])), q = std::abs(double(x[i]));
  return double(i - 1) + (level - p) / (q - p);
}

template <class T>
void shift_one(const T* x, Index n, T* y, Index n_out, Index c, double d) {
  constexpr int M = 8;  // Lanczos half-width: 16 taps
  const double s = double(c) - d, fl = std::floor(s), u = s - fl;
  if (!(std::abs(fl) <= double(n + n_out + M))) return std::fill(y, y + n_out, T(0));  // shifted out entirely
  T w[2 * M];
  int taps = 2 * M, o0 = -M + 1;
  if (u < 1e-9 || u > 1 - 1e-9) {  // a whole number of samples: a plain copy
    w[0] = 1, taps = 1, o0 = u < 0.5 ? 0 : 1;
  } else {
    // L(z) = sinc(z) sinc(z/M) at z = u - o: sin(pi z) = (-1)^o sin(pi u), and sin(pi z/M) by
    // the angle-difference formula, so three trig calls per trace instead of 32
    const double su = std::sin(kPi * u), sm = std::sin(kPi * u / M), cm = std::cos(kPi * u / M);
    double wd[2 * M], sum = 0;
    for (int k = 0; k < taps; ++k) {
      const int o = o0 + k;
      const double z = u - o;
      const double s1 = (o % 2 ? -su : su), s2 = sm * std::cos(kPi * o / M) - cm * std::sin(kPi * o / M);
      wd[k] = s1 * s2 * M / (kPi * kPi * z * z);
      sum += wd[k];
    }
    for (int k = 0; k < taps; ++k) w[k] = T(wd[k] / sum);
  }
  // y[i] = sum_k w[k] x[base + i + k]; all taps inside x for i in [ib, ie)
  const Index base = Index(fl) + o0;
  const Index ib = std::clamp<Index>(-base, 0, n_out), ie = std::clamp<Index>(n - base - taps + 1, ib, n_out);
  auto edge = [&](Index i) {
    T acc = 0;
    for (int k = 0; k < taps; ++k)
      if (const Index j = base + i + k; j >= 0 && j < n) acc += w[k] * x[j];
    y[i] = acc;
  };
  for (Index i = 0; i < ib; ++i) edge(i);
  constexpr Index B = 32;  // blocks of outputs held in registers, taps in the outer loop: vectorises
  Index i0 = ib;
  for (; i0 + B <= ie; i0 += B) {
    T acc[B] = {};
    for (int k = 0; k < taps; ++k) {
      const T wk = w[k], *xs = x + base + i0 + k;
      for (Index i = 0; i < B; ++i) acc[i] += wk * xs[i];
    }
    std::copy_n(acc, B, y + i0);
  }
  for (Index i = i0; i < n_out; ++i) edge(i);
}

template <class T>
TimeZeroKernel<T> TimeZeroKernel<T>::make(const TraceFormat& f, const TimeZero& p) {
  check_format(f);
  require(std::isfinite(p.threshold) && p.threshold > 0 && p.threshold <= 1, "time_zero threshold = ",
          p.threshold, " must lie in (0, 1] (a fraction of the trace's peak amplitude)");
  require(std::isfinite(p.search_ns), "time_zero search_ns = ", p.search_ns, " must be finite");
  require(!std::isnan(p.target_ns), "time_zero target_ns is unset: resolve it first (median first break)");
  require(std::isfinite(p.target_ns) && p.target_ns >= 0 && p.target_ns < double(f.n_samples) * f.dt_ns,
          "time_zero target_ns = ", p.target_ns, " must lie within the trace [0, ", double(f.n_samples) * f.dt_ns, ") ns");
  const Index k0 = std::min(Index(std::lround(p.target_ns / f.dt_ns)), f.n_samples - 1);
  const Index ns = p.search_ns > 0 ? std::clamp<Index>(Index(std::ceil(p.search_ns / f.dt_ns)) + 1, 1, f.n_samples)
                                   : f.n_samples;
  return {f.n_samples, k0, p.crop ? k0 : 0, ns, p.threshold};
}

template <class T>
void TimeZeroKernel<T>::operator()(const T* x, T* y, Scratch<T>& w) const {
  const double pick = first_break_samples(x, n_search, threshold);
  if (x == y) x = std::copy_n(x, n, w.a.data()) - n;
  shift_one(x, n, y, n_out(), crop, std::isnan(pick) ? 0.0 : double(k0) - pick);
}

template <class T>
BackgroundCore<T>::BackgroundCore(Index rows, Index window, Index lead, Statistic s)
    : rows_(rows), w_(window), lead_(lead), s_(s), ring_(rows * window), tmp_(s == Statistic::median ? window : 0),
      sum_(s == Statistic::mean ? rows : 0, 0.0) {}

template <class T>
bool BackgroundCore<T>::push(const T* x, T* y) {
  const Index r = hi_, j = r - lead_;
  evict_before(j);  // before the slot is reused
  T* dst = slot(r);
  std::copy_n(x, rows_, dst);
  if (s_ == Statistic::mean)
    for (Index i = 0; i < rows_; ++i) sum_[i] += dst[i];
  hi_ = r + 1;
  if (j < 0) return false;
  emit(j, y);
  return true;
}

template <class T>
bool BackgroundCore<T>::flush_one(T* y) {
  const Index j = emitted_;
  if (j >= hi_) return false;
  evict_before(j);
  emit(j, y);
  return true;
}

template <class T>
void BackgroundCore<T>::evict_before(Index j) {
  const Index lo = std::max<Index>(0, j - (w_ - 1 - lead_));  // the window of output j starts here
  for (; lo_ < lo; ++lo_)
    if (s_ == Statistic::mean) {
      const T* old = slot(lo_);
      for (Index i = 0; i < rows_; ++i) sum_[i] -= old[i];
    }
}

template <class T>
void BackgroundCore<T>::emit(Index j, T* y) {
  const T* xj = slot(j);
  const Index count = hi_ - lo_;
  if (s_ == Statistic::mean) {
    const double inv = 1.0 / double(count);
    for (Index i = 0; i < rows_; ++i) y[i] = xj[i] - T(sum_[i] * inv);
  } else {
    for (Index i = 0; i < rows_; ++i) {
      for (Index k = 0; k < count; ++k) tmp_[k] = slot(lo_ + k)[i];
      y[i] = xj[i] - median(tmp_.data(), count);
    }
  }
  emitted_ = j + 1;
}

}  // namespace detail

using namespace detail;

template <class T>
void remove_dc(ConstView<T> in, View<T> out, const TraceFormat& f, Statistic s, double t0_ns, double t1_ns,
               int threads) {
  run_tracewise(DcKernel<T>::make({in.rows(), f.dt_ns, f.time_zero_ns}, {s, t0_ns, t1_ns}), in, out, threads);
}

template <class T>
void dewow(ConstView<T> in, View<T> out, const TraceFormat& f, double window_ns, Statistic s, int threads) {
  run_tracewise(DewowKernel<T>::make({in.rows(), f.dt_ns, f.time_zero_ns}, {window_ns, s}), in, out, threads);
}

template <class T>
void sec_gain(ConstView<T> in, View<T> out, const TraceFormat& f, double power, double alpha_per_ns,
              double max_gain, int threads) {
  run_tracewise(GainKernel<T>::make({in.rows(), f.dt_ns, f.time_zero_ns}, Gain{power, alpha_per_ns, max_gain}),
                in, out, threads);
}

template <class T>
void agc(ConstView<T> in, View<T> out, const TraceFormat& f, double window_ns, double max_gain, int threads) {
  run_tracewise(GainKernel<T>::make({in.rows(), f.dt_ns, f.time_zero_ns}, Agc{window_ns, max_gain}), in, out,
                threads);
}

Index bandpass_fft_size(Index n) { return fft::good_size(n + n / 4); }

template <class T>
void bandpass(ConstView<T> in, View<T> out, const TraceFormat& f, double low_mhz, double high_mhz,
              double taper_mhz, int threads) {
  run_tracewise(BandpassKernel<T>::make({in.rows(), f.dt_ns, f.time_zero_ns}, {low_mhz, high_mhz, taper_mhz}),
                in, out, threads);
}

template <class T>
void envelope(ConstView<T> in, View<T> out, int threads) {
  run_tracewise(EnvelopeKernel<T>::make({in.rows(), 1.0, 0.0}, {}), in, out, threads);
}

template <class T>
void remove_mean_trace(ConstView<T> in, View<T> out, int threads) {
  check_shapes(in, out, in.rows());
  const Index n = in.rows(), m = in.cols();
  if (m == 0) return;
  parallel_for(n, threads, [&](Index s0, Index s1) {
    std::vector<double> acc(s1 - s0, 0.0);
    for (Index j = 0; j < m; ++j)
      for (Index i = s0; i < s1; ++i) acc[i - s0] += in(i, j);
    for (Index j = 0; j < m; ++j)
      for (Index i = s0; i < s1; ++i) out(i, j) = in(i, j) - T(acc[i - s0] / double(m));
  }, 32);
}

template <class T>
void moving_background(ConstView<T> in, View<T> out, Index window_traces, Statistic s, int threads, bool causal) {
  check_shapes(in, out, in.rows());
  require(window_traces >= 1 && window_traces % 2 == 1, "background window_traces = ", window_traces,
          " must be a positive odd number of traces");
  const Index m = in.cols();
  parallel_for(in.rows(), threads, [&](Index s0, Index s1) {
    BackgroundCore<T> core(s1 - s0, window_traces, causal ? 0 : window_traces / 2, s);
    Index e = 0;  // out column e <= j is written after in column e was copied into the ring
    for (Index j = 0; j < m; ++j) e += core.push(in.col(j).data() + s0, out.col(e).data() + s0);
    while (e < m && core.flush_one(out.col(e).data() + s0)) ++e;
  }, 32);
}

template <class T>
void first_break(ConstView<T> in, const TraceFormat& f, double threshold, double search_ns,
                 std::span<double> picks_ns, int threads) {
  const auto k = TimeZeroKernel<T>::make({in.rows(), f.dt_ns, 0}, {threshold, 0.0, search_ns, false});
  require(Index(picks_ns.size()) == in.cols(), "picks has ", picks_ns.size(), " entries for ", in.cols(), " traces");
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    for (Index j = b; j < e; ++j) picks_ns[j] = first_break_samples(in.col(j).data(), k.n_search, threshold) * f.dt_ns;
  }, 64);
}

template <class T>
void shift_traces(ConstView<T> in, View<T> out, const TraceFormat& f, std::span<const double> shifts_ns, int threads) {
  check_format({in.rows(), f.dt_ns, 0});
  check_shapes(in, out, in.rows());
  require(Index(shifts_ns.size()) == in.cols(), "shifts has ", shifts_ns.size(), " entries for ", in.cols(), " traces");
  for (std::size_t j = 0; j < shifts_ns.size(); ++j)
    require(std::isfinite(shifts_ns[j]), "shift of trace ", j, " = ", shifts_ns[j], " must be finite");
  const Index n = in.rows();
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    std::vector<T> tmp(n);
    for (Index j = b; j < e; ++j) {
      const T* x = in.col(j).data();
      if (x == out.col(j).data()) x = std::copy_n(x, n, tmp.data()) - n;
      shift_one(x, n, out.col(j).data(), n, 0, shifts_ns[j] / f.dt_ns);
    }
  }, 16);
}

template <class T>
TimeZero resolve_time_zero(ConstView<T> in, const TraceFormat& f, TimeZero p, int threads) {
  const TraceFormat g{in.rows(), f.dt_ns, f.time_zero_ns};
  if (std::isnan(p.target_ns)) {
    std::vector<double> picks(in.cols());
    first_break<T>(in, g, p.threshold, p.search_ns, picks, threads);
    std::erase_if(picks, [](double v) { return std::isnan(v); });
    require(!picks.empty(), "time_zero: no trace has a first break (all traces are zero)");
    p.target_ns = std::round(median(picks.data(), Index(picks.size())) / f.dt_ns) * f.dt_ns;
  }
  TimeZeroKernel<T>::make(g, p);  // validates
  p.target_ns = std::round(p.target_ns / f.dt_ns) * f.dt_ns;
  return p;
}

TraceFormat time_zero_format(const TraceFormat& f, const TimeZero& p) {
  const auto k = TimeZeroKernel<float>::make(f, p);
  return p.crop ? TraceFormat{k.n_out(), f.dt_ns, 0.0} : TraceFormat{f.n_samples, f.dt_ns, double(k.k0) * f.dt_ns};
}

template <class T>
void time_zero(ConstView<T> in, View<T> out, const TraceFormat& f, const TimeZero& p, int threads) {
  const auto k = TimeZeroKernel<T>::make({in.rows(), f.dt_ns, f.time_zero_ns}, p);
  require(!(p.crop && k.crop > 0 && in.data() == out.data()), "time_zero with crop cannot run in place");
  run_tracewise(k, in, out, threads);
}

#define SAPPER_GPR_INSTANTIATE(T)                                                                         \
  template void remove_dc<T>(ConstView<T>, View<T>, const TraceFormat&, Statistic, double, double, int);   \
  template void dewow<T>(ConstView<T>, View<T>, const TraceFormat&, double, Statistic, int);               \
  template void sec_gain<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, double, int);       \
  template void agc<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, int);                    \
  template void bandpass<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, double, int);       \
  template void envelope<T>(ConstView<T>, View<T>, int);                                                   \
  template void remove_mean_trace<T>(ConstView<T>, View<T>, int);                                          \
  template void moving_background<T>(ConstView<T>, View<T>, Index, Statistic, int, bool);                  \
  template void first_break<T>(ConstView<T>, const TraceFormat&, double, double, std::span<double>, int); \
  template void shift_traces<T>(ConstView<T>, View<T>, const TraceFormat&, std::span<const double>, int); \
  template TimeZero resolve_time_zero<T>(ConstView<T>, const TraceFormat&, TimeZero, int);                \
  template void time_zero<T>(ConstView<T>, View<T>, const TraceFormat&, const TimeZero&, int);            \
  template struct detail::DcKernel<T>;                                                                     \
  template struct detail::DewowKernel<T>;                                                                  \
  template struct detail::GainKernel<T>;                                                                   \
  template struct detail::BandpassKernel<T>;                                                               \
  template struct detail::EnvelopeKernel<T>;                                                               \
  template struct detail::TimeZeroKernel<T>;                                                               \
  template class detail::BackgroundCore<T>;                                                                \
  template void detail::shift_one<T>(const T*, Index, T*, Index, Index, double);
SAPPER_GPR_INSTANTIATE(float)
SAPPER_GPR_INSTANTIATE(double)

}  // namespace sapper::gpr

// GPR preprocessing operations (see docs/gpr.md for the exact definitions).
#include "sapper/gpr/ops.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/core/fft.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::gpr {
namespace {

template <class T>
void check_shapes(const ConstView<T>& in, const View<T>& out) {
  require(in.rows() == out.rows() && in.cols() == out.cols(), "output shape (", out.rows(), ", ",
          out.cols(), ") differs from input shape (", in.rows(), ", ", in.cols(), ")");
}

void check_format(const TraceFormat& f) {
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be a positive number of ns");
  require(std::isfinite(f.time_zero_ns), "time_zero_ns = ", f.time_zero_ns, " must be finite");
}

void check_positive(double v, const char* name) {
  require(std::isfinite(v) && v > 0, name, " = ", v, " must be positive and finite");
}

/// Half-width in samples of a centred window of `window` units at spacing `d`.
Index half_width(double window, double d) { return Index(std::floor(window / d / 2)); }

/// Median of v[0..n) (mean of the two middle values when n is even); reorders v.
template <class T>
T median(T* v, Index n) {
  T* mid = v + n / 2;
  std::nth_element(v, mid, v + n);
  if (n % 2) return *mid;
  return T(0.5) * (*mid + *std::max_element(v, mid));
}

/// Applies f(x, y, scratch) to every trace, in parallel, with per-chunk scratch of `scratch_n`.
template <class T, class F>
void tracewise(ConstView<T> in, View<T> out, int threads, Index scratch_n, F&& f) {
  check_shapes(in, out);
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    std::vector<T> scratch(scratch_n);
    for (Index j = b; j < e; ++j) f(in.col(j).data(), out.col(j).data(), scratch.data());
  }, 16);
}

}  // namespace

template <class T>
void remove_dc(ConstView<T> in, View<T> out, const TraceFormat& f, Statistic s, double t0_ns,
               double t1_ns, int threads) {
  check_format(f);
  const Index n = in.rows();
  Index i0 = 0, i1 = n;
  if (t1_ns > t0_ns) {
    i0 = std::clamp<Index>(Index(std::ceil((t0_ns + f.time_zero_ns) / f.dt_ns)), 0, n);
    i1 = std::clamp<Index>(Index(std::floor((t1_ns + f.time_zero_ns) / f.dt_ns)) + 1, 0, n);
    require(i1 > i0, "DC window [", t0_ns, ", ", t1_ns, "] ns holds no sample of the trace");
  }
  tracewise(in, out, threads, i1 - i0, [&](const T* x, T* y, T* tmp) {
    T c;
    if (s == Statistic::mean) {
      double acc = 0;
      for (Index i = i0; i < i1; ++i) acc += x[i];
      c = T(acc / double(i1 - i0));
    } else {
      std::copy(x + i0, x + i1, tmp);
      c = median(tmp, i1 - i0);
    }
    for (Index i = 0; i < n; ++i) y[i] = x[i] - c;
  });
}

template <class T>
void dewow(ConstView<T> in, View<T> out, const TraceFormat& f, double window_ns, Statistic s, int threads) {
  check_format(f);
  check_positive(window_ns, "dewow window_ns");
  const Index n = in.rows(), h = half_width(window_ns, f.dt_ns);
  tracewise(in, out, threads, n + 2 * h + 1, [&](const T* x, T* y, T* tmp) {
    if (s == Statistic::mean) {
      // sliding-window sum in double
      double acc = 0;
      Index lo = 0, hi = 0;  // window [lo, hi)
      for (Index i = 0; i < n; ++i) {
        const Index a = std::max<Index>(0, i - h), b = std::min<Index>(n, i + h + 1);
        while (hi < b) acc += x[hi++];
        while (lo < a) acc -= x[lo++];
        tmp[i] = T(acc / double(b - a));
      }
    } else {
      T* w = tmp + n;
      for (Index i = 0; i < n; ++i) {
        const Index a = std::max<Index>(0, i - h), b = std::min<Index>(n, i + h + 1);
        std::copy(x + a, x + b, w);
        tmp[i] = median(w, b - a);
      }
    }
    for (Index i = 0; i < n; ++i) y[i] = x[i] - tmp[i];
  });
}

template <class T>
void sec_gain(ConstView<T> in, View<T> out, const TraceFormat& f, double power, double alpha_per_ns,
              double max_gain, int threads) {
  check_format(f);
  require(std::isfinite(power) && std::abs(power) <= 10, "gain power = ", power, " must be in [-10, 10]");
  require(std::isfinite(alpha_per_ns) && std::abs(alpha_per_ns) <= 100, "gain alpha_per_ns = ",
          alpha_per_ns, " must be in [-100, 100] 1/ns");
  check_positive(max_gain, "max_gain");
  const Index n = in.rows();
  std::vector<T> g(n);
  for (Index i = 0; i < n; ++i) {
    const double t = double(i) * f.dt_ns - f.time_zero_ns;
    const double v = std::pow(std::max(t, f.dt_ns), power) * std::exp(alpha_per_ns * std::max(t, 0.0));
    g[i] = T(std::min(max_gain, v));
  }
  tracewise(in, out, threads, 0, [&](const T* x, T* y, T*) {
    for (Index i = 0; i < n; ++i) y[i] = x[i] * g[i];
  });
}

template <class T>
void agc(ConstView<T> in, View<T> out, const TraceFormat& f, double window_ns, double max_gain, int threads) {
  check_format(f);
  check_positive(window_ns, "agc window_ns");
  check_positive(max_gain, "max_gain");
  const Index n = in.rows(), h = half_width(window_ns, f.dt_ns);
  tracewise(in, out, threads, n, [&](const T* x, T* y, T* g) {
    double acc = 0;
    Index lo = 0, hi = 0;
    for (Index i = 0; i < n; ++i) {
      const Index a = std::max<Index>(0, i - h), b = std::min<Index>(n, i + h + 1);
      while (hi < b) acc += double(x[hi]) * x[hi], ++hi;
      while (lo < a) acc -= double(x[lo]) * x[lo], ++lo;
      const double rms = std::sqrt(std::max(acc, 0.0) / double(b - a));
      g[i] = T(rms * max_gain > 1 ? 1 / rms : max_gain);
    }
    for (Index i = 0; i < n; ++i) y[i] = x[i] * g[i];
  });
}

Index bandpass_fft_size(Index n) { return fft::good_size(n + n / 4); }

template <class T>
void bandpass(ConstView<T> in, View<T> out, const TraceFormat& f, double low_mhz, double high_mhz,
              double taper_mhz, int threads) {
  check_format(f);
  check_shapes(in, out);
  const double nyq_mhz = 1e3 / (2 * f.dt_ns);
  require(std::isfinite(low_mhz) && low_mhz >= 0, "band-pass low_mhz = ", low_mhz, " must be >= 0");
  require(std::isfinite(high_mhz) && high_mhz > low_mhz && high_mhz <= nyq_mhz, "band-pass high_mhz = ",
          high_mhz, " must lie in (low_mhz = ", low_mhz, ", Nyquist = ", nyq_mhz, "]");
  require(std::isfinite(taper_mhz) && taper_mhz >= 0 && taper_mhz <= high_mhz - low_mhz,
          "band-pass taper_mhz = ", taper_mhz, " must lie in [0, high_mhz - low_mhz]");
  const Index n = in.rows();
  if (n == 0) return;
  const Index nf = bandpass_fft_size(n), nb = nf / 2 + 1;
  const auto plan = fft::RealPlan<T>::get(nf);
  std::vector<T> H(nb);
  const double pi = 3.14159265358979323846;
  auto ramp = [&](double fr, double edge) {  // 0 below edge - taper/2, 1 above edge + taper/2
    if (taper_mhz == 0) return fr >= edge ? 1.0 : 0.0;
    const double u = std::clamp((fr - edge) / taper_mhz + 0.5, 0.0, 1.0);
    return std::pow(std::sin(0.5 * pi * u), 2);
  };
  for (Index k = 0; k < nb; ++k) {
    const double fr = double(k) * 1e3 / (double(nf) * f.dt_ns);
    const double lo = low_mhz > 0 ? ramp(fr, low_mhz) : 1.0;
    const double hi = high_mhz < nyq_mhz ? 1.0 - ramp(fr, high_mhz) : 1.0;
    H[k] = T(lo * hi / double(nf));
  }
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    fft::Buffer<T> r(nf);
    fft::Buffer<std::complex<T>> c(nb);
    for (Index j = b; j < e; ++j) {
      std::copy_n(in.col(j).data(), n, r.data());
      std::fill(r.begin() + n, r.end(), T(0));
      plan->forward(r.data(), c.data());
      for (Index k = 0; k < nb; ++k) c[k] *= H[k];
      plan->inverse(c.data(), r.data());
      std::copy_n(r.data(), n, out.col(j).data());
    }
  }, 16);
}

template <class T>
void envelope(ConstView<T> in, View<T> out, int threads) {
  check_shapes(in, out);
  const Index n = in.rows();
  if (n == 0) return;
  const auto plan = fft::RealPlan<T>::get(n);
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    fft::Buffer<T> r(n);
    fft::Buffer<std::complex<T>> c(n), z(n);
    for (Index j = b; j < e; ++j) {
      std::copy_n(in.col(j).data(), n, r.data());
      plan->forward(r.data(), c.data());
      // analytic signal: keep DC (and Nyquist), double positive, zero negative frequencies
      const Index pos_end = (n + 1) / 2;
      for (Index k = 1; k < pos_end; ++k) c[k] *= T(2);
      std::fill(c.begin() + n / 2 + 1, c.end(), std::complex<T>(0));
      plan->inverse_complex(c.data(), z.data());
      const T s = T(1) / T(n);
      for (Index i = 0; i < n; ++i) out(i, j) = std::abs(z[i]) * s;
    }
  }, 16);
}

template <class T>
void remove_mean_trace(ConstView<T> in, View<T> out, int threads) {
  check_shapes(in, out);
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
void moving_background(ConstView<T> in0, View<T> out, Index window_traces, Statistic s, int threads) {
  check_shapes(in0, out);
  require(window_traces >= 1 && window_traces % 2 == 1, "background window_traces = ", window_traces,
          " must be a positive odd number of traces");
  const Index n = in0.rows(), m = in0.cols(), h = window_traces / 2;
  if (m == 0 || n == 0) return;
  Matrix<T> copy;  // in-place use: the window still needs the original traces
  if (in0.data() == out.data()) copy = in0;
  ConstView<T> in = copy.size() ? ConstView<T>(copy) : in0;
  parallel_for(n, threads, [&](Index s0, Index s1) {
    const Index rows = s1 - s0;
    if (s == Statistic::mean) {
      std::vector<double> acc(rows, 0.0);
      Index lo = 0, hi = 0;
      for (Index j = 0; j < m; ++j) {
        const Index a = std::max<Index>(0, j - h), b = std::min<Index>(m, j + h + 1);
        for (; hi < b; ++hi)
          for (Index i = 0; i < rows; ++i) acc[i] += in(s0 + i, hi);
        for (; lo < a; ++lo)
          for (Index i = 0; i < rows; ++i) acc[i] -= in(s0 + i, lo);
        const double inv = 1.0 / double(b - a);
        for (Index i = 0; i < rows; ++i) out(s0 + i, j) = in(s0 + i, j) - T(acc[i] * inv);
      }
    } else {
      std::vector<T> w(window_traces);
      for (Index j = 0; j < m; ++j) {
        const Index a = std::max<Index>(0, j - h), b = std::min<Index>(m, j + h + 1);
        for (Index i = s0; i < s1; ++i) {
          for (Index k = a; k < b; ++k) w[k - a] = in(i, k);
          out(i, j) = in(i, j) - median(w.data(), b - a);
        }
      }
    }
  }, 32);
}

#define SAPPER_GPR_INSTANTIATE(T)                                                                      \
  template void remove_dc<T>(ConstView<T>, View<T>, const TraceFormat&, Statistic, double, double, int); \
  template void dewow<T>(ConstView<T>, View<T>, const TraceFormat&, double, Statistic, int);            \
  template void sec_gain<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, double, int);    \
  template void agc<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, int);                 \
  template void bandpass<T>(ConstView<T>, View<T>, const TraceFormat&, double, double, double, int);    \
  template void envelope<T>(ConstView<T>, View<T>, int);                                                \
  template void remove_mean_trace<T>(ConstView<T>, View<T>, int);                                       \
  template void moving_background<T>(ConstView<T>, View<T>, Index, Statistic, int);
SAPPER_GPR_INSTANTIATE(float)
SAPPER_GPR_INSTANTIATE(double)

}  // namespace sapper::gpr

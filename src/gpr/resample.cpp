// Stacking and resampling of GPR traces along the line (definitions in resample.hpp).
#include "sapper/gpr/resample.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/core/fft.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::gpr {
namespace {

template <class T>
void check_not_empty(const ConstView<T>& in) {
  require(in.rows() > 0 && in.cols() > 0, "input B-scan of shape (", in.rows(), ", ", in.cols(),
          ") is empty");
}

/// y = mean of columns [b, e) of `in`, summed in double in `acc` (n_samples long).
template <class T>
void mean_columns(const ConstView<T>& in, Index b, Index e, T* y, std::vector<double>& acc) {
  const Index n = in.rows();
  std::fill(acc.begin(), acc.end(), 0.0);
  for (Index j = b; j < e; ++j) {
    const T* x = in.col(j).data();
    for (Index i = 0; i < n; ++i) acc[i] += x[i];
  }
  const double inv = 1.0 / double(e - b);
  for (Index i = 0; i < n; ++i) y[i] = T(acc[i] * inv);
}

}  // namespace

template <class T>
Matrix<T> stack_traces(ConstView<T> in, Index n, int threads) {
  require(n >= 1, "stack n = ", n, " must be >= 1 trace");
  check_not_empty(in);
  const Index m = in.cols(), groups = (m + n - 1) / n;
  Matrix<T> out(in.rows(), groups);
  parallel_for(groups, threads, [&](Index g0, Index g1) {
    std::vector<double> acc(in.rows());
    for (Index g = g0; g < g1; ++g) mean_columns(in, g * n, std::min(m, (g + 1) * n), out.col(g).data(), acc);
  }, 16);
  return out;
}

template <class T>
Resampled<T> resample_traces(ConstView<T> in, const std::vector<double>& p, double s, int threads) {
  check_not_empty(in);
  const Index n = in.rows(), m = in.cols();
  require(Index(p.size()) == m, "positions_m has ", p.size(), " entries but the B-scan has ", m, " traces");
  for (Index j = 0; j < m; ++j) {
    require(std::isfinite(p[j]), "positions_m[", j, "] = ", p[j], " is not finite");
    require(j == 0 || p[j] >= p[j - 1], "positions_m[", j, "] = ", p[j], " < positions_m[", j - 1,
            "] = ", p[j - 1], ": positions must be non-decreasing");
  }
  require(std::isfinite(s) && s > 0, "spacing_m = ", s, " must be positive and finite");
  const double x0 = p[0];
  const double kd = resampled_traces(x0, p[m - 1], s);
  require(kd * double(n) <= double(max_resampled_values), "spacing_m = ", s, " over a line of ",
          p[m - 1] - x0, " m gives ", kd, " traces x ", n, " samples, more than max_resampled_values = ",
          max_resampled_values);
  const Index K = Index(kd);

  // Bin of every trace (K = past the last bin). Sorted positions give sorted bins, so bin k
  // is the index range [start[k], start[k+1]).
  std::vector<Index> start(K + 2, 0);
  for (Index j = 0; j < m; ++j) {
    const double u = (p[j] - x0) / s;
    Index k = Index(std::floor(u));
    if (u - double(k) >= 0.5) ++k;  // u - floor(u) is exact, so the edge k + 1/2 is tested exactly
    if (k == K && u == double(K) - 0.5) k = K - 1;  // last bin closed
    ++start[std::min(k, K) + 1];
  }
  for (Index k = 0; k <= K; ++k) start[k + 1] += start[k];

  Resampled<T> r{Matrix<T>(n, K), x0, s, std::vector<Index>(K)};
  parallel_for(K, threads, [&](Index k0, Index k1) {
    std::vector<double> acc(n);
    for (Index k = k0; k < k1; ++k) {
      const Index b = start[k], e = start[k + 1];
      r.count[k] = e - b;
      T* y = r.data.col(k).data();
      if (e > b) {
        mean_columns(in, b, e, y, acc);
        continue;
      }
      // Empty bin: trace b is the first past it, b - 1 the last before it (see header).
      assert(b > 0 && b < m);
      const double w = (x0 + double(k) * s - p[b - 1]) / (p[b] - p[b - 1]);
      const T* xa = in.col(b - 1).data();
      const T* xb = in.col(b).data();
      for (Index i = 0; i < n; ++i) y[i] = T(double(xa[i]) + w * (double(xb[i]) - double(xa[i])));
    }
  }, 16);
  return r;
}

template <class T>
void resample_samples(ConstView<T> in, View<T> out, int threads) {
  check_not_empty(in);
  const Index n = in.rows(), m = out.rows(), nt = in.cols();
  require(m >= 1, "resampled traces of ", m, " samples: need >= 1");
  require(out.cols() == nt, "output has ", out.cols(), " traces; the input has ", nt);
  const auto fwd = fft::RealPlan<T>::get(n), inv = fft::RealPlan<T>::get(m);
  const Index k = std::min(n, m), kept = k / 2 + 1, bins = m / 2 + 1;
  parallel_for(nt, threads, [&](Index j0, Index j1) {
    fft::Buffer<T> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(m));
    fft::Buffer<std::complex<T>> sa(static_cast<std::size_t>(n / 2 + 1)), sb(static_cast<std::size_t>(bins));
    for (Index j = j0; j < j1; ++j) {
      std::copy_n(in.col(j).data(), n, a.data());
      fwd->forward(a.data(), sa.data());
      std::fill(sb.begin(), sb.end(), std::complex<T>(0));
      std::copy_n(sa.data(), kept, sb.data());
      if (k % 2 == 0 && m != n) sb[std::size_t(k / 2)] *= T(m < n ? 2 : 0.5);  // the unpaired bin
      if (m % 2 == 0) sb[std::size_t(m / 2)].imag(0);  // as numpy's irfft reads the Nyquist bin
      sb[0].imag(0);
      inv->inverse(sb.data(), b.data());
      const T scale = T(1) / T(n);
      for (Index i = 0; i < m; ++i) out(i, j) = b[std::size_t(i)] * scale;
    }
  }, 16);
}

#define SAPPER_GPR_RESAMPLE_INSTANTIATE(T)                            \
  template Matrix<T> stack_traces<T>(ConstView<T>, Index, int); \
  template void resample_samples<T>(ConstView<T>, View<T>, int); \
  template Resampled<T> resample_traces<T>(ConstView<T>, const std::vector<double>&, double, int);
SAPPER_GPR_RESAMPLE_INSTANTIATE(float)
SAPPER_GPR_RESAMPLE_INSTANTIATE(double)

}  // namespace sapper::gpr

// Per-depth whitening across traces (batch centred/causal, streaming causal): see subspace.hpp.
#include <algorithm>
#include <cmath>

#include "sapper/clutter/subspace.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::clutter {
namespace {
/// (x - mean) / max(sd, floor) from sums s1, s2 of c values of x - ref (shifted by a reference
/// value per row so that a row constant over the window gives exactly sd = 0).
inline double whitened(double x, double ref, double s1, double s2, double c, double floor) {
  const double mean = s1 / c;
  const double sd = std::sqrt(std::max(0.0, s2 / c - mean * mean));
  const double den = std::max(sd, floor);
  return den > 0 ? (x - ref - mean) / den : 0.0;
}

void validate(Index window, double min_std) {
  require(window >= 1, "window = ", window, " must be >= 1 trace");
  require(std::isfinite(min_std) && min_std >= 0, "min_std = ", min_std, " must be >= 0");
}
}  // namespace

template <class T>
WhitenStream<T>::WhitenStream(Index n_samples, Index window, double min_std) : window_(window), min_std_(min_std) {
  require(n_samples >= 1, "n_samples = ", n_samples, " must be >= 1");
  validate(window, min_std);
  ring_.resize(n_samples, window);
  s1_.resize(n_samples), s2_.resize(n_samples), ref_.resize(n_samples);
  reset();
}

template <class T>
void WhitenStream<T>::reset() {
  seen_ = 0;
  s1_.setZero(), s2_.setZero(), ref_.setZero();
}

template <class T>
void WhitenStream<T>::process(ConstView<T> in, View<T> out) {
  const Index m = n_samples();
  require(in.rows() == m, "process: the block has ", in.rows(), " samples per trace, the stream ", m);
  require(out.rows() == m && out.cols() == in.cols(), "process: out is ", out.rows(), " x ", out.cols(), ", in is ",
          in.rows(), " x ", in.cols());
  for (Index j = 0; j < in.cols(); ++j) {
    if (seen_ == 0)
      for (Index i = 0; i < m; ++i) ref_(i) = double(in(i, j));
    const Index slot = seen_ % window_;
    const bool full = seen_ >= window_;
    const double c = double(std::min(seen_ + 1, window_));
    for (Index i = 0; i < m; ++i) {
      const double x = double(in(i, j)), v = x - ref_(i);
      if (full) {
        const double old = ring_(i, slot);
        s1_(i) -= old, s2_(i) -= old * old;
      }
      s1_(i) += v, s2_(i) += v * v;
      ring_(i, slot) = v;
      out(i, j) = T(whitened(x, ref_(i), s1_(i), s2_(i), c, min_std_));
    }
    ++seen_;
  }
}

template <class T>
void whiten(ConstView<T> in, View<T> out, Index window, bool causal, double min_std, int threads) {
  const Index m = in.rows(), n = in.cols();
  require(m >= 1 && n >= 1, "whiten: the B-scan is empty (", m, " x ", n, ")");
  require(out.rows() == m && out.cols() == n, "whiten: out is ", out.rows(), " x ", out.cols(), ", in is ", m, " x ", n);
  validate(window, min_std);
  require(causal || window % 2 == 1, "window = ", window, " must be odd for the centred window");
  if (causal) {  // rows are independent: one stream per chunk of rows gives the streaming numbers
    parallel_for(m, threads, [&](Index b, Index e) {
      WhitenStream<T> s(e - b, window, min_std);
      s.process(in.middleRows(b, e - b), out.middleRows(b, e - b));
    }, 32);
    return;
  }
  const Matrix<T> copy = in.data() == out.data() ? Matrix<T>(in) : Matrix<T>();  // in place: keep the input
  const auto x = [&](Index i, Index j) { return double(copy.size() ? copy(i, j) : in(i, j)); };
  const Index h = window / 2;
  parallel_for(m, threads, [&](Index b, Index e) {
    Eigen::VectorXd s1 = Eigen::VectorXd::Zero(e - b), s2 = s1, ref(e - b);
    for (Index i = b; i < e; ++i) ref(i - b) = x(i, 0);
    for (Index j = 0; j < std::min(h, n); ++j)  // the window of trace 0 is [0, h]: preload [0, h)
      for (Index i = b; i < e; ++i) {
        const double v = x(i, j) - ref(i - b);
        s1(i - b) += v, s2(i - b) += v * v;
      }
    for (Index j = 0; j < n; ++j) {
      const Index add = j + h, drop = j - h - 1;
      for (Index i = b; i < e; ++i) {
        if (add < n) {
          const double v = x(i, add) - ref(i - b);
          s1(i - b) += v, s2(i - b) += v * v;
        }
        if (drop >= 0) {
          const double v = x(i, drop) - ref(i - b);
          s1(i - b) -= v, s2(i - b) -= v * v;
        }
      }
      const double c = double(std::min(n - 1, j + h) - std::max<Index>(0, j - h) + 1);
      for (Index i = b; i < e; ++i) out(i, j) = T(whitened(x(i, j), ref(i - b), s1(i - b), s2(i - b), c, min_std));
    }
  }, 32);
}

template class WhitenStream<float>;
template class WhitenStream<double>;
template void whiten<float>(ConstView<float>, View<float>, Index, bool, double, int);
template void whiten<double>(ConstView<double>, View<double>, Index, bool, double, int);

}  // namespace sapper::clutter

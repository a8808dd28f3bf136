// Eigen-image removal (batch, blockwise, causal streaming): see include/sapper/clutter/subspace.hpp.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sapper/clutter/subspace.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::clutter {
namespace {
constexpr double kPi = 3.14159265358979323846;

void validate(const RankSpec& r) {
  require(r.first >= 0, "first = ", r.first, " must be >= 0");
  require(r.rank >= 0, "rank = ", r.rank, " must be >= 1 (or 0 = automatic)");
  require(std::isfinite(r.energy) && r.energy >= 0 && r.energy < 1, "energy = ", r.energy,
          " must be in (0, 1) (or 0 = singular-value gap)");
  require(r.max_rank >= 1, "max_rank = ", r.max_rank, " must be >= 1");
}

template <class T>
double squared_norm(ConstView<T> x) {
  double s = 0;
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) s += double(x(i, j)) * double(x(i, j));
  return s;
}

/// The left singular vectors [first, first + k) of x (k may come out 0: x has too few components).
template <class T>
Matrix<T> removed_basis(ConstView<T> x, const RankSpec& spec, const SvdOptions& svd, Index* rank,
                        TruncatedSvd<T>* keep = nullptr) {
  const Index p = std::min(x.rows(), x.cols());
  const Index c = std::min(rank_components(spec, p), p);
  if (spec.first >= c) {
    *rank = 0;
    return Matrix<T>(x.rows(), 0);
  }
  TruncatedSvd<T> t = truncated_svd<T>(x, c, svd);
  std::vector<double> s(t.s.data(), t.s.data() + t.s.size());
  const Index k = std::min(choose_rank(spec, s, squared_norm<T>(x)), c - spec.first);
  *rank = k;
  Matrix<T> u = t.u.middleCols(spec.first, k);
  if (keep) *keep = std::move(t);
  return u;
}

/// out = x - the components [first, first + k) of x; returns k.
template <class T>
Index remove_block(ConstView<T> x, View<T> out, const RankSpec& spec, const SvdOptions& svd) {
  Index k = 0;
  TruncatedSvd<T> t;
  removed_basis<T>(x, spec, svd, &k, &t);
  if (k == 0) {
    out = x;
    return 0;
  }
  const Matrix<T> sv = t.s.segment(spec.first, k).asDiagonal() * t.v.middleCols(spec.first, k).transpose();
  const Matrix<T> low = t.u.middleCols(spec.first, k) * sv;  // a temporary: out may alias x
  out = x - low;
  return k;
}
}  // namespace

Index rank_components(const RankSpec& spec, Index p) {
  if (spec.rank >= 1) return spec.first + spec.rank;
  return std::min(p, spec.first + spec.max_rank + (spec.energy > 0 ? 0 : 1));
}

Index choose_rank(const RankSpec& spec, const std::vector<double>& s, double total) {
  if (spec.rank >= 1) return spec.rank;
  const Index avail = Index(s.size()) - spec.first;
  if (avail <= 0) return 0;
  if (spec.energy > 0) {
    double acc = 0;
    const Index kmax = std::min(spec.max_rank, avail);
    for (Index k = 1; k <= kmax; ++k) {
      acc += s[spec.first + k - 1] * s[spec.first + k - 1];
      if (acc >= spec.energy * total) return k;
    }
    return kmax;
  }
  const Index kmax = std::min(spec.max_rank, avail - 1);
  Index best = 1;
  double best_ratio = -1;
  for (Index k = 1; k <= kmax; ++k) {
    const double a = s[spec.first + k - 1], b = s[spec.first + k];
    const double r = b > 0 ? a / b : (a > 0 ? std::numeric_limits<double>::infinity() : 1.0);
    if (r > best_ratio) best_ratio = r, best = k;
  }
  return best;
}

template <class T>
std::vector<Index> eigenimage(ConstView<T> in, View<T> out, const EigenimageOptions& opt) {
  const Index m = in.rows(), n = in.cols();
  require(m >= 1 && n >= 1, "eigenimage: the B-scan is empty (", m, " x ", n, ")");
  require(out.rows() == m && out.cols() == n, "eigenimage: out is ", out.rows(), " x ", out.cols(), ", in is ", m,
          " x ", n);
  validate(opt.rank);
  require(opt.block >= 0, "block = ", opt.block, " must be >= 0 traces (0 = whole profile)");
  const Index b = (opt.block == 0 || opt.block >= n) ? n : opt.block;
  const Index o = opt.overlap < 0 ? b / 4 : opt.overlap;
  require(opt.overlap < 0 || o <= b / 2, "overlap = ", opt.overlap, " must be <= block / 2 = ", b / 2);
  const Index p = std::min(m, b);
  require(opt.rank.first + std::max<Index>(opt.rank.rank, 1) <= p, "first + rank = ",
          opt.rank.first + std::max<Index>(opt.rank.rank, 1), " exceeds min(n_samples, block traces) = ", p);
  require(in.allFinite(), "eigenimage: the B-scan holds NaN or Inf");

  if (b == n) return {remove_block<T>(in, out, opt.rank, opt.svd)};

  // Blocks start every b - o traces; the last one ends at the last trace.
  std::vector<Index> starts;
  for (Index s = 0;; s += b - o) {
    starts.push_back(std::min(s, n - b));
    if (s >= n - b) break;
  }
  const Index nb = Index(starts.size());
  std::vector<Matrix<T>> y(std::size_t(nb), Matrix<T>(m, b));
  std::vector<Index> ranks(static_cast<std::size_t>(nb));
  SvdOptions one = opt.svd;
  one.threads = 1;  // parallel over blocks instead
  parallel_for(nb, opt.svd.threads, [&](Index lo, Index hi) {
    for (Index k = lo; k < hi; ++k)
      ranks[std::size_t(k)] = remove_block<T>(in.middleCols(starts[std::size_t(k)], b), y[std::size_t(k)], opt.rank, one);
  }, 1);
  // Blend: block k has weight sin^2 rising over its overlap with k-1, cos^2 falling over the one
  // with k+1 (complementary: they sum to 1 where two blocks overlap); normalised by the sum.
  std::vector<double> wsum(std::size_t(n), 0.0);
  std::vector<std::vector<double>> w(std::size_t(nb), std::vector<double>(std::size_t(b), 1.0));
  for (Index k = 0; k < nb; ++k) {
    const Index s = starts[std::size_t(k)];
    const Index up = k > 0 ? starts[std::size_t(k - 1)] + b - s : 0;
    const Index down = k + 1 < nb ? s + b - starts[std::size_t(k + 1)] : 0;
    auto& wk = w[std::size_t(k)];
    for (Index j = 0; j < b; ++j) {
      if (j < up) wk[std::size_t(j)] *= std::pow(std::sin(kPi / 2 * (double(j) + 0.5) / double(up)), 2);
      if (j >= b - down)
        wk[std::size_t(j)] *= std::pow(std::cos(kPi / 2 * (double(j - (b - down)) + 0.5) / double(down)), 2);
      wsum[std::size_t(s + j)] += wk[std::size_t(j)];
    }
  }
  out.setZero();  // in is no longer read: every block result is in y
  for (Index k = 0; k < nb; ++k) {
    const Index s = starts[std::size_t(k)];
    for (Index j = 0; j < b; ++j)
      out.col(s + j) += T(w[std::size_t(k)][std::size_t(j)] / wsum[std::size_t(s + j)]) * y[std::size_t(k)].col(j);
  }
  return ranks;
}

template <class T>
EigenimageStream<T>::EigenimageStream(Index n_samples, Index window, Index update, const RankSpec& rank,
                                      const SvdOptions& svd)
    : m_(n_samples), window_(window), update_(update), spec_(rank), svd_(svd) {
  require(n_samples >= 1, "n_samples = ", n_samples, " must be >= 1");
  require(window >= 1, "window = ", window, " must be >= 1 trace");
  require(update >= 1, "update = ", update, " must be >= 1 trace");
  validate(rank);
  require(svd.oversample >= 0 && svd.power_iters >= 0, "oversample and power_iters must be >= 0");
  history_.resize(m_, window_);
  reset();
}

template <class T>
void EigenimageStream<T>::reset() {
  seen_ = 0;
  basis_.resize(m_, 0);
  coef_.resize(0);
}

template <class T>
void EigenimageStream<T>::estimate(Index n_cols) {
  Index k = 0;
  basis_ = removed_basis<T>(history_.leftCols(n_cols), spec_, svd_, &k);
  coef_.resize(k);
}

template <class T>
void EigenimageStream<T>::process(ConstView<T> in, View<T> out) {
  require(in.rows() == m_, "process: the block has ", in.rows(), " samples per trace, the stream ", m_);
  require(out.rows() == in.rows() && out.cols() == in.cols(), "process: out is ", out.rows(), " x ", out.cols(),
          ", in is ", in.rows(), " x ", in.cols());
  for (Index j = 0; j < in.cols(); ++j) {
    const bool warm = seen_ < update_;
    if (!warm && seen_ % update_ == 0) estimate(std::min(seen_, window_));
    history_.col(seen_ % window_) = in.col(j);  // a copy: out may alias in
    const auto x = history_.col(seen_ % window_);
    ++seen_;
    if (warm) estimate(std::min(seen_, window_));
    coef_.noalias() = basis_.transpose() * x;
    out.col(j) = x;
    out.col(j).noalias() -= basis_ * coef_;
  }
}

template <class T>
void eigenimage_causal(ConstView<T> in, View<T> out, Index window, Index update, const RankSpec& rank,
                       const SvdOptions& svd) {
  require(in.rows() >= 1 && in.cols() >= 1, "eigenimage_causal: the B-scan is empty");
  require(in.allFinite(), "eigenimage_causal: the B-scan holds NaN or Inf");
  EigenimageStream<T> s(in.rows(), window, update, rank, svd);
  s.process(in, out);
}

#define SAPPER_EIGENIMAGE_INSTANTIATE(T)                                                                       \
  template std::vector<Index> eigenimage<T>(ConstView<T>, View<T>, const EigenimageOptions&);                 \
  template class EigenimageStream<T>;                                                                         \
  template void eigenimage_causal<T>(ConstView<T>, View<T>, Index, Index, const RankSpec&, const SvdOptions&);
SAPPER_EIGENIMAGE_INSTANTIATE(float)
SAPPER_EIGENIMAGE_INSTANTIATE(double)

}  // namespace sapper::clutter

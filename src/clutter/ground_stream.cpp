// Streaming (causal) ground-bounce and ringing suppression: see GroundSuppressStream in
// include/sapper/clutter/ground.hpp and docs/clutter.md, "Streaming ground suppression".
// Everything is allocated in the constructor: the per-trace path works in fixed buffers, with
// Eigen only in vector expressions and fixed-capacity small matrices (no temporaries).
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "../gpr/kernels.hpp"
#include "ground_detail.hpp"
#include "sapper/clutter/ground.hpp"
#include "sapper/clutter/subspace.hpp"

namespace sapper::clutter {
namespace {
constexpr Index kOversample = 2;  // extra columns tracked in the ringing subspace's basis
constexpr Index kMaxL = 17;       // capacity of the small eigenproblem: the basis plus the newest trace
using Small = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kMaxL, kMaxL>;

/// Gram-Schmidt (twice) of the first `cols` columns of m over its first `rows` rows; columns that
/// vanish (dependent on those before) are dropped, the rest packed to the left. Returns their count.
Index orthonormalize(Eigen::MatrixXd& m, Index rows, Index cols) {
  Index kept = 0;
  for (Index c = 0; c < cols; ++c) {
    auto v = m.col(c).head(rows);
    const double n0 = v.norm();
    for (int pass = 0; pass < 2; ++pass)
      for (Index d = 0; d < kept; ++d) v -= m.col(d).head(rows).dot(v) * m.col(d).head(rows);
    const double nrm = v.norm();
    if (nrm > 1e-10 * n0 && nrm > 0) m.col(kept++).head(rows) = v / nrm;
  }
  return kept;
}

/// out[i - lo] = z(i - d) for i in [lo, hi): z delayed by d samples (gpr::shift_traces' 16-tap
/// Lanczos kernel), samples outside [0, n) of z read as 0.
void delayed(const double* z, Index n, double d, Index lo, Index hi, double* out) {
  gpr::detail::shift_one(z, n, out, hi - lo, lo, d);
}

/// Median of the first c entries of the sorted column v.
double sorted_median(const double* v, Index c) { return c % 2 ? v[c / 2] : 0.5 * (v[c / 2 - 1] + v[c / 2]); }
}  // namespace

template <class T>
GroundSuppressStream<T>::GroundSuppressStream(const TraceFormat& f, const GroundStreamOptions& o) : f_(f), o_(o) {
  n_ = f.n_samples;
  require(n_ >= 3, "format.n_samples = ", n_, " must be >= 3");
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be positive");
  require(std::isfinite(o.search_start_ns) && o.search_start_ns >= 0 && std::isfinite(o.search_end_ns),
          "search window [", o.search_start_ns, ", ", o.search_end_ns, "] ns must be finite and start >= 0");
  require(o.outlier_window >= 0 && o.outlier_mads >= 0 && std::isfinite(o.outlier_mads), "outlier_window = ",
          o.outlier_window, " and outlier_mads = ", o.outlier_mads, " must be >= 0");
  require(o.refine_iterations >= 0 && o.refine_iterations <= 20, "refine_iterations = ", o.refine_iterations,
          " must be in 0..20");
  require(std::isfinite(o.gate_before_ns) && o.gate_before_ns >= 0 && std::isfinite(o.gate_after_ns) &&
              o.gate_after_ns >= 0,
          "gate (before, after) = (", o.gate_before_ns, ", ", o.gate_after_ns, ") ns must be >= 0");
  require(o.template_traces >= 1, "template_traces = ", o.template_traces, " must be >= 1");
  require(o.iterations >= 1 && o.iterations <= 20, "iterations = ", o.iterations, " must be in 1..20");
  const double dt = f.dt_ns;
  s0_ = std::clamp<Index>(Index(std::ceil(o.search_start_ns / dt)), 0, n_ - 1);
  s1_ = o.search_end_ns > o.search_start_ns ? std::clamp<Index>(Index(std::floor(o.search_end_ns / dt)) + 1, s0_ + 1, n_)
                                             : n_;
  l_ = 0;
  if (o.remove_ringing) {
    require(o.ringing_rank >= 0 && o.ringing_rank <= kMaxL - 1 - kOversample, "ringing_rank = ", o.ringing_rank,
            " must be in 0..", kMaxL - 1 - kOversample, " (0: automatic)");
    require(o.ringing_rank > 0 || (o.ringing_max_rank >= 1 && o.ringing_max_rank <= kMaxL - kOversample - 2),
            "ringing_max_rank = ", o.ringing_max_rank, " must be in 1..", kMaxL - kOversample - 2);
    require(o.ringing_update >= 1, "ringing_update = ", o.ringing_update, " must be >= 1 trace");
    require(o.power_iters >= 0 && o.power_iters <= 20, "power_iters = ", o.power_iters, " must be in 0..20");
    l_ = (o.ringing_rank > 0 ? o.ringing_rank : o.ringing_max_rank + 1) + kOversample;
    require(o.ringing_window >= l_ && n_ >= l_, "ringing_window = ", o.ringing_window, " and n_samples = ", n_,
            " must be >= ", l_, " (the singular values computed)");
    const Index W = o.ringing_window;
    hist_.resize(n_, W), gram_.resize(W, W), v_.resize(W, l_), bb_.resize(W, l_ + 1), zz_.resize(W, l_ + 1);
    u_.resize(n_, l_);
    s_.assign(std::size_t(l_), 0.0);
  }
  w_.assign(std::size_t(n_), 0.0), g_ = w_, dg_ = w_;
  yb_.assign(std::size_t(3 * n_ + 2), 0.0), cc_.assign(std::size_t(2 * n_ + 1), 0.0);
  tring_.resize(o.template_traces, n_), tsort_.resize(o.template_traces, n_);
  pring_.assign(std::size_t(std::max<Index>(o.outlier_window, 1)), 0.0), dring_ = pring_, scratch_ = pring_;
  x_.resize(n_), z_.resize(n_), b_.resize(n_), c_.resize(n_), r_.resize(n_);
  reset();
}

template <class T>
void GroundSuppressStream<T>::reset() {
  seen_ = tcount_ = pcount_ = k_ = 0;
  ref_ns_ = std::numeric_limits<double>::quiet_NaN();
  before_ns_ = after_ns_ = 0;
  b_.setZero();
  if (l_ > 0) v_.setZero();
}

template <class T>
double GroundSuppressStream<T>::peak_pick(const double* z) const {
  Index k = s0_;
  for (Index i = s0_ + 1; i < s1_; ++i)
    if (std::abs(z[i]) > std::abs(z[k])) k = i;
  const double d = k > 0 && k + 1 < n_ ? detail::vertex(std::abs(z[k - 1]), std::abs(z[k]), std::abs(z[k + 1])) : 0.0;
  return (double(k) + d) * f_.dt_ns;
}

template <class T>
void GroundSuppressStream<T>::init_geometry() {
  const double dt = f_.dt_ns;
  ref_ns_ = peak_pick(x_.data());
  const Index c = std::clamp<Index>(Index(std::lround(ref_ns_ / dt)), 0, n_ - 1);
  const double period = detail::period_ns(x_, n_, c, dt);
  before_ns_ = o_.gate_before_ns > 0 ? o_.gate_before_ns : 2.5 * period;
  after_ns_ = o_.gate_after_ns > 0 ? o_.gate_after_ns : 2.5 * period;
  i0_ = std::max<Index>(0, c - Index(std::ceil(before_ns_ / dt)));
  L_ = std::min(n_, c + Index(std::ceil(after_ns_ / dt)) + 1) - i0_;
  lag_ = std::clamp<Index>(Index(std::ceil(0.25 * period / dt)), 1, n_);
  // Tukey taper: cosine ramps over a quarter of the gate at each end (as remove_ground)
  const Index ramp = std::max<Index>(1, L_ / 4);
  std::fill(w_.begin(), w_.begin() + L_, 1.0);
  for (Index i = 0; i < ramp && i < L_; ++i) {
    const double v = 0.5 * (1 - std::cos(std::numbers::pi * (double(i) + 0.5) / double(ramp)));
    w_[std::size_t(i)] = std::min(w_[std::size_t(i)], v);
    w_[std::size_t(L_ - 1 - i)] = std::min(w_[std::size_t(L_ - 1 - i)], v);
  }
}

template <class T>
double GroundSuppressStream<T>::refine(const double* z, double p) {
  const double dt = f_.dt_ns;
  for (int it = 0; it < o_.refine_iterations; ++it) {
    // z flattened to p over [i0 - lag, i0 + L + lag), correlated with the template at lags +-lag
    delayed(z, n_, (ref_ns_ - p) / dt, i0_ - lag_, i0_ + L_ + lag_, yb_.data());
    for (Index l = -lag_; l <= lag_; ++l) {
      double s = 0;
      for (Index i = 0; i < L_; ++i) s += g_[std::size_t(i)] * yb_[std::size_t(i + lag_ + l)];
      cc_[std::size_t(l + lag_)] = s;
    }
    const auto best = Index(std::max_element(cc_.begin(), cc_.begin() + 2 * lag_ + 1) - cc_.begin());
    double d = 0;
    if (best > 0 && best < 2 * lag_)
      d = detail::vertex(cc_[std::size_t(best - 1)], cc_[std::size_t(best)], cc_[std::size_t(best + 1)]);
    p += (double(best - lag_) + d) * dt;
  }
  return p;
}

/// The pick replaced by the median of the previous picks when farther than outlier_mads robust
/// deviations (1.4826 MAD of the previous picks' deviations, floored at a quarter sample).
template <class T>
double GroundSuppressStream<T>::outlier(double p) {
  dev_ = 0;
  if (o_.outlier_window <= 1 || o_.outlier_mads <= 0 || pcount_ < 3) return p;
  const auto c = std::ptrdiff_t(pcount_);
  std::copy_n(pring_.begin(), c, scratch_.begin());
  const double med = median_inplace(scratch_.data(), std::size_t(c));
  std::copy_n(dring_.begin(), c, scratch_.begin());
  const double mad = median_inplace(scratch_.data(), std::size_t(c));
  dev_ = std::abs(p - med);
  const double scale = std::max(1.4826 * mad, 0.25 * f_.dt_ns);
  return dev_ > o_.outlier_mads * scale ? med : p;
}

/// Bounce model of z at pick p into b_: z flattened to p over the gate (kept in yb_), fitted by
/// a g + b g' (weighted least squares), the model shifted back to p.
template <class T>
void GroundSuppressStream<T>::fit(const double* z, double p) {
  const double dt = f_.dt_ns;
  delayed(z, n_, (ref_ns_ - p) / dt, i0_, i0_ + L_, yb_.data());
  const double* g = tcount_ > 0 ? g_.data() : yb_.data();  // the first trace is its own template
  if (tcount_ == 0) template_derivative(g);
  double gg = 0, gd = 0, dd = 0, gy = 0, dy = 0;
  for (Index i = 0; i < L_; ++i) {
    const double ww = w_[std::size_t(i)], gi = g[i], di = dg_[std::size_t(i)], yi = yb_[std::size_t(i)];
    gg += ww * gi * gi, gd += ww * gi * di, dd += ww * di * di, gy += ww * gi * yi, dy += ww * di * yi;
  }
  const auto [a, b] = detail::scale_shift(gg, gd, dd, gy, dy, o_.fit_shift);
  r_.setZero();
  for (Index i = 0; i < L_; ++i) r_(i0_ + i) = w_[std::size_t(i)] * (a * g[i] + b * dg_[std::size_t(i)]);
  delayed(r_.data(), n_, (p - ref_ns_) / dt, 0, n_, b_.data());
}

template <class T>
void GroundSuppressStream<T>::template_derivative(const double* g) {
  for (Index i = 0; i < L_; ++i) {
    const Index lo = std::max<Index>(i - 1, 0), hi = std::min(i + 1, L_ - 1);
    dg_[std::size_t(i)] = hi > lo ? (g[hi] - g[lo]) / (double(hi - lo) * f_.dt_ns) : 0.0;
  }
}

/// c = U U^T r over the current ringing components.
template <class T>
void GroundSuppressStream<T>::project(const Eigen::VectorXd& r, Eigen::VectorXd& c) const {
  c.setZero();
  for (Index q = 0; q < k_; ++q) c += u_.col(q).dot(r) * u_.col(q);
}

/// Ring slot `slot` of the ringing history set to r, its row and column of the Gram matrix H^T H
/// recomputed over the n_cols slots in use (this one included), the slot dropped from the tracked
/// basis (it now holds another trace).
template <class T>
void GroundSuppressStream<T>::store(Index slot, Index nc, const Eigen::VectorXd& r) {
  hist_.col(slot) = r;
  gram_.col(slot).head(nc).noalias() = hist_.leftCols(nc).transpose() * r;
  gram_.row(slot).head(nc) = gram_.col(slot).head(nc).transpose();
  v_.row(slot).setZero();
}

/// Leading left singular vectors of the ringing history H (n_cols slots), tracked in trace space:
/// the basis V of the previous estimate (minus the overwritten slots) plus the newest trace's slot,
/// orthonormalised; Z = G V (G = H^T H); Rayleigh-Ritz on V^T Z; power_iters times V = orth(Z E)
/// and again; then U = orth(H V E) for the leading k_ Ritz vectors, and the next estimate starts from
/// orth(Z E) over the leading l_ (one power step, for free). Each estimate costs (power_iters + 1)
/// products G V (n_cols^2 (l_ + 1)) and H V E (n n_cols k_), against an SVD of n x n_cols.
template <class T>
void GroundSuppressStream<T>::estimate(Index nc, Index newest) {
  bb_.topLeftCorner(nc, l_) = v_.topLeftCorner(nc, l_);
  bb_.col(l_).head(nc).setZero();
  bb_(newest, l_) = 1;
  Index m = orthonormalize(bb_, nc, l_ + 1);
  const auto G = gram_.topLeftCorner(nc, nc);
  Eigen::SelfAdjointEigenSolver<Small> es;
  Small Tm;
  // dst = the leading min(m, l_) Ritz vectors of the last Rayleigh-Ritz, one power step on
  const auto power = [&](Eigen::MatrixXd& dst) {
    const Index top = std::min(m, l_);
    for (Index c = 0; c < top; ++c) {
      dst.col(c).head(nc).setZero();
      for (Index d = 0; d < m; ++d) dst.col(c).head(nc) += es.eigenvectors()(d, m - 1 - c) * zz_.col(d).head(nc);
    }
    return orthonormalize(dst, nc, top);
  };
  for (int it = 0;; ++it) {
    for (Index w = 0; w < nc; ++w)  // Z = G B, row by row (G symmetric: its column w)
      zz_.row(w).head(m).noalias() = G.col(w).transpose() * bb_.topLeftCorner(nc, m);
    Tm.resize(m, m);
    for (Index a = 0; a < m; ++a)
      for (Index b = 0; b <= a; ++b)
        Tm(a, b) = Tm(b, a) = 0.5 * (bb_.col(a).head(nc).dot(zz_.col(b).head(nc)) +
                                     bb_.col(b).head(nc).dot(zz_.col(a).head(nc)));
    es.compute(Tm);  // ascending eigenvalues
    if (it == o_.power_iters) break;
    m = power(bb_);
  }
  for (Index c = 0; c < l_; ++c)
    s_[std::size_t(c)] = c < m ? std::sqrt(std::max(0.0, es.eigenvalues()(m - 1 - c))) : 0.0;
  k_ = 0;
  if (s_[0] > 0) {
    RankSpec spec;
    spec.rank = o_.ringing_rank, spec.max_rank = o_.ringing_max_rank;
    // fewer traces than components during the warm-up; 1e-7: G squares the condition number
    Index nonzero = 0;
    while (nonzero < l_ && s_[std::size_t(nonzero)] > 1e-7 * s_[0]) ++nonzero;
    k_ = std::min(choose_rank(spec, s_, G.trace()), nonzero);
  }
  const Index kept = power(v_);  // before Z is reused below
  v_.rightCols(l_ - kept).setZero();
  for (Index c = 0; c < k_; ++c) {  // U = orth(H B E_k)
    zz_.col(c).head(nc).setZero();
    for (Index d = 0; d < m; ++d) zz_.col(c).head(nc) += es.eigenvectors()(d, m - 1 - c) * bb_.col(d).head(nc);
    u_.col(c).noalias() = hist_.leftCols(nc) * zz_.col(c).head(nc);
  }
  k_ = orthonormalize(u_, n_, k_);
}

template <class T>
void GroundSuppressStream<T>::trace(const T* x, T* y, double* pick) {
  for (Index i = 0; i < n_; ++i) x_(i) = double(x[i]);
  if (seen_ == 0) init_geometry();
  // Warm-up (j < ringing_update): the subspace of traces [0, j], this one included, re-estimated
  // at every alternation; after it, of the previous traces, every ringing_update traces.
  const bool warm = l_ > 0 && seen_ < o_.ringing_update;
  const Index slot_h = l_ > 0 ? seen_ % o_.ringing_window : 0;
  if (l_ > 0 && !warm && seen_ % o_.ringing_update == 0)
    estimate(std::min(seen_, o_.ringing_window), (seen_ - 1) % o_.ringing_window);
  if (tcount_ > 0) {  // the running template: per-sample median of the previous flattened gates
    for (Index i = 0; i < L_; ++i) g_[std::size_t(i)] = sorted_median(tsort_.col(i).data(), tcount_);
    template_derivative(g_.data());
  }
  // Alternation: C from x minus the bounce model (the previous trace's at the first pass), the
  // pick and bounce fitted on x - C.
  r_ = x_ - b_;
  project(r_, c_);
  double p = 0;
  for (int it = 0; it < o_.iterations; ++it) {
    z_ = x_ - c_;
    p = peak_pick(z_.data());
    if (tcount_ > 0) p = refine(z_.data(), p);
    p = outlier(p);
    fit(z_.data(), p);
    r_ = x_ - b_;
    if (warm) {
      store(slot_h, std::min(seen_ + 1, o_.ringing_window), r_);
      estimate(std::min(seen_ + 1, o_.ringing_window), slot_h);
    }
    project(r_, c_);
    if (k_ == 0 && !warm) break;
  }
  for (Index i = 0; i < n_; ++i) y[i] = T(r_(i) - c_(i));
  if (pick) *pick = p;
  // State: the flattened gate of x - C into the template, x - B into the ringing history, the pick.
  const Index N = o_.template_traces, slot = seen_ % N;
  for (Index i = 0; i < L_; ++i) {
    double* s = tsort_.col(i).data();
    Index c = tcount_;
    if (c == N) {  // drop the oldest value from the sorted column
      const Index at = Index(std::lower_bound(s, s + c, tring_(slot, i)) - s);
      std::copy(s + at + 1, s + c, s + at);
      --c;
    }
    const double v = yb_[std::size_t(i)];
    const Index at = Index(std::upper_bound(s, s + c, v) - s);
    std::copy_backward(s + at, s + c, s + c + 1);
    s[at] = v;
    tring_(slot, i) = v;
  }
  tcount_ = std::min(tcount_ + 1, N);
  if (l_ > 0 && !warm) store(slot_h, std::min(seen_ + 1, o_.ringing_window), r_);
  if (o_.outlier_window > 1) {
    const auto ps = std::size_t(seen_ % o_.outlier_window);
    pring_[ps] = p, dring_[ps] = dev_;
    pcount_ = std::min(pcount_ + 1, o_.outlier_window);
  }
  ++seen_;
}

template <class T>
void GroundSuppressStream<T>::process(ConstView<T> in, View<T> out, std::span<double> ground_ns) {
  require(in.rows() == n_, "process: the block has ", in.rows(), " samples per trace, the stream ", n_);
  require(out.rows() == n_ && out.cols() == in.cols(), "process: out is ", out.rows(), " x ", out.cols(), ", in is ",
          in.rows(), " x ", in.cols());
  require(ground_ns.empty() || Index(ground_ns.size()) == in.cols(), "process: ground_ns has ", ground_ns.size(),
          " slots for ", in.cols(), " traces");
  require(in.allFinite(), "process: the block holds NaN or Inf");
  for (Index j = 0; j < in.cols(); ++j)
    trace(in.col(j).data(), out.col(j).data(), ground_ns.empty() ? nullptr : &ground_ns[std::size_t(j)]);
}

template class GroundSuppressStream<float>;
template class GroundSuppressStream<double>;

}  // namespace sapper::clutter

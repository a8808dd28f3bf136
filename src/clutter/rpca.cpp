// Robust PCA by inexact ALM with a rank-limited randomised partial SVD: see subspace.hpp.
#include <algorithm>
#include <cmath>

#include "sapper/clutter/subspace.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::clutter {
namespace {
using Mat = Matrix<double>;
constexpr Index kCols = 64;  // fixed column chunks: sums do not depend on the thread count

/// Calls f(c0, c1) over fixed chunks of columns in parallel; returns the chunk results summed in order.
template <class F>
double for_chunks(Index n, int threads, F&& f) {
  const Index nc = (n + kCols - 1) / kCols;
  std::vector<double> part(std::size_t(nc), 0.0);
  parallel_for(nc, threads, [&](Index b, Index e) {
    for (Index c = b; c < e; ++c) part[std::size_t(c)] = f(c * kCols, std::min(n, (c + 1) * kCols));
  }, 1);
  double s = 0;
  for (double p : part) s += p;
  return s;
}

double soft(double x, double t) { return x > t ? x - t : (x < -t ? x + t : 0.0); }
}  // namespace

template <class T>
RpcaInfo rpca(ConstView<T> in, View<T> low_rank, View<T> sparse, const RpcaOptions& opt) {
  const Index m = in.rows(), n = in.cols();
  require(m >= 1 && n >= 1, "rpca: the B-scan is empty (", m, " x ", n, ")");
  require(low_rank.rows() == m && low_rank.cols() == n && sparse.rows() == m && sparse.cols() == n,
          "rpca: low_rank and sparse must be ", m, " x ", n);
  require(opt.rank >= 1 && opt.rank <= std::min(m, n), "rank = ", opt.rank, " must be in [1, min(m, n) = ",
          std::min(m, n), "]");
  require(std::isfinite(opt.lambda) && opt.lambda >= 0, "lam = ", opt.lambda, " must be > 0 (or 0 = default)");
  require(std::isfinite(opt.tol) && opt.tol > 0, "tol = ", opt.tol, " must be positive");
  require(opt.max_iter >= 1, "max_iter = ", opt.max_iter, " must be >= 1");
  require(std::isfinite(opt.rho) && opt.rho > 1, "rho = ", opt.rho, " must be > 1");
  require(opt.power_iters >= 0 && opt.power_iters <= 100, "power_iters = ", opt.power_iters, " must be in [0, 100]");
  require(opt.oversample >= 0, "oversample = ", opt.oversample, " must be >= 0");
  require(in.allFinite(), "rpca: the B-scan holds NaN or Inf");

  RpcaInfo info;
  info.lambda = opt.lambda > 0 ? opt.lambda : 1.0 / std::sqrt(double(std::max(m, n)));
  const double lam = info.lambda;
  const Mat d = in.template cast<double>();
  const double dnorm = d.norm();
  if (dnorm == 0) {  // nothing to split
    low_rank.setZero(), sparse.setZero();
    info.converged = true;
    return info;
  }
  // ||D||_2 by the randomised SVD with extra power passes (rank 1 converges fast).
  const double norm_two = truncated_svd<double>(d, 1, {10, 6, opt.seed, opt.threads}).s(0);
  const double dual = std::max(norm_two, d.cwiseAbs().maxCoeff() / lam);
  Mat y = d / dual, a = Mat::Zero(m, n), e(m, n), g(m, n);
  double mu = 1.25 / norm_two;
  const double mu_bar = mu * 1e7;
  const Index l = std::min({opt.rank + opt.oversample, m, n});
  const Mat w = detail::gaussian_matrix<double>(n, l, opt.seed);
  for (int it = 1; it <= opt.max_iter; ++it) {
    const double inv = 1 / mu, thr = lam / mu;
    // S step: E = shrink(D - A + Y/mu, lambda/mu); then G = D - E + Y/mu for the L step.
    for_chunks(n, opt.threads, [&](Index c0, Index c1) {
      for (Index j = c0; j < c1; ++j)
        for (Index i = 0; i < m; ++i) {
          const double yi = y(i, j) * inv;
          e(i, j) = soft(d(i, j) - a(i, j) + yi, thr);
          g(i, j) = d(i, j) - e(i, j) + yi;
        }
      return 0.0;
    });
    // L step: singular value thresholding of G at 1/mu, limited to the leading `rank` values.
    const TruncatedSvd<double> t = detail::truncated_svd_with<double>(g, opt.rank, w, opt.power_iters, opt.threads);
    Index svp = 0;
    while (svp < t.s.size() && t.s(svp) > inv) ++svp;
    const Mat us = t.u.leftCols(svp) * (t.s.head(svp).array() - inv).matrix().asDiagonal();
    info.rank = svp;
    info.nuclear_norm = (t.s.head(svp).array() - inv).sum();
    // A = U_s V_s^T; Z = D - A - E; Y += mu Z.
    const double z2 = for_chunks(n, opt.threads, [&](Index c0, Index c1) {
      a.middleCols(c0, c1 - c0).noalias() = us * t.v.middleRows(c0, c1 - c0).leftCols(svp).transpose();
      double s = 0;
      for (Index j = c0; j < c1; ++j)
        for (Index i = 0; i < m; ++i) {
          const double z = d(i, j) - a(i, j) - e(i, j);
          y(i, j) += mu * z;
          s += z * z;
        }
      return s;
    });
    mu = std::min(mu * opt.rho, mu_bar);
    info.iterations = it;
    info.residual = std::sqrt(z2) / dnorm;
    if (info.residual < opt.tol) {
      info.converged = true;
      break;
    }
  }
  info.l1_norm = e.cwiseAbs().sum();
  info.objective = info.nuclear_norm + lam * info.l1_norm;
  low_rank = a.cast<T>();
  sparse = e.cast<T>();
  return info;
}

template RpcaInfo rpca<float>(ConstView<float>, View<float>, View<float>, const RpcaOptions&);
template RpcaInfo rpca<double>(ConstView<double>, View<double>, View<double>, const RpcaOptions&);

}  // namespace sapper::clutter

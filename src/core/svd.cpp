// Truncated SVD by randomised subspace iteration: see include/sapper/core/svd.hpp.
#include "sapper/core/svd.hpp"

#include <Eigen/Householder>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>

#include "sapper/core/parallel.hpp"
#include "sapper/sim/random.hpp"

namespace sapper {
namespace detail {
namespace {
// Chunk sizes are constants so that the split of a product, and hence its rounding, never
// depends on the number of threads.
constexpr Index kRowChunk = 128, kColChunk = 256;

/// Q (m x l) with orthonormal columns spanning y's (Householder QR; thin Q).
template <class T>
void orthonormalise(Matrix<T>& y) {
  Eigen::HouseholderQR<Matrix<T>> qr(y);
  Matrix<T> q = Matrix<T>::Identity(y.rows(), y.cols());
  q.applyOnTheLeft(qr.householderQ());
  y = std::move(q);
}
}  // namespace

template <class T>
void mul_a_x(ConstView<T> a, const Matrix<T>& x, Matrix<T>& y, int threads) {
  y.resize(a.rows(), x.cols());
  const Index nc = (a.rows() + kRowChunk - 1) / kRowChunk;
  parallel_for(nc, threads, [&](Index b, Index e) {
    for (Index c = b; c < e; ++c) {
      const Index r0 = c * kRowChunk, nr = std::min(kRowChunk, a.rows() - r0);
      y.middleRows(r0, nr).noalias() = a.middleRows(r0, nr) * x;
    }
  }, 1);
}

template <class T>
void mul_at_x(ConstView<T> a, const Matrix<T>& x, Matrix<T>& y, int threads) {
  y.resize(a.cols(), x.cols());
  const Index nc = (a.cols() + kColChunk - 1) / kColChunk;
  parallel_for(nc, threads, [&](Index b, Index e) {
    for (Index c = b; c < e; ++c) {
      const Index c0 = c * kColChunk, n = std::min(kColChunk, a.cols() - c0);
      y.middleRows(c0, n).noalias() = a.middleCols(c0, n).transpose() * x;
    }
  }, 1);
}

template <class T>
Matrix<T> gaussian_matrix(Index n, Index l, std::uint64_t seed) {
  Matrix<T> w(n, l);
  for (Index j = 0; j < l; ++j) {
    sim::Rng r(seed, std::uint64_t(j));
    for (Index i = 0; i < n; ++i) w(i, j) = T(r.normal());
  }
  return w;
}

template <class T>
TruncatedSvd<T> truncated_svd_with(ConstView<T> a, Index k, const Matrix<T>& w, int power_iters, int threads) {
  Matrix<T> q, z, bt;
  mul_a_x<T>(a, w, q, threads);
  orthonormalise(q);
  for (int it = 0; it < power_iters; ++it) {
    mul_at_x<T>(a, q, z, threads);
    orthonormalise(z);
    mul_a_x<T>(a, z, q, threads);
    orthonormalise(q);
  }
  mul_at_x<T>(a, q, bt, threads);  // B^T = A^T Q (n x l): the SVD of the tall B^T gives that of B
  Eigen::JacobiSVD<Matrix<T>> svd(bt, Eigen::ComputeThinU | Eigen::ComputeThinV);
  TruncatedSvd<T> r;
  r.s = svd.singularValues().head(k);
  r.v = svd.matrixU().leftCols(k);
  r.u.noalias() = q * svd.matrixV().leftCols(k);
  for (Index j = 0; j < k; ++j) {  // deterministic signs
    Index i;
    r.u.col(j).cwiseAbs().maxCoeff(&i);
    if (r.u(i, j) < 0) r.u.col(j) *= T(-1), r.v.col(j) *= T(-1);
  }
  return r;
}
}  // namespace detail

template <class T>
TruncatedSvd<T> truncated_svd(ConstView<T> a, Index k, const SvdOptions& opt) {
  const Index m = a.rows(), n = a.cols();
  require(m >= 1 && n >= 1, "truncated_svd: the matrix is empty (", m, " x ", n, ")");
  require(k >= 1 && k <= std::min(m, n), "truncated_svd: k = ", k, " must be in [1, min(m, n) = ", std::min(m, n), "]");
  require(opt.oversample >= 0, "truncated_svd: oversample = ", opt.oversample, " must be >= 0");
  require(opt.power_iters >= 0 && opt.power_iters <= 100, "truncated_svd: power_iters = ", opt.power_iters,
          " must be in [0, 100]");
  require(a.allFinite(), "truncated_svd: the matrix holds NaN or Inf");
  const Index l = std::min({k + opt.oversample, m, n});
  return detail::truncated_svd_with<T>(a, k, detail::gaussian_matrix<T>(n, l, opt.seed), opt.power_iters,
                                       opt.threads);
}

#define SAPPER_SVD_INSTANTIATE(T)                                                                             \
  template TruncatedSvd<T> truncated_svd<T>(ConstView<T>, Index, const SvdOptions&);                         \
  template void detail::mul_a_x<T>(ConstView<T>, const Matrix<T>&, Matrix<T>&, int);                         \
  template void detail::mul_at_x<T>(ConstView<T>, const Matrix<T>&, Matrix<T>&, int);                        \
  template TruncatedSvd<T> detail::truncated_svd_with<T>(ConstView<T>, Index, const Matrix<T>&, int, int);  \
  template Matrix<T> detail::gaussian_matrix<T>(Index, Index, std::uint64_t);
SAPPER_SVD_INSTANTIATE(float)
SAPPER_SVD_INSTANTIATE(double)

}  // namespace sapper

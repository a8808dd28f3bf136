// sapper: truncated SVD by randomised subspace iteration (Halko, Martinsson & Tropp 2011).
// A pure function: thread-safe; allocates its result and O((m + n) * (k + oversample)) workspace.
#pragma once

#include <cstdint>

#include "sapper/core/types.hpp"

namespace sapper {

/// The k leading singular triplets: a ~= u * diag(s) * v^T, s descending, u (m x k) and v (n x k)
/// with orthonormal columns. Sign: the entry of largest magnitude of each column of u is positive.
template <class T>
struct TruncatedSvd {
  Matrix<T> u;
  Eigen::Matrix<T, Eigen::Dynamic, 1> s;
  Matrix<T> v;
};

struct SvdOptions {
  Index oversample = 10;   ///< extra random directions p: the sketch has l = min(k + p, m, n) columns
  int power_iters = 2;     ///< q passes of (A A^T), each re-orthonormalised, sharpen a slow spectral decay
  std::uint64_t seed = 0;  ///< the Gaussian test matrix is a function of the seed only
  int threads = 0;         ///< threads for the products with A (0 = all cores); results do not depend on it
};

/// Truncated SVD of a (m x n, any m and n >= 1, 1 <= k <= min(m, n)), deterministic for a seed and
/// independent of the thread count: Y = A W (W Gaussian n x l), Q = orth(Y); q times
/// Q = orth(A orth(A^T Q)); B = Q^T A; B = Ub S V^T (Jacobi SVD, l x n); U = Q Ub. Exact (to rounding)
/// when rank(a) <= l. Cost ~ (2q + 2) m n l flops plus O((m + n) l^2). Throws ValueError for empty
/// input, k out of range, negative oversample or power_iters, or NaN/Inf in a.
template <class T>
TruncatedSvd<T> truncated_svd(ConstView<T> a, Index k, const SvdOptions& opt = {});

extern template TruncatedSvd<float> truncated_svd<float>(ConstView<float>, Index, const SvdOptions&);
extern template TruncatedSvd<double> truncated_svd<double>(ConstView<double>, Index, const SvdOptions&);

namespace detail {
/// Products with a B-scan split into fixed chunks of rows or columns (never by thread count), so
/// that every element is computed by the same kernel call for any number of threads.
template <class T>
void mul_a_x(ConstView<T> a, const Matrix<T>& x, Matrix<T>& y, int threads);  ///< y = a x
template <class T>
void mul_at_x(ConstView<T> a, const Matrix<T>& x, Matrix<T>& y, int threads);  ///< y = a^T x
/// Randomised range finder + small SVD with a caller-given test matrix w (n x l); used by the
/// iterative methods that reuse one test matrix per call.
template <class T>
TruncatedSvd<T> truncated_svd_with(ConstView<T> a, Index k, const Matrix<T>& w, int power_iters, int threads);
/// Standard normal n x l matrix from the seed (sim::Rng, counter based).
template <class T>
Matrix<T> gaussian_matrix(Index n, Index l, std::uint64_t seed);
}  // namespace detail

}  // namespace sapper

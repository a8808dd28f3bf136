// sapper::clutter subspace methods: eigen-image removal by truncated SVD, robust PCA (low rank +
// sparse), per-depth whitening across traces, and their streaming (causal) variants. Formulas,
// defaults and costs: docs/clutter.md. B-scans are samples x traces (sapper::Matrix layout).
// Every function validates its parameters (sapper::ValueError naming the bad value), reads `in`
// and writes caller-owned outputs of the same shape (in == out allowed), and gives the same
// numbers for any `threads` (0 = all cores).
#pragma once

#include <cstdint>
#include <vector>

#include "sapper/core/svd.hpp"
#include "sapper/core/types.hpp"

namespace sapper::clutter {

/// Which singular components to remove: [first, first + k). k = `rank` when rank >= 1; when
/// rank == 0 (automatic), with `energy` in (0, 1) the smallest k <= max_rank whose components hold
/// at least that fraction of ||X||_F^2, else (energy == 0) the largest singular-value gap:
/// k = argmax_{1 <= k <= max_rank} s[first+k-1] / s[first+k] (the first of ties).
struct RankSpec {
  Index first = 0;      ///< first component removed (0: the ground bounce and flat background)
  Index rank = 0;       ///< components removed; 0 = automatic
  double energy = 0;    ///< automatic rule: energy fraction in (0, 1), or 0 = singular-value gap
  Index max_rank = 8;   ///< cap of the automatic rank
};

struct EigenimageOptions {
  RankSpec rank;
  Index block = 0;      ///< traces per block (0 = the whole profile in one block)
  Index overlap = -1;   ///< traces shared by neighbouring blocks, <= block / 2 (-1 = block / 4)
  SvdOptions svd;       ///< truncated SVD; svd.threads is the thread count of the whole call
};

/// The number of components to remove given the singular values s (descending, as many as
/// rank_components(spec, min(m, n)) returns) and total = ||X||_F^2. Pure function.
Index choose_rank(const RankSpec& spec, const std::vector<double>& s, double total);
/// How many leading singular values choose_rank needs for a matrix of min(m, n) = p.
Index rank_components(const RankSpec& spec, Index p);

/// Eigen-image removal: out = X - sum_{i in [first, first+k)} s_i u_i v_i^T, per block of
/// `block` traces when block > 0 (each block its own SVD and k), blocks blended in their
/// overlaps by complementary cos^2 / sin^2 tapers. Returns k of each block.
template <class T>
std::vector<Index> eigenimage(ConstView<T> in, View<T> out, const EigenimageOptions& opt = {});

/// Causal moving-window eigen-image removal: trace j minus its projection on u_first..u_{first+k-1}
/// of the traces [max(0, s - window), s), s = floor(j / update) * update, re-estimated every
/// `update` traces; during warm-up (j < update) re-estimated at every trace from traces [0, j].
/// Streaming equals eigenimage_causal for any split of the traces into blocks. Not thread-safe
/// (one per stream); allocates at re-estimations (every `update` traces), not per trace.
template <class T>
class EigenimageStream {
 public:
  EigenimageStream(Index n_samples, Index window, Index update, const RankSpec& rank = {}, const SvdOptions& svd = {});
  /// in, out: n_samples x any number of traces (in == out allowed).
  void process(ConstView<T> in, View<T> out);
  void reset();
  Index rank() const { return Index(basis_.cols()); }  ///< components removed at present
  Index n_samples() const { return m_; }

 private:
  void estimate(Index n_cols);
  Index m_, window_, update_;
  RankSpec spec_;
  SvdOptions svd_;
  Matrix<T> history_, basis_;
  Eigen::Matrix<T, Eigen::Dynamic, 1> coef_;
  Index seen_ = 0;
};

/// Batch form of EigenimageStream over the whole B-scan.
template <class T>
void eigenimage_causal(ConstView<T> in, View<T> out, Index window, Index update, const RankSpec& rank = {},
                       const SvdOptions& svd = {});

struct RpcaOptions {
  Index rank = 10;         ///< max rank of L: each iteration keeps at most this many singular values
  double lambda = 0;       ///< weight of ||S||_1 (0 = 1 / sqrt(max(m, n)))
  double tol = 1e-7;       ///< stop when ||M - L - S||_F / ||M||_F < tol
  int max_iter = 500;      ///< iteration cap
  double rho = 1.5;        ///< growth of the penalty mu per iteration (mu_0 = 1.25 / ||M||_2, cap mu_0 * 1e7)
  int power_iters = 2;     ///< of the partial SVD of every iteration
  Index oversample = 10;   ///< of the partial SVD
  std::uint64_t seed = 0;  ///< of the partial SVD's test matrix
  int threads = 0;
};

struct RpcaInfo {
  int iterations = 0;
  double residual = 0;     ///< ||M - L - S||_F / ||M||_F at the end
  bool converged = false;  ///< residual < tol
  double nuclear_norm = 0; ///< ||L||_*
  double l1_norm = 0;      ///< ||S||_1
  double objective = 0;    ///< ||L||_* + lambda ||S||_1
  double lambda = 0;
  Index rank = 0;          ///< rank of L
};

/// Robust PCA, M = L + S, by the inexact augmented Lagrange multiplier method (Lin, Chen & Ma
/// 2010, Alg. 5) with a rank-limited randomised partial SVD; computed in double.
template <class T>
RpcaInfo rpca(ConstView<T> in, View<T> low_rank, View<T> sparse, const RpcaOptions& opt = {});

/// Per-depth whitening across traces: y[i, j] = (x[i, j] - mean) / max(sd, min_std), mean and sd
/// (population) of row i over the traces of the window: centred [j - h, j + h] (window = 2h + 1,
/// odd) or causal [j - window + 1, j], truncated at the ends of the profile; y = 0 where
/// max(sd, min_std) = 0.
template <class T>
void whiten(ConstView<T> in, View<T> out, Index window, bool causal = false, double min_std = 0, int threads = 0);

/// Causal whitening block by block; equals whiten(..., causal = true) for any split.
/// Not thread-safe (one per stream); process() allocates nothing.
template <class T>
class WhitenStream {
 public:
  WhitenStream(Index n_samples, Index window, double min_std = 0);
  void process(ConstView<T> in, View<T> out);
  void reset();
  Index n_samples() const { return Index(s1_.size()); }

 private:
  Index window_;
  double min_std_;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic> ring_;  // x - ref of the last `window` traces
  Eigen::VectorXd s1_, s2_, ref_;
  Index seen_ = 0;
};

#define SAPPER_CLUTTER_EXTERN(T)                                                                          \
  extern template std::vector<Index> eigenimage<T>(ConstView<T>, View<T>, const EigenimageOptions&);     \
  extern template class EigenimageStream<T>;                                                              \
  extern template void eigenimage_causal<T>(ConstView<T>, View<T>, Index, Index, const RankSpec&,         \
                                            const SvdOptions&);                                           \
  extern template RpcaInfo rpca<T>(ConstView<T>, View<T>, View<T>, const RpcaOptions&);                   \
  extern template void whiten<T>(ConstView<T>, View<T>, Index, bool, double, int);                       \
  extern template class WhitenStream<T>;
SAPPER_CLUTTER_EXTERN(float)
SAPPER_CLUTTER_EXTERN(double)
#undef SAPPER_CLUTTER_EXTERN

}  // namespace sapper::clutter

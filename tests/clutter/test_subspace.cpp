// Checks of the truncated SVD and the clutter subspace methods against constructed truths.
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <Eigen/SVD>
#include <cmath>
#include <random>

#include "sapper/clutter.hpp"

using namespace sapper;
using namespace sapper::clutter;

namespace {
Matrix<double> gaussian(Index m, Index n, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> d;
  Matrix<double> a(m, n);
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < m; ++i) a(i, j) = d(g);
  return a;
}

Matrix<double> orthonormal(Index m, Index k, unsigned seed) {
  Eigen::HouseholderQR<Matrix<double>> qr(gaussian(m, k, seed));
  return qr.householderQ() * Matrix<double>::Identity(m, k);
}

/// A rank-1 background b c^T (a ground-bounce wavelet, slowly varying amplitude) plus target
/// hyperbolas made orthogonal to b, so that removing the leading component leaves exactly them.
struct Scene {
  Matrix<double> x, targets;
  Eigen::VectorXd b;
};
Scene scene(Index m, Index n) {
  Scene s;
  s.b.resize(m);
  for (Index i = 0; i < m; ++i) {
    const double a = (double(i) - 30) / 4;
    s.b(i) = (1 - 2 * a * a) * std::exp(-a * a) + 0.05 * std::exp(-double(i) / 80);
  }
  s.targets = Matrix<double>::Zero(m, n);
  for (double x0 : {0.2, 0.55, 0.8})
    for (Index j = 0; j < n; ++j) {
      const double dx = (double(j) - x0 * double(n)) / 12, t0 = 60 + 100 * x0;
      const double t = std::sqrt(t0 * t0 + 400 * dx * dx);
      for (Index i = 0; i < m; ++i) {
        const double a = (double(i) - t) / 3;
        s.targets(i, j) += 0.05 * (1 - 2 * a * a) * std::exp(-a * a) * std::exp(-dx * dx / 40);
      }
    }
  Eigen::VectorXd c(n);
  for (Index j = 0; j < n; ++j) c(j) = 1 + 0.2 * std::sin(double(j) / 17);
  // b must be a singular vector of X: T^T b = 0 and T c = 0 (else X X^T b picks up T c |b|^2)
  const Matrix<double> tb = s.targets - s.b * ((s.b.transpose() * s.targets) / s.b.squaredNorm());
  s.targets = tb - (tb * c) * (c.transpose() / c.squaredNorm());
  s.x = s.b * c.transpose() + s.targets;
  return s;
}
}  // namespace

TEST(ClutterSvd, ExactForLowRankAndSameForAnyThreads) {
  const Index m = 150, n = 320, r = 5;
  Eigen::VectorXd s0(r);
  s0 << 10, 5, 2, 1, 0.5;
  const Matrix<double> u0 = orthonormal(m, r, 1), v0 = orthonormal(n, r, 2);
  const Matrix<double> a = u0 * s0.asDiagonal() * v0.transpose();
  const auto t = truncated_svd<double>(a, r, {10, 2, 7, 1});
  for (Index i = 0; i < r; ++i) {
    EXPECT_NEAR(t.s(i), s0(i), 1e-12 * s0(0));
    EXPECT_NEAR(std::abs(t.u.col(i).dot(u0.col(i))), 1.0, 1e-12);
    EXPECT_NEAR(std::abs(t.v.col(i).dot(v0.col(i))), 1.0, 1e-12);
  }
  EXPECT_LT((t.u.transpose() * t.u - Matrix<double>::Identity(r, r)).norm(), 1e-12);
  const auto t4 = truncated_svd<double>(a, r, {10, 2, 7, 4});
  EXPECT_EQ(t4.s, t.s);
  EXPECT_EQ(t4.u, t.u);
  EXPECT_EQ(t4.v, t.v);
  const Matrix<float> af = a.cast<float>();
  const auto tf = truncated_svd<float>(af, 3);
  for (Index i = 0; i < 3; ++i) EXPECT_NEAR(tf.s(i), s0(i), 1e-5 * s0(0));
}

TEST(ClutterSvd, MatchesFullSvdOnDecayingSpectrum) {
  const Index m = 120, n = 90;
  Eigen::VectorXd s0(n);
  for (Index i = 0; i < n; ++i) s0(i) = std::pow(0.7, double(i));
  const Matrix<double> a = orthonormal(m, n, 3) * s0.asDiagonal() * orthonormal(n, n, 4).transpose();
  Eigen::BDCSVD<Matrix<double>> full(a, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const auto t = truncated_svd<double>(a, 4, {10, 3, 0, 0});
  for (Index i = 0; i < 4; ++i) {
    EXPECT_NEAR(t.s(i), full.singularValues()(i), 1e-10);
    EXPECT_NEAR(std::abs(t.u.col(i).dot(full.matrixU().col(i))), 1.0, 1e-9);
  }
}

TEST(ClutterSvd, RejectsBadInput) {
  Matrix<double> a = Matrix<double>::Ones(5, 4);
  EXPECT_THROW(truncated_svd<double>(a, 0), ValueError);
  EXPECT_THROW(truncated_svd<double>(a, 5), ValueError);
  EXPECT_THROW(truncated_svd<double>(a, 1, {-1, 2, 0, 0}), ValueError);
  a(2, 2) = NAN;
  EXPECT_THROW(truncated_svd<double>(a, 1), ValueError);
  EXPECT_THROW(truncated_svd<double>(Matrix<double>(0, 3), 1), ValueError);
}

TEST(ClutterEigenimage, Rank1BackgroundRemovedExactly) {
  const Scene s = scene(256, 400);
  Matrix<double> y(256, 400);
  EigenimageOptions o;
  o.rank.rank = 1;
  EXPECT_EQ(eigenimage<double>(s.x, y, o), std::vector<Index>{1});
  EXPECT_LT((y - s.targets).norm(), 1e-11 * s.x.norm());
  o.rank.rank = 0;  // automatic, largest gap: the background stands far above the targets
  EXPECT_EQ(eigenimage<double>(s.x, y, o), std::vector<Index>{1});
  EXPECT_LT((y - s.targets).norm(), 1e-11 * s.x.norm());
  // float, in place, several threads
  Matrix<float> xf = s.x.cast<float>();
  o.svd.threads = 3;
  eigenimage<float>(xf, xf, o);
  EXPECT_LT((xf.cast<double>() - s.targets).norm(), 2e-5 * s.x.norm());
}

namespace {
/// x minus its leading component by a full SVD (Eigen's BDCSVD, independent of the randomised one).
Matrix<double> minus_leading(const Matrix<double>& x) {
  Eigen::BDCSVD<Matrix<double>> f(x, Eigen::ComputeThinU | Eigen::ComputeThinV);
  return x - f.singularValues()(0) * f.matrixU().col(0) * f.matrixV().col(0).transpose();
}
}  // namespace

TEST(ClutterEigenimage, BlockwiseMatchesPerBlockFullSvdBlend) {
  const Scene s = scene(128, 450);
  Matrix<double> y1(128, 450), y4(128, 450);
  EigenimageOptions o;
  o.rank.rank = 1, o.block = 100, o.overlap = 20, o.svd.threads = 1;
  const auto r = eigenimage<double>(s.x, y1, o);
  // documented blocks: starts every 80 traces, the last one ending at trace 449
  const std::vector<Index> starts{0, 80, 160, 240, 320, 350};
  ASSERT_EQ(r.size(), starts.size());
  Matrix<double> acc = Matrix<double>::Zero(128, 450);
  Eigen::VectorXd wsum = Eigen::VectorXd::Zero(450);
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const Matrix<double> yk = minus_leading(s.x.middleCols(starts[k], 100));
    const Index up = k ? starts[k - 1] + 100 - starts[k] : 0, down = k + 1 < starts.size() ? starts[k] + 100 - starts[k + 1] : 0;
    for (Index j = 0; j < 100; ++j) {
      double w = 1;
      if (j < up) w *= std::pow(std::sin(M_PI / 2 * (j + 0.5) / double(up)), 2);
      if (j >= 100 - down) w *= std::pow(std::cos(M_PI / 2 * (j - (100 - down) + 0.5) / double(down)), 2);
      acc.col(starts[k] + j) += w * yk.col(j);
      wsum(starts[k] + j) += w;
    }
  }
  const Matrix<double> ref = acc * wsum.cwiseInverse().asDiagonal();
  EXPECT_LT((y1 - ref).norm(), 1e-10 * s.x.norm());
  EXPECT_NEAR(wsum(100), 1.0, 1e-12);  // complementary tapers where two blocks overlap
  o.svd.threads = 4;
  eigenimage<double>(s.x, y4, o);
  EXPECT_EQ(y1, y4);
}

TEST(ClutterEigenimage, AutomaticRankRules) {
  RankSpec g;  // gap
  EXPECT_EQ(choose_rank(g, {100, 90, 3, 2, 1.9}, 0), 2);
  g.first = 1;
  EXPECT_EQ(choose_rank(g, {100, 90, 3, 2.9, 1}, 0), 1);  // from component 1: 90 / 3 = 30 is the largest ratio
  RankSpec e;
  e.energy = 0.9;
  EXPECT_EQ(choose_rank(e, {3, 2, 1}, 14), 2);  // 9 + 4 = 13 >= 12.6
  EXPECT_EQ(choose_rank(e, {3, 2, 1}, 100), 3);  // never reached: all available, capped at max_rank
}

TEST(ClutterEigenimage, RejectsBadParameters) {
  Matrix<double> x = Matrix<double>::Random(20, 30), y(20, 30);
  EigenimageOptions o;
  o.rank.rank = 25;
  EXPECT_THROW(eigenimage<double>(x, y, o), ValueError);
  o.rank.rank = 1, o.rank.energy = 1.5;
  EXPECT_THROW(eigenimage<double>(x, y, o), ValueError);
  o.rank.energy = 0, o.block = 10, o.overlap = 6;
  EXPECT_THROW(eigenimage<double>(x, y, o), ValueError);
  o.overlap = -1;
  Matrix<double> bad(20, 29);
  EXPECT_THROW(eigenimage<double>(x, bad, o), ValueError);
  x(3, 3) = INFINITY;
  EXPECT_THROW(eigenimage<double>(x, y, o), ValueError);
}

TEST(ClutterRpca, RecoversIncoherentRank1PlusSparse) {
  const Index m = 200, n = 300;
  const Matrix<double> l0 = gaussian(m, 1, 5) * gaussian(1, n, 6);
  Matrix<double> s0 = Matrix<double>::Zero(m, n);
  std::mt19937_64 g(9);
  std::uniform_real_distribution<double> u(0, 1);
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < m; ++i)
      if (u(g) < 0.04) s0(i, j) = (u(g) < 0.5 ? -1 : 1) * (2 + 3 * u(g));
  const Matrix<double> x = l0 + s0;
  Matrix<double> l(m, n), s(m, n);
  RpcaOptions o;
  o.rank = 5, o.tol = 1e-9;
  const RpcaInfo info = rpca<double>(x, l, s, o);
  EXPECT_TRUE(info.converged);
  EXPECT_EQ(info.rank, 1);
  EXPECT_LT((l - l0).norm() / l0.norm(), 1e-5);
  EXPECT_LT((s - s0).norm() / s0.norm(), 1e-5);
  // objective from its definition, with ||L||_* from an independent SVD
  Eigen::BDCSVD<Matrix<double>> sv(l);
  EXPECT_NEAR(info.objective, sv.singularValues().sum() + info.lambda * s.cwiseAbs().sum(), 1e-6 * info.objective);
  EXPECT_DOUBLE_EQ(info.lambda, 1 / std::sqrt(300.0));
  // float in, float out; results independent of the thread count
  const Matrix<float> xf = x.cast<float>();
  Matrix<float> lf(m, n), sf(m, n), lf1(m, n), sf1(m, n);
  o.tol = 1e-6;  // float input carries ~1e-7 relative rounding: a tighter tol would run to max_iter
  o.threads = 3;
  rpca<float>(xf, lf, sf, o);
  o.threads = 1;
  rpca<float>(xf, lf1, sf1, o);
  EXPECT_EQ(lf, lf1);
  EXPECT_LT((lf.cast<double>() - l0).norm() / l0.norm(), 1e-5);
}

TEST(ClutterRpca, RejectsBadParameters) {
  Matrix<double> x = Matrix<double>::Random(20, 30), l(20, 30), s(20, 30);
  RpcaOptions o;
  o.rank = 0;
  EXPECT_THROW(rpca<double>(x, l, s, o), ValueError);
  o.rank = 2, o.tol = 0;
  EXPECT_THROW(rpca<double>(x, l, s, o), ValueError);
  o.tol = 1e-7, o.lambda = -1;
  EXPECT_THROW(rpca<double>(x, l, s, o), ValueError);
  o.lambda = 0;
  x(0, 0) = NAN;
  EXPECT_THROW(rpca<double>(x, l, s, o), ValueError);
}

namespace {
/// Direct per-window mean and population deviation.
Matrix<double> whiten_direct(const Matrix<double>& x, Index w, bool causal, double floor) {
  Matrix<double> y(x.rows(), x.cols());
  const Index n = x.cols();
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j < n; ++j) {
      const Index a = causal ? std::max<Index>(0, j - w + 1) : std::max<Index>(0, j - w / 2);
      const Index b = causal ? j : std::min(n - 1, j + w / 2);
      const auto seg = x.row(i).segment(a, b - a + 1);
      const double mu = seg.mean(), sd = std::sqrt((seg.array() - mu).square().mean());
      y(i, j) = std::max(sd, floor) > 0 ? (x(i, j) - mu) / std::max(sd, floor) : 0;
    }
  return y;
}
}  // namespace

TEST(ClutterWhiten, MatchesDirectWindows) {
  Matrix<double> x = gaussian(40, 90, 11);
  x.row(3).setConstant(2.5);  // constant row: sd = 0, output 0
  x.row(5) *= 1e-3;           // below the floor
  for (bool causal : {false, true}) {
    Matrix<double> y(40, 90);
    whiten<double>(x, y, 15, causal, 0.01, 3);
    const Matrix<double> r = whiten_direct(x, 15, causal, 0.01);
    EXPECT_LT((y - r).cwiseAbs().maxCoeff(), 1e-11) << causal;
    EXPECT_EQ(y.row(3).cwiseAbs().maxCoeff(), 0.0);
  }
  Matrix<double> y(40, 90);
  whiten<double>(x, y, 1001, false);  // window longer than the profile
  EXPECT_LT((y - whiten_direct(x, 1001, false, 0)).cwiseAbs().maxCoeff(), 1e-11);
  EXPECT_THROW(whiten<double>(x, y, 14, false), ValueError);  // centred needs odd
  EXPECT_THROW(whiten<double>(x, y, 0, true), ValueError);
  EXPECT_THROW(whiten<double>(x, y, 5, true, -1), ValueError);
}

TEST(ClutterStream, WhitenEqualsBatchForAnySplit) {
  const Matrix<float> x = gaussian(33, 101, 12).cast<float>();
  Matrix<float> batch(33, 101), stream(33, 101);
  whiten<float>(x, batch, 10, true, 0, 4);
  WhitenStream<float> ws(33, 10);
  Index j = 0;
  for (Index len : {1, 7, 1, 50, 42}) {
    ws.process(x.middleCols(j, len), stream.middleCols(j, len));
    j += len;
  }
  EXPECT_EQ(batch, stream);
  ws.reset();
  Matrix<float> again(33, 101);
  ws.process(x, again);
  EXPECT_EQ(again, batch);
}

TEST(ClutterStream, EigenimageEqualsBatchCausalAndRemovesBackground) {
  const Scene s = scene(96, 300);
  Matrix<double> batch(96, 300), stream(96, 300);
  RankSpec r;
  r.rank = 1;
  eigenimage_causal<double>(s.x, batch, 80, 20, r);
  EigenimageStream<double> es(96, 80, 20, r);
  Index j = 0;
  for (Index len : {1, 3, 30, 100, 166}) {
    es.process(s.x.middleCols(j, len), stream.middleCols(j, len));
    j += len;
  }
  EXPECT_EQ(batch, stream);
  EXPECT_EQ(es.rank(), 1);
  // past the warm-up: trace j minus its projection on the leading left singular vector of the
  // 80 traces before floor(j / 20) * 20 (full SVD)
  for (Index j = 20; j < 300; ++j) {
    const Index st = j / 20 * 20, a = std::max<Index>(0, st - 80);
    Eigen::BDCSVD<Matrix<double>> f(s.x.middleCols(a, st - a), Eigen::ComputeThinU);
    const Eigen::VectorXd u = f.matrixU().col(0);
    const Eigen::VectorXd ref = s.x.col(j) - u * u.dot(s.x.col(j));
    ASSERT_LT((batch.col(j) - ref).norm(), 1e-10 * s.x.col(j).norm()) << j;
  }
  // warm-up: trace 0 alone spans its own subspace, so it is removed entirely
  EXPECT_LT(batch.col(0).norm(), 1e-12 * s.x.col(0).norm());
  EXPECT_THROW(EigenimageStream<double>(96, 0, 20), ValueError);
  EXPECT_THROW(es.process(Matrix<double>(95, 2), stream.leftCols(2)), ValueError);
}

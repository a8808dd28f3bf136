#include <gtest/gtest.h>

#include <cmath>

#include "common.hpp"

namespace sapper::classify {
namespace {
using testing::Data;

// Gradient of the documented objective J by a direct loop over samples (raw features standardised
// with the model's mean and scale): it vanishes at the optimum.
double max_gradient(const LogisticRegression& m, const Data& d, const std::vector<double>& w_class, double l2) {
  const Index K = m.n_classes(), p = m.n_features();
  RowMatrix gW = l2 * m.coef();
  Eigen::VectorXd gb = Eigen::VectorXd::Zero(K);
  for (Index i = 0; i < d.X.rows(); ++i) {
    std::vector<double> a(K);
    double mx = -1e300, s = 0;
    for (Index k = 0; k < K; ++k) {
      a[k] = m.intercept()[k];
      for (Index j = 0; j < p; ++j) a[k] += m.coef()(k, j) * (d.X(i, j) - m.mean()[j]) / m.scale()[j];
      mx = std::max(mx, a[k]);
    }
    for (Index k = 0; k < K; ++k) s += std::exp(a[k] - mx);
    const Index yi = std::find(m.classes().begin(), m.classes().end(), d.y[i]) - m.classes().begin();
    for (Index k = 0; k < K; ++k) {
      const double r = w_class[yi] * (std::exp(a[k] - mx) / s - (k == yi));
      gb[k] += r;
      for (Index j = 0; j < p; ++j) gW(k, j) += r * (d.X(i, j) - m.mean()[j]) / m.scale()[j];
    }
  }
  return std::max(gW.cwiseAbs().maxCoeff(), gb.cwiseAbs().maxCoeff());
}

TEST(ClassifyLogistic, StationaryPointOfTheObjective) {
  RowMatrix means(3, 3);
  means << 0, 0, 0, 1.5, 0, 0.5, 0, 1.5, -0.5;
  const Data d = testing::gaussian_classes(means, 1.0, {300, 200, 100}, 7);
  LogisticOptions o;
  o.l2 = 2.0;
  o.class_weight.weight = {{"c2", 3.0}};
  const auto m = LogisticRegression::fit(d.X, d.y, o);
  EXPECT_TRUE(m.converged());
  EXPECT_EQ(m.classes(), (std::vector<std::string>{"c0", "c1", "c2"}));
  EXPECT_LT(max_gradient(m, d, {1, 1, 3}, 2.0), 1e-5 * 600);
  EXPECT_NEAR(m.intercept().sum(), 0, 1e-12);
  // the mean and scale are the columns' mean and population standard deviation
  for (Index j = 0; j < 3; ++j) {
    EXPECT_NEAR(m.mean()[j], d.X.col(j).mean(), 1e-12);
    EXPECT_NEAR(m.scale()[j], std::sqrt((d.X.col(j).array() - d.X.col(j).mean()).square().mean()), 1e-12);
  }
  // probabilities sum to 1 and agree with the softmax of the stored parameters
  const RowMatrix p = m.predict_proba(d.X);
  EXPECT_LT((p.rowwise().sum().array() - 1).abs().maxCoeff(), 1e-12);
}

TEST(ClassifyLogistic, RecoversTheBayesPosteriorOfGaussianClasses) {
  // N(+mu, I) vs N(-mu, I), equal priors: log P(c1|x)/P(c0|x) = 2 mu.x exactly.
  RowMatrix means(2, 2);
  means << -0.5, 0.25, 0.5, -0.25;
  const Data d = testing::gaussian_classes(means, 1.0, {20000, 20000}, 11);
  LogisticOptions o;
  o.l2 = 1e-3;
  const auto m = LogisticRegression::fit(d.X, d.y, o);
  for (Index j = 0; j < 2; ++j) {
    const double raw = (m.coef()(1, j) - m.coef()(0, j)) / m.scale()[j];
    EXPECT_NEAR(raw, 2 * means(1, j), 0.05) << j;
  }
  RowMatrix x(1, 2);
  x << 0.3, 0.7;
  const double logit = 2 * (means(1, 0) * 0.3 + means(1, 1) * 0.7);
  EXPECT_NEAR(m.predict_proba(x)(0, 1), 1 / (1 + std::exp(-logit)), 0.01);
}

TEST(ClassifyLogistic, SeparableClassesGiveFiniteCoefficients) {
  RowMatrix X(4, 1);
  X << -2, -1, 1, 2;
  const auto m = LogisticRegression::fit(X, {"n", "n", "p", "p"});
  EXPECT_TRUE(m.coef().allFinite());
  EXPECT_EQ(m.predict(X), (std::vector<std::string>{"n", "n", "p", "p"}));
}

TEST(ClassifyLogistic, RejectsBadInput) {
  RowMatrix X(3, 2);
  X << 1, 2, 3, NAN, 5, 6;
  try {
    LogisticRegression::fit(X, {"a", "b", "a"});
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("X[1, 1]"), std::string::npos) << e.what();
  }
  X(1, 1) = 0;
  EXPECT_THROW(LogisticRegression::fit(X, {"a", "a", "a"}), ValueError);
  EXPECT_THROW(LogisticRegression::fit(X, {"a", "b"}), ValueError);
  LogisticOptions o;
  o.l2 = 0;
  EXPECT_THROW(LogisticRegression::fit(X, {"a", "b", "a"}, o), ValueError);
  o = {};
  o.class_weight.weight = {{"z", 1.0}};
  EXPECT_THROW(LogisticRegression::fit(X, {"a", "b", "a"}, o), ValueError);
  const auto m = LogisticRegression::fit(X, {"a", "b", "a"});
  EXPECT_THROW(m.predict_proba(RowMatrix::Zero(2, 3)), ValueError);
  RowMatrix bad = RowMatrix::Zero(2, 2);
  bad(1, 0) = INFINITY;
  EXPECT_THROW(m.predict_proba(bad), ValueError);
}

TEST(ClassifyLabels, BalancedWeightsEqualiseClassTotals) {
  const auto l = encode_labels({"x", "y", "y", "y"}, {true, {{"y", 2.0}}});
  EXPECT_EQ(l.classes, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(l.index, (std::vector<Index>{0, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(l.weight[0], 4.0 / 2);
  EXPECT_DOUBLE_EQ(l.weight[1], 4.0 / 6 * 2);
}

}  // namespace
}  // namespace sapper::classify

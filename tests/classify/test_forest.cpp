#include <gtest/gtest.h>

#include <numeric>

#include "common.hpp"

namespace sapper::classify {
namespace {
using testing::Data;

TEST(ClassifyForest, LearnsXor) {
  const Data train = testing::xor_data(2000, 2, 1), test = testing::xor_data(2000, 2, 2);
  ForestOptions o;
  o.n_trees = 50;
  o.max_features = 2;
  const auto f = RandomForest::fit(train.X, train.y, o);
  EXPECT_GT(testing::accuracy(f.predict(test.X), test.y), 0.9);
  // a linear model cannot do better than chance here
  const auto lr = LogisticRegression::fit(train.X, train.y);
  EXPECT_LT(testing::accuracy(lr.predict(test.X), test.y), 0.6);
}

TEST(ClassifyForest, SameForestForAnyThreadCount) {
  const Data d = testing::xor_data(500, 3, 3);
  ForestOptions o;
  o.n_trees = 13;
  o.seed = 42;
  o.threads = 1;
  const auto a = RandomForest::fit(d.X, d.y, o);
  for (int th : {2, 3, 8}) {
    o.threads = th;
    const auto b = RandomForest::fit(d.X, d.y, o);
    EXPECT_EQ(a.to_json(), b.to_json()) << th;
    EXPECT_TRUE((a.predict_proba(d.X, 1).array() == b.predict_proba(d.X, th).array()).all());
  }
  o.seed = 43;
  EXPECT_NE(a.to_json(), RandomForest::fit(d.X, d.y, o).to_json());
}

// Weighted Gini of a partition by a direct count.
double gini_sum(const Data& d, const std::vector<bool>& left, const std::vector<double>& w, const std::vector<std::string>& classes) {
  double total = 0;
  for (bool side : {true, false}) {
    std::vector<double> c(classes.size(), 0);
    double n = 0;
    for (Index i = 0; i < d.X.rows(); ++i)
      if (left[i] == side) {
        const auto k = std::find(classes.begin(), classes.end(), d.y[i]) - classes.begin();
        c[k] += w[k], n += w[k];
      }
    if (n == 0) continue;
    double g = 1;
    for (double ck : c) g -= (ck / n) * (ck / n);
    total += n * g;
  }
  return total;
}

TEST(ClassifyForest, DepthOneTreeIsTheBestGiniStump) {
  RowMatrix means(3, 3);
  means << 0, 0, 0, 1, 0.5, 0, 0, 1, 0.7;
  const Data d = testing::gaussian_classes(means, 1.0, {60, 40, 30}, 5);
  const std::vector<std::string> classes{"c0", "c1", "c2"};
  for (bool weighted : {false, true}) {
    ForestOptions o;
    o.n_trees = 1, o.max_depth = 1, o.bootstrap = false, o.max_features = 3, o.min_samples_leaf = 5;
    o.class_weight.balanced = weighted;
    const std::vector<double> w = weighted ? std::vector<double>{130.0 / 180, 130.0 / 120, 130.0 / 90}
                                           : std::vector<double>{1, 1, 1};
    const auto f = RandomForest::fit(d.X, d.y, o);
    const Tree& t = f.trees()[0];
    ASSERT_EQ(t.n_nodes(), 3);
    // brute force: every feature, every cut between distinct sorted values
    double best = 1e300;
    Index best_j = -1;
    std::vector<bool> best_left;
    for (Index j = 0; j < 3; ++j) {
      std::vector<double> v(d.X.col(j).data(), d.X.col(j).data() + d.X.rows());
      std::sort(v.begin(), v.end());
      for (std::size_t c = 0; c + 1 < v.size(); ++c) {
        if (v[c] == v[c + 1]) continue;
        std::vector<bool> left(d.X.rows());
        Index nl = 0;
        for (Index i = 0; i < d.X.rows(); ++i) nl += (left[i] = d.X(i, j) <= v[c]);
        if (nl < 5 || d.X.rows() - nl < 5) continue;
        const double g = gini_sum(d, left, w, classes);
        if (g < best - 1e-9) best = g, best_j = j, best_left = left;
      }
    }
    EXPECT_EQ(t.feature[0], best_j);
    for (Index i = 0; i < d.X.rows(); ++i) EXPECT_EQ(d.X(i, t.feature[0]) <= t.threshold[0], best_left[i]) << i;
    // root value: the weighted class fractions
    const double W = 60 * w[0] + 40 * w[1] + 30 * w[2];
    EXPECT_NEAR(t.value(0, 0), 60 * w[0] / W, 1e-15);
    EXPECT_NEAR(t.value(0, 2), 30 * w[2] / W, 1e-15);
  }
}

TEST(ClassifyForest, RespectsDepthAndLeafSize) {
  const Data d = testing::xor_data(400, 1, 9);
  ForestOptions o;
  o.n_trees = 5, o.bootstrap = false, o.min_samples_leaf = 7, o.max_depth = 4;
  const auto f = RandomForest::fit(d.X, d.y, o);
  for (const Tree& t : f.trees()) {
    EXPECT_LE(t.depth(), 4);
    std::vector<Index> count(t.n_nodes(), 0);
    for (Index i = 0; i < d.X.rows(); ++i) ++count[t.leaf(d.X.row(i).data())];
    for (Index j = 0; j < t.n_nodes(); ++j) {
      if (t.feature[j] < 0) {
        EXPECT_GE(count[j], 7) << j;
      }
    }
  }
  o.max_depth = 0, o.min_samples_leaf = 1;
  const auto full = RandomForest::fit(d.X, d.y, o);  // unlimited trees fit the training set
  EXPECT_EQ(testing::accuracy(full.predict(d.X), d.y), 1.0);
}

TEST(ClassifyForest, RejectsBadOptions) {
  const Data d = testing::xor_data(50, 0, 1);
  ForestOptions o;
  o.n_trees = 0;
  EXPECT_THROW(RandomForest::fit(d.X, d.y, o), ValueError);
  o = {};
  o.min_samples_leaf = 0;
  EXPECT_THROW(RandomForest::fit(d.X, d.y, o), ValueError);
  RowMatrix X = d.X;
  X(3, 1) = NAN;
  EXPECT_THROW(RandomForest::fit(X, d.y, {}), ValueError);
}

}  // namespace
}  // namespace sapper::classify

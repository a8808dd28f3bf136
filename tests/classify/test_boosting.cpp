#include <gtest/gtest.h>

#include <cmath>

#include "common.hpp"
#include "support/alloc_counter.hpp"

namespace sapper::classify {
namespace {
using testing::Data;

TEST(ClassifyBoosting, LearnsXor) {
  const Data train = testing::xor_data(2000, 2, 1), test = testing::xor_data(2000, 2, 2);
  BoostingOptions o;
  o.n_rounds = 100, o.learning_rate = 0.1;
  const auto g = GradientBoosting::fit(train.X, train.y, o);
  EXPECT_GT(testing::accuracy(g.predict(test.X), test.y), 0.93);
  const auto lr = LogisticRegression::fit(train.X, train.y);
  EXPECT_LT(testing::accuracy(lr.predict(test.X), test.y), 0.6);
}

TEST(ClassifyBoosting, SameModelForAnyThreadCount) {
  RowMatrix means(3, 4);
  means << 0, 0, 0, 0, 1, 0.3, -0.2, 0.1, 0, 1, 0.1, 0.5;
  const Data d = testing::gaussian_classes(means, 1.0, {150, 100, 80}, 5);
  BoostingOptions o;
  o.n_rounds = 20, o.max_leaves = 9, o.min_samples_leaf = 5, o.seed = 42, o.threads = 1;
  const auto a = GradientBoosting::fit(d.X, d.y, o);
  for (int th : {2, 3, 8}) {
    o.threads = th;
    const auto b = GradientBoosting::fit(d.X, d.y, o);
    EXPECT_EQ(a.to_json(), b.to_json()) << th;
    EXPECT_TRUE((a.predict_proba(d.X, 1).array() == b.predict_proba(d.X, th).array()).all());
  }
  o.seed = 43;
  EXPECT_NE(a.to_json(), GradientBoosting::fit(d.X, d.y, o).to_json());
}

// x = 0..9, labels a (x <= 5) and b, one round of stumps: init log(0.6), log(0.4); every row has
// h = 0.24, the class-a gradient is 0.6 - 1 on the a's and 0.6 on the b's (class b: negated).
TEST(ClassifyBoosting, FirstStumpIsTheNewtonStep) {
  RowMatrix X(10, 1);
  std::vector<std::string> y;
  for (int i = 0; i < 10; ++i) X(i, 0) = i, y.push_back(i <= 5 ? "a" : "b");
  BoostingOptions o;
  o.n_rounds = 1, o.learning_rate = 0.5, o.max_leaves = 2, o.min_samples_leaf = 1, o.subsample = 1, o.colsample = 1;
  const auto g = GradientBoosting::fit(X, y, o);
  ASSERT_EQ(g.trees().size(), 2u);
  EXPECT_NEAR(g.init()[0], std::log(0.6), 1e-15);
  EXPECT_NEAR(g.init()[1], std::log(0.4), 1e-15);
  const double h = 0.24, left = -0.5 * (6 * -0.4) / (6 * h + 1), right = -0.5 * (4 * 0.6) / (4 * h + 1);
  for (int t = 0; t < 2; ++t) {
    const Tree& tr = g.trees()[t];
    ASSERT_EQ(tr.n_nodes(), 3);
    EXPECT_EQ(tr.feature[0], 0);
    EXPECT_GE(tr.threshold[0], 5.0);
    EXPECT_LT(tr.threshold[0], 6.0);
    const double s = t == 0 ? 1 : -1;
    EXPECT_NEAR(tr.value(tr.left[0], 0), s * left, 1e-15);
    EXPECT_NEAR(tr.value(tr.right[0], 0), s * right, 1e-15);
  }
  const RowMatrix p = g.predict_proba(X);
  for (int i = 0; i < 10; ++i) {
    const double v = i <= 5 ? left : right, fa = std::log(0.6) + v, fb = std::log(0.4) - v;
    EXPECT_NEAR(p(i, 0), 1 / (1 + std::exp(fb - fa)), 1e-14) << i;
  }
}

TEST(ClassifyBoosting, PredictionAllocatesNothing) {
  const Data d = testing::xor_data(300, 1, 6);
  BoostingOptions o;
  o.n_rounds = 10;
  const auto g = GradientBoosting::fit(d.X, d.y, o);
  RowMatrix p(d.X.rows(), 2);
  const long before = test::allocation_count();
  g.predict_proba(d.X, p, 1);
  EXPECT_EQ(test::allocation_count() - before, 0);
  EXPECT_TRUE(((p.rowwise().sum().array() - 1).abs() < 1e-15).all());
}

TEST(ClassifyBoosting, RespectsLeafCountDepthAndLeafSize) {
  const Data d = testing::xor_data(1000, 2, 4);
  BoostingOptions o;
  o.n_rounds = 5, o.max_leaves = 12, o.min_samples_leaf = 30, o.subsample = 1;
  for (Index depth : {0, 3}) {
    o.max_depth = depth;
    const auto g = GradientBoosting::fit(d.X, d.y, o);
    for (const Tree& t : g.trees()) {
      EXPECT_LE((t.n_nodes() + 1) / 2, 12);
      if (depth) EXPECT_LE(t.depth(), depth);
      // every leaf holds >= 30 training rows
      std::vector<Index> count(t.n_nodes(), 0);
      for (Index i = 0; i < d.X.rows(); ++i) ++count[t.leaf(d.X.row(i).data())];
      for (Index j = 0; j < t.n_nodes(); ++j)
        if (t.feature[j] < 0) EXPECT_GE(count[j], 30);
    }
  }
}

TEST(ClassifyBoosting, RejectsBadOptions) {
  const Data d = testing::xor_data(50, 0, 5);
  auto bad = [&](auto set) {
    BoostingOptions o;
    set(o);
    EXPECT_THROW(GradientBoosting::fit(d.X, d.y, o), ValueError);
  };
  bad([](BoostingOptions& o) { o.n_rounds = 0; });
  bad([](BoostingOptions& o) { o.learning_rate = 0; });
  bad([](BoostingOptions& o) { o.max_leaves = 1; });
  bad([](BoostingOptions& o) { o.max_depth = -1; });
  bad([](BoostingOptions& o) { o.min_samples_leaf = 0; });
  bad([](BoostingOptions& o) { o.l2 = -1; });
  bad([](BoostingOptions& o) { o.l2 = 0, o.min_hessian_leaf = 0; });
  bad([](BoostingOptions& o) { o.subsample = 0; });
  bad([](BoostingOptions& o) { o.colsample = 1.5; });
  bad([](BoostingOptions& o) { o.max_bins = 1; });
  bad([](BoostingOptions& o) { o.feature_names = {"x"}; });
  RowMatrix X = d.X;
  X(3, 1) = NAN;
  EXPECT_THROW(GradientBoosting::fit(X, d.y, {}), ValueError);
}

}  // namespace
}  // namespace sapper::classify

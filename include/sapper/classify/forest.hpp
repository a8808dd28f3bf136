// sapper::classify::RandomForest: bagged CART trees (Gini impurity, bootstrap samples, feature
// subsampling at each split), class probabilities averaged over trees. docs/classify.md.
#pragma once

#include <cstdint>

#include "sapper/classify/model.hpp"

namespace sapper::classify {

struct ForestOptions {
  Index n_trees = 100;
  Index max_depth = 0;         ///< 0 = unlimited; the root is depth 0 (max_depth 1 = a stump)
  Index min_samples_split = 2; ///< a node with fewer (drawn) samples is a leaf
  Index min_samples_leaf = 1;  ///< each child of a split keeps at least this many samples
  Index max_features = 0;      ///< features tried per split: 0 = round(sqrt(d)), >= d = all
  bool bootstrap = true;       ///< each tree on n rows drawn with replacement (else all rows)
  ClassWeights class_weight;
  std::uint64_t seed = 0;
  std::vector<std::string> feature_names;  ///< empty: "f0", "f1", ...
  int threads = 0;             ///< trees are trained in parallel; results do not depend on it
};

/// One tree in flat arrays, children after their parent (a forest's nodes in depth-first pre-order,
/// boosting's in the order they were split). Node j is a leaf when feature[j] < 0; else
/// x[feature[j]] <= threshold[j] goes to left[j], the rest to right[j]. value row j: RandomForest,
/// the class fractions (weighted) of the training samples at node j; GradientBoosting, one column:
/// the leaf's score increment.
struct Tree {
  std::vector<int> feature;
  std::vector<double> threshold;
  std::vector<int> left, right;
  RowMatrix value;  ///< n_nodes x K (forest) or n_nodes x 1 (boosting)
  Index n_nodes() const { return Index(feature.size()); }
  Index depth() const;
  /// Row of `value` of the leaf that x (length d) falls in.
  Index leaf(const double* x) const;
};

/// Thread-safe after construction (immutable); predict allocates nothing.
class RandomForest final : public Model {
 public:
  /// Trains on X (n x d, finite) and labels y (n, >= 2 distinct). Throws ValueError on bad input
  /// or options. Tree t draws from Rng(seed, t) alone, so the forest is the same for any thread
  /// count.
  static RandomForest fit(ConstRows X, const std::vector<std::string>& y, const ForestOptions& opt = {});
  /// A forest from its trees (as stored in a file); feature_names (one per feature) fix the
  /// feature count. Throws ValueError on inconsistent trees.
  RandomForest(std::vector<std::string> classes, std::vector<std::string> feature_names, std::vector<Tree> trees);

  std::string type() const override { return "random_forest"; }
  const std::vector<Tree>& trees() const { return trees_; }

 protected:
  void predict_rows(ConstRows X, Rows out, Index begin, Index end) const override;
  std::string body_json() const override;

 private:
  std::vector<Tree> trees_;
};

}  // namespace sapper::classify

// sapper::classify::GradientBoosting: gradient-boosted regression trees on the multiclass softmax
// loss (Newton steps, histogram splits, leaf-wise growth, as LightGBM/XGBoost). docs/classify.md.
#pragma once

#include <cstdint>

#include "sapper/classify/forest.hpp"

namespace sapper::classify {

struct BoostingOptions {
  Index n_rounds = 300;          ///< boosting rounds; each adds one tree per class
  double learning_rate = 0.05;   ///< shrinkage of every leaf value, in (0, 1]
  Index max_leaves = 31;         ///< leaves per tree, >= 2
  Index max_depth = 0;           ///< 0 = unlimited; the root is depth 0
  Index min_samples_leaf = 20;   ///< each child of a split keeps at least this many (drawn) rows
  double min_hessian_leaf = 1e-3;///< ... and at least this hessian sum
  double l2 = 1.0;               ///< L2 penalty on leaf values, >= 0
  double min_split_gain = 0;     ///< a split needs a gain above this, >= 0
  double subsample = 0.8;        ///< fraction of rows drawn (without replacement) per round, (0, 1]
  double colsample = 0.5;        ///< fraction of features drawn per tree, (0, 1]
  Index max_bins = 255;          ///< quantile bins per feature, in [2, 65536]
  ClassWeights class_weight;
  std::uint64_t seed = 0;
  std::vector<std::string> feature_names;  ///< empty: "f0", "f1", ...
  int threads = 0;               ///< the K trees of a round are grown in parallel; results do not depend on it
};

/// Thread-safe after construction (immutable); predict allocates nothing.
/// Tree t belongs to class t % K; its `value` has one column: the leaf's score increment (learning
/// rate included; 0 at internal nodes). P(k | x) = softmax_k(init[k] + sum_{t % K = k} value(leaf_t(x))).
class GradientBoosting final : public Model {
 public:
  /// Trains on X (n x d, finite) and labels y (n, >= 2 distinct). Throws ValueError on bad input or
  /// options. Round r draws its rows and features from Rng(seed, r) alone, so the model is the same
  /// for any thread count.
  static GradientBoosting fit(ConstRows X, const std::vector<std::string>& y, const BoostingOptions& opt = {});
  /// A model from its parts (as stored in a file); feature_names fix the feature count. Throws
  /// ValueError on inconsistent parts (init not K finite values, tree count not a multiple of K,
  /// bad tree links, non-finite values, learning_rate not > 0).
  GradientBoosting(std::vector<std::string> classes, std::vector<std::string> feature_names, double learning_rate,
                   std::vector<double> init, std::vector<Tree> trees);

  std::string type() const override { return "gradient_boosting"; }
  double learning_rate() const { return learning_rate_; }
  const std::vector<double>& init() const { return init_; }
  const std::vector<Tree>& trees() const { return trees_; }
  Index n_rounds() const { return Index(trees_.size()) / n_classes(); }

 protected:
  void predict_rows(ConstRows X, Rows out, Index begin, Index end) const override;
  std::string body_json() const override;

 private:
  double learning_rate_;
  std::vector<double> init_;
  std::vector<Tree> trees_;
};

}  // namespace sapper::classify

// sapper::classify: what every classifier shares: the feature-matrix layout, class labels and
// weights, probability prediction, and the versioned JSON model file. Formats and formulas:
// docs/classify.md.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sapper/core/types.hpp"

namespace sapper::classify {

/// Feature matrix: one row per sample, one column per feature, row-major (a C-ordered numpy
/// array of shape (n_samples, n_features) maps onto it without a copy).
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Read-only view of a feature matrix (rows contiguous, any row stride).
using ConstRows = Eigen::Ref<const RowMatrix, 0, Eigen::OuterStride<>>;
/// Writable view of a feature or probability matrix.
using Rows = Eigen::Ref<RowMatrix, 0, Eigen::OuterStride<>>;

/// Weights of the training samples by class: w(c) = (balanced ? n / (K n_c) : 1) * weight[c]
/// (weight[c] = 1 for a class it does not name). Balanced weights give every class the same
/// total weight, for imbalanced training sets (few mines, much clutter).
struct ClassWeights {
  bool balanced = false;
  std::map<std::string, double> weight;
};

/// The labels of a training set as class indices. classes: the sorted distinct labels; index[i]:
/// position of y[i] in classes; weight[k]: the ClassWeights weight of class k. Throws ValueError on
/// an empty y, fewer than two classes, an empty label, or a weight for an unknown class or not
/// finite and > 0.
struct Labels {
  std::vector<std::string> classes;
  std::vector<Index> index;
  std::vector<double> weight;
};
Labels encode_labels(const std::vector<std::string>& y, const ClassWeights& w = {});

/// A trained classifier. Immutable after training or loading: every const method is thread-safe.
class Model {
 public:
  virtual ~Model() = default;
  /// "logistic_regression", "random_forest" or "gradient_boosting" (the file's "type").
  virtual std::string type() const = 0;
  const std::vector<std::string>& classes() const { return classes_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  Index n_features() const { return Index(feature_names_.size()); }
  Index n_classes() const { return Index(classes_.size()); }

  /// out(i, k) = P(classes()[k] | X.row(i)); out is X.rows() x n_classes(). Throws ValueError if X
  /// has the wrong number of columns or a NaN/Inf entry (named by row and column): there is no
  /// imputation. Results do not depend on `threads` (0 = all cores). Allocates nothing but thread
  /// handles (none with threads = 1).
  void predict_proba(ConstRows X, Rows out, int threads = 0) const;
  RowMatrix predict_proba(ConstRows X, int threads = 0) const;
  /// Index of the most probable class of each row (the first of ties).
  std::vector<Index> predict_index(ConstRows X, int threads = 0) const;
  std::vector<std::string> predict(ConstRows X, int threads = 0) const;

  /// The model as a sapper-model JSON document (doubles written so they read back bit-exactly).
  std::string to_json() const;
  /// Writes to_json() to `path`. Throws Error if the file cannot be written.
  void save(const std::string& path) const;

 protected:
  Model() = default;
  /// Fills classes_ and feature_names_ (names default to "f0", "f1", ...; throws ValueError if
  /// they do not number n_features or repeat).
  void set_header(std::vector<std::string> classes, std::vector<std::string> feature_names, Index n_features);
  /// Type-specific part: rows of X are validated, out has the right shape.
  virtual void predict_rows(ConstRows X, Rows out, Index begin, Index end) const = 0;
  /// Type-specific fields of the JSON document, as JSON text of one object (merged into the header).
  virtual std::string body_json() const = 0;

  std::vector<std::string> classes_, feature_names_;
};

/// Reads a sapper-model JSON document (text) or file. Throws FormatError naming the file (or
/// "<string>") and the offending field on anything malformed: not JSON, wrong "format" or
/// "version", unknown "type", missing fields, wrong shapes, non-finite numbers, bad tree links.
std::unique_ptr<Model> model_from_json(const std::string& text, const std::string& source = "<string>");
std::unique_ptr<Model> load_model(const std::string& path);

/// Throws ValueError naming the first NaN/Inf entry of X (row, column) and `what`.
void require_finite(ConstRows X, const char* what);

}  // namespace sapper::classify

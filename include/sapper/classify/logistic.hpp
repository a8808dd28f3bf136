// sapper::classify::LogisticRegression: multinomial (softmax) logistic regression with an L2
// penalty, features standardised inside the model, trained by L-BFGS. docs/classify.md.
#pragma once

#include "sapper/classify/model.hpp"

namespace sapper::classify {

/// Training minimises, over W (K x d) and b (K),
///   J = -sum_i w(y_i) log softmax(W z_i + b)_{y_i} + (l2 / 2) ||W||_F^2,
/// z_i = (x_i - mean) / scale (training mean and population standard deviation per feature; scale
/// 1 for a constant feature), w = class weights; b is not penalised and is centred (sum_k b_k = 0)
/// since softmax ignores a common shift. J is strictly convex in W, so the optimum is unique.
struct LogisticOptions {
  double l2 = 1.0;          ///< penalty weight (> 0); 1/l2 plays the role of sklearn's C
  int max_iter = 1000;      ///< L-BFGS iterations
  double tol = 1e-8;        ///< stop when max |dJ/dtheta| <= tol * sum_i w(y_i)
  int memory = 10;          ///< L-BFGS correction pairs
  ClassWeights class_weight;
  std::vector<std::string> feature_names;  ///< empty: "f0", "f1", ...
};

/// Thread-safe after construction (immutable); predict allocates nothing.
class LogisticRegression final : public Model {
 public:
  /// Trains on X (n x d, finite, n >= 1) and labels y (n, >= 2 distinct). Throws ValueError on
  /// bad input (naming the first NaN/Inf entry) or options. Deterministic.
  static LogisticRegression fit(ConstRows X, const std::vector<std::string>& y, const LogisticOptions& opt = {});
  /// A model from its parameters (as stored in a file); throws ValueError on inconsistent shapes.
  LogisticRegression(std::vector<std::string> classes, std::vector<std::string> feature_names,
                     Eigen::VectorXd mean, Eigen::VectorXd scale, RowMatrix coef, Eigen::VectorXd intercept);

  std::string type() const override { return "logistic_regression"; }
  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::VectorXd& scale() const { return scale_; }
  const RowMatrix& coef() const { return coef_; }  ///< K x d, on standardised features
  const Eigen::VectorXd& intercept() const { return intercept_; }
  int n_iter() const { return n_iter_; }
  bool converged() const { return converged_; }
  double objective() const { return objective_; }  ///< J at the solution

 protected:
  void predict_rows(ConstRows X, Rows out, Index begin, Index end) const override;
  std::string body_json() const override;

 private:
  Eigen::VectorXd mean_, scale_, intercept_;
  RowMatrix coef_;
  int n_iter_ = 0;
  bool converged_ = true;
  double objective_ = 0;
};

}  // namespace sapper::classify

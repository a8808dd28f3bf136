// Multinomial logistic regression: L2-penalised softmax on standardised features, L-BFGS.
#include <deque>

#include "model_io.hpp"
#include "sapper/classify/logistic.hpp"

namespace sapper::classify {
namespace {

using Vec = Eigen::VectorXd;

// J / sum(w) and its gradient; theta = [W row-major (K x d), b (K)].
struct Objective {
  const RowMatrix& Z;
  const std::vector<Index>& y;
  Vec w;  // per sample
  double l2, wsum;
  Index K, d;

  double operator()(const Vec& theta, Vec& grad) const {
    const Eigen::Map<const RowMatrix> W(theta.data(), K, d);
    const Eigen::Map<const Vec> b(theta.data() + K * d, K);
    RowMatrix P = Z * W.transpose();  // n x K logits, then probabilities
    double loss = 0;
    for (Index i = 0; i < P.rows(); ++i) {
      P.row(i) += b.transpose();
      const double m = P.row(i).maxCoeff();
      const double lse = m + std::log((P.row(i).array() - m).exp().sum());
      loss -= w[i] * (P(i, y[i]) - lse);
      P.row(i) = (P.row(i).array() - lse).exp();
      P(i, y[i]) -= 1;
      P.row(i) *= w[i];  // now the gradient of the loss with respect to the logits
    }
    grad.resize(theta.size());
    Eigen::Map<RowMatrix> gW(grad.data(), K, d);
    gW.noalias() = P.transpose() * Z;
    gW += l2 * W;
    grad.tail(K) = P.colwise().sum().transpose();
    grad /= wsum;
    return (loss + 0.5 * l2 * W.squaredNorm()) / wsum;
  }
};

struct LbfgsResult {
  int iterations = 0;
  bool converged = false;
  double f = 0;
};

// L-BFGS (Nocedal & Wright, alg. 7.4) with a backtracking line search; near the optimum, where
// f differences drown in rounding, a step is also accepted when it reduces |directional derivative|.
template <class F>
LbfgsResult lbfgs(F& f, Vec& x, int max_iter, double tol, int memory) {
  Vec g, gn, xn;
  double fx = f(x, g);
  std::deque<Vec> S, Y;
  std::deque<double> rho;
  LbfgsResult r;
  for (; r.iterations < max_iter; ++r.iterations) {
    if (g.lpNorm<Eigen::Infinity>() <= tol) {
      r.converged = true;
      break;
    }
    Vec d = -g;  // two-loop recursion
    std::vector<double> alpha(S.size());
    for (std::size_t i = S.size(); i-- > 0;) {
      alpha[i] = rho[i] * S[i].dot(d);
      d -= alpha[i] * Y[i];
    }
    d *= S.empty() ? 1.0 / std::max(1.0, g.norm()) : S.back().dot(Y.back()) / Y.back().squaredNorm();
    for (std::size_t i = 0; i < S.size(); ++i) d += S[i] * (alpha[i] - rho[i] * Y[i].dot(d));
    double gd = g.dot(d);
    if (!(gd < 0)) {  // not a descent direction: restart from steepest descent
      S.clear(), Y.clear(), rho.clear();
      d = -g / std::max(1.0, g.norm());
      gd = g.dot(d);
    }
    double t = 1, fn = 0;
    bool ok = false;
    for (int ls = 0; ls < 60 && !ok; ++ls, t *= 0.5) {
      xn = x + t * d;
      fn = f(xn, gn);
      ok = fn <= fx + 1e-4 * t * gd ||
           (fn <= fx + 1e-12 * std::abs(fx) && std::abs(gn.dot(d)) <= 0.9 * std::abs(gd));
      if (ok) break;
    }
    if (!ok) break;  // no progress possible at this precision
    Vec s = xn - x, yv = gn - g;
    const double sy = s.dot(yv);
    if (sy > 1e-12 * yv.squaredNorm()) {
      if (int(S.size()) == memory) S.pop_front(), Y.pop_front(), rho.pop_front();
      S.push_back(std::move(s)), Y.push_back(std::move(yv)), rho.push_back(1 / sy);
    }
    x.swap(xn), g.swap(gn), fx = fn;
  }
  if (!r.converged && g.lpNorm<Eigen::Infinity>() <= tol) r.converged = true;
  r.f = fx;
  return r;
}

}  // namespace

LogisticRegression::LogisticRegression(std::vector<std::string> classes, std::vector<std::string> feature_names,
                                       Eigen::VectorXd mean, Eigen::VectorXd scale, RowMatrix coef,
                                       Eigen::VectorXd intercept)
    : mean_(std::move(mean)), scale_(std::move(scale)), intercept_(std::move(intercept)), coef_(std::move(coef)) {
  const Index d = mean_.size(), K = Index(classes.size());
  set_header(std::move(classes), std::move(feature_names), d);
  require(scale_.size() == d, "scale has ", scale_.size(), " entries for ", d, " features");
  require(coef_.rows() == K && coef_.cols() == d, "coef is ", coef_.rows(), " x ", coef_.cols(), "; expected ", K,
          " x ", d, " (classes x features)");
  require(intercept_.size() == K, "intercept has ", intercept_.size(), " entries for ", K, " classes");
  require(mean_.allFinite() && coef_.allFinite() && intercept_.allFinite(), "parameters must be finite");
  require(scale_.allFinite() && (scale_.array() > 0).all(), "scale must be finite and > 0");
}

LogisticRegression LogisticRegression::fit(ConstRows X, const std::vector<std::string>& y, const LogisticOptions& o) {
  require(std::isfinite(o.l2) && o.l2 > 0, "l2 = ", o.l2, " must be finite and > 0");
  require(o.max_iter >= 1, "max_iter = ", o.max_iter, " must be >= 1");
  require(std::isfinite(o.tol) && o.tol >= 0, "tol = ", o.tol, " must be finite and >= 0");
  require(o.memory >= 1, "memory = ", o.memory, " must be >= 1");
  require(X.rows() == Index(y.size()), "X has ", X.rows(), " rows but y has ", y.size(), " labels");
  require(X.cols() >= 1, "X has no features (columns)");
  require_finite(X, "X");
  const Labels lab = encode_labels(y, o.class_weight);
  const Index n = X.rows(), d = X.cols(), K = Index(lab.classes.size());

  Vec mean = X.colwise().mean().transpose(), scale(d);
  RowMatrix Z = X.rowwise() - mean.transpose();
  for (Index j = 0; j < d; ++j) {
    const double s = std::sqrt(Z.col(j).squaredNorm() / double(n));
    scale[j] = s > 0 ? s : 1.0;
  }
  Z.array().rowwise() /= scale.transpose().array();

  Objective obj{Z, lab.index, Vec(n), o.l2, 0, K, d};
  for (Index i = 0; i < n; ++i) obj.w[i] = lab.weight[lab.index[i]];
  obj.wsum = obj.w.sum();
  Vec theta = Vec::Zero(K * (d + 1));
  const LbfgsResult r = lbfgs(obj, theta, o.max_iter, o.tol, o.memory);

  RowMatrix coef = Eigen::Map<const RowMatrix>(theta.data(), K, d);
  Vec b = theta.tail(K);
  b.array() -= b.mean();
  LogisticRegression m(lab.classes, o.feature_names, std::move(mean), std::move(scale), std::move(coef), std::move(b));
  m.n_iter_ = r.iterations, m.converged_ = r.converged, m.objective_ = r.f * obj.wsum;
  return m;
}

void LogisticRegression::predict_rows(ConstRows X, Rows out, Index begin, Index end) const {
  const Index K = n_classes(), d = n_features();
  for (Index i = begin; i < end; ++i) {
    double m = -std::numeric_limits<double>::infinity();
    for (Index k = 0; k < K; ++k) {
      double a = intercept_[k];
      for (Index j = 0; j < d; ++j) a += coef_(k, j) * ((X(i, j) - mean_[j]) / scale_[j]);
      out(i, k) = a;
      m = std::max(m, a);
    }
    double s = 0;
    for (Index k = 0; k < K; ++k) s += (out(i, k) = std::exp(out(i, k) - m));
    for (Index k = 0; k < K; ++k) out(i, k) /= s;
  }
}

std::string LogisticRegression::body_json() const {
  detail::ojson j;
  j["mean"] = detail::to_ojson(mean_);
  j["scale"] = detail::to_ojson(scale_);
  j["coef"] = detail::to_ojson(coef_);
  j["intercept"] = detail::to_ojson(intercept_);
  return j.dump();
}

namespace detail {
std::unique_ptr<Model> read_logistic(const json& j, const Reader& r, std::vector<std::string> classes,
                                     std::vector<std::string> features) {
  const Index d = Index(features.size()), K = Index(classes.size());
  const auto mean = r.numbers(r.at(j, "mean", "mean"), "mean", d);
  const auto scale = r.numbers(r.at(j, "scale", "scale"), "scale", d);
  for (Index k = 0; k < d; ++k)
    if (!(scale[k] > 0)) r.fail("scale[" + std::to_string(k) + "]", "must be > 0");
  const auto intercept = r.numbers(r.at(j, "intercept", "intercept"), "intercept", K);
  RowMatrix coef = r.matrix(r.at(j, "coef", "coef"), "coef", K, d);
  return std::make_unique<LogisticRegression>(std::move(classes), std::move(features),
                                              Eigen::Map<const Vec>(mean.data(), d), Eigen::Map<const Vec>(scale.data(), d),
                                              std::move(coef), Eigen::Map<const Vec>(intercept.data(), K));
}
}  // namespace detail

}  // namespace sapper::classify

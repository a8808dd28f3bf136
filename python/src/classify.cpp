// Bindings of sapper::classify (wrapped by python/sapper/classify/, which validates arrays and
// labels first): feature matrices are C-ordered float64 (n_samples, n_features), labels strings.
#include "common.hpp"
#include "sapper/classify.hpp"

namespace sapper::python {
namespace {
using namespace sapper::classify;

using CArr = py::array_t<double, py::array::c_style | py::array::forcecast>;

Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>> rows(const CArr& a) {
  if (a.ndim() != 2) throw ValueError("expected a 2-D array (n_samples, n_features)");
  return {a.data(), a.shape(0), a.shape(1), Eigen::OuterStride<>(std::max<py::ssize_t>(a.shape(1), 1))};
}

ClassWeights weights(bool balanced, const std::map<std::string, double>& w) { return {balanced, w}; }

py::array_t<double> proba(const Model& m, const CArr& x, int threads) {
  const auto X = rows(x);
  py::array_t<double> out({X.rows(), m.n_classes()});
  Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> o(out.mutable_data(), X.rows(), m.n_classes(),
                                                   Eigen::OuterStride<>(std::max<Index>(m.n_classes(), 1)));
  py::gil_scoped_release nogil;
  m.predict_proba(X, o, threads);
  return out;
}

py::array_t<double> to_numpy(const RowMatrix& m) {
  py::array_t<double> a({m.rows(), m.cols()});
  std::copy(m.data(), m.data() + m.size(), a.mutable_data());
  return a;
}
py::array_t<double> to_numpy(const Eigen::VectorXd& v) {
  py::array_t<double> a(v.size());
  std::copy(v.data(), v.data() + v.size(), a.mutable_data());
  return a;
}

std::vector<SensorAlarm> sensor_alarms(const CArr& xy, const CArr& p) {
  const auto XY = rows(xy), P = rows(p);
  std::vector<SensorAlarm> a(XY.rows());
  for (Index i = 0; i < XY.rows(); ++i) {
    a[i].x = XY(i, 0), a[i].y = XY(i, 1);
    a[i].proba.assign(P.row(i).data(), P.row(i).data() + P.cols());
  }
  return a;
}

}  // namespace

void bind_classify(py::module_& parent) {
  auto m = parent.def_submodule("classify", "sapper::classify (use sapper.classify)");
  py::class_<Model, std::shared_ptr<Model>>(m, "Model")
      .def_property_readonly("type", &Model::type)
      .def_property_readonly("classes", &Model::classes)
      .def_property_readonly("feature_names", &Model::feature_names)
      .def("predict_proba", &proba)
      .def("to_json", &Model::to_json)
      .def("save", [](const Model& mod, const std::string& path) { mod.save(path); });
  py::class_<LogisticRegression, Model, std::shared_ptr<LogisticRegression>>(m, "LogisticRegression")
      .def_property_readonly("coef", [](const LogisticRegression& r) { return to_numpy(r.coef()); })
      .def_property_readonly("intercept", [](const LogisticRegression& r) { return to_numpy(r.intercept()); })
      .def_property_readonly("mean", [](const LogisticRegression& r) { return to_numpy(r.mean()); })
      .def_property_readonly("scale", [](const LogisticRegression& r) { return to_numpy(r.scale()); })
      .def_property_readonly("n_iter", &LogisticRegression::n_iter)
      .def_property_readonly("converged", &LogisticRegression::converged)
      .def_property_readonly("objective", &LogisticRegression::objective);
  py::class_<RandomForest, Model, std::shared_ptr<RandomForest>>(m, "RandomForest")
      .def_property_readonly("n_trees", [](const RandomForest& f) { return f.trees().size(); })
      .def("tree", [](const RandomForest& f, std::size_t t) {
        if (t >= f.trees().size()) throw ValueError("tree index out of range");
        const Tree& tr = f.trees()[t];
        py::dict d;
        d["feature"] = tr.feature, d["threshold"] = tr.threshold, d["left"] = tr.left, d["right"] = tr.right;
        d["value"] = to_numpy(tr.value);
        return d;
      });

  py::class_<GradientBoosting, Model, std::shared_ptr<GradientBoosting>>(m, "GradientBoosting")
      .def_property_readonly("n_trees", [](const GradientBoosting& g) { return g.trees().size(); })
      .def_property_readonly("n_rounds", &GradientBoosting::n_rounds)
      .def_property_readonly("learning_rate", &GradientBoosting::learning_rate)
      .def_property_readonly("init", &GradientBoosting::init)
      .def("tree", [](const GradientBoosting& g, std::size_t t) {
        if (t >= g.trees().size()) throw ValueError("tree index out of range");
        const Tree& tr = g.trees()[t];
        py::dict d;
        d["feature"] = tr.feature, d["threshold"] = tr.threshold, d["left"] = tr.left, d["right"] = tr.right;
        d["value"] = std::vector<double>(tr.value.data(), tr.value.data() + tr.value.rows());
        return d;
      });

  m.def("fit_logistic", [](const CArr& x, const std::vector<std::string>& y, double l2, int max_iter, double tol,
                           int memory, bool balanced, const std::map<std::string, double>& w,
                           const std::vector<std::string>& names) {
    const auto X = rows(x);
    LogisticOptions o;
    o.l2 = l2, o.max_iter = max_iter, o.tol = tol, o.memory = memory, o.class_weight = weights(balanced, w);
    o.feature_names = names;
    py::gil_scoped_release nogil;
    return std::make_shared<LogisticRegression>(LogisticRegression::fit(X, y, o));
  });
  m.def("fit_forest", [](const CArr& x, const std::vector<std::string>& y, Index n_trees, Index max_depth,
                         Index min_split, Index min_leaf, Index max_features, bool bootstrap, bool balanced,
                         const std::map<std::string, double>& w, std::uint64_t seed,
                         const std::vector<std::string>& names, int threads) {
    const auto X = rows(x);
    ForestOptions o;
    o.n_trees = n_trees, o.max_depth = max_depth, o.min_samples_split = min_split, o.min_samples_leaf = min_leaf;
    o.max_features = max_features, o.bootstrap = bootstrap, o.class_weight = weights(balanced, w), o.seed = seed;
    o.feature_names = names, o.threads = threads;
    py::gil_scoped_release nogil;
    return std::make_shared<RandomForest>(RandomForest::fit(X, y, o));
  });
  m.def("fit_boosting", [](const CArr& x, const std::vector<std::string>& y, Index n_rounds, double learning_rate,
                           Index max_leaves, Index max_depth, Index min_leaf, double min_hessian, double l2,
                           double min_gain, double subsample, double colsample, Index max_bins, bool balanced,
                           const std::map<std::string, double>& w, std::uint64_t seed,
                           const std::vector<std::string>& names, int threads) {
    const auto X = rows(x);
    BoostingOptions o;
    o.n_rounds = n_rounds, o.learning_rate = learning_rate, o.max_leaves = max_leaves, o.max_depth = max_depth;
    o.min_samples_leaf = min_leaf, o.min_hessian_leaf = min_hessian, o.l2 = l2, o.min_split_gain = min_gain;
    o.subsample = subsample, o.colsample = colsample, o.max_bins = max_bins, o.class_weight = weights(balanced, w);
    o.seed = seed, o.feature_names = names, o.threads = threads;
    py::gil_scoped_release nogil;
    return std::make_shared<GradientBoosting>(GradientBoosting::fit(X, y, o));
  });
  m.def("load", [](const std::string& path) { return std::shared_ptr<Model>(load_model(path)); });
  m.def("from_json", [](const std::string& text) { return std::shared_ptr<Model>(model_from_json(text)); });

  m.def("fuse", [](const CArr& gxy, const CArr& gp, const CArr& mxy, const CArr& mp, const std::vector<std::string>& classes,
                   const std::vector<double>& prior, bool g_covers, const std::vector<double>& g_prior,
                   const std::vector<double>& g_pd, bool m_covers, const std::vector<double>& m_prior,
                   const std::vector<double>& m_pd, double halo, double weight, const std::string& clutter) {
    FusionOptions o;
    o.classes = classes, o.prior = prior, o.halo_m = halo, o.gpr_position_weight = weight, o.clutter_label = clutter;
    o.gpr = {g_covers, g_prior, g_pd}, o.mag = {m_covers, m_prior, m_pd};
    const auto g = sensor_alarms(gxy, gp), mg = sensor_alarms(mxy, mp);
    std::vector<FusedAlarm> f;
    {
      py::gil_scoped_release nogil;
      f = fuse(g, mg, o);
    }
    const auto n = py::ssize_t(f.size()), K = py::ssize_t(classes.size());
    py::array_t<double> x(n), y(n), conf(n), p({n, K});
    py::array_t<Index> gi(n), mi(n);
    py::list label;
    for (py::ssize_t i = 0; i < n; ++i) {
      x.mutable_at(i) = f[i].x, y.mutable_at(i) = f[i].y, conf.mutable_at(i) = f[i].confidence;
      gi.mutable_at(i) = f[i].gpr, mi.mutable_at(i) = f[i].mag;
      for (py::ssize_t k = 0; k < K; ++k) p.mutable_at(i, k) = f[i].proba[k];
      label.append(f[i].label);
    }
    py::dict d;
    d["x"] = x, d["y"] = y, d["confidence"] = conf, d["label"] = label, d["proba"] = p, d["gpr"] = gi, d["mag"] = mi;
    return d;
  });
}

}  // namespace sapper::python

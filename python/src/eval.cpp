// Bindings for scoring and clutter-suppression metrics (wrapped by sapper/eval.py, which validates
// shapes and dtypes): truth as JSON text, alarms as float64 arrays, results as dicts of arrays.
#include <optional>

#include "common.hpp"

namespace sapper::python {

namespace {

using Vec = py::array_t<double, py::array::c_style | py::array::forcecast>;
using MaskArr = py::array_t<bool, py::array::f_style>;

template <class T, class F>
py::array_t<T> column(std::size_t n, F get) {
  py::array_t<T> a(static_cast<py::ssize_t>(n));
  auto r = a.template mutable_unchecked<1>();
  for (std::size_t i = 0; i < n; ++i) r(py::ssize_t(i)) = get(i);
  return a;
}

py::dict point_dict(const eval::OperatingPoint& p) {
  py::dict d;
  d["rate"] = p.rate;
  d["threshold"] = p.threshold;
  d["pd"] = p.pd;
  d["far"] = p.far;
  d["n_detected"] = p.n_detected;
  d["n_false"] = p.n_false;
  d["pd_lo"] = p.pd_ci.lo;
  d["pd_hi"] = p.pd_ci.hi;
  return d;
}

py::list groups(const std::vector<eval::Group>& g) {
  py::list l;
  for (const auto& x : g) l.append(py::make_tuple(x.name, x.n_targets, x.n_detected, x.pd, x.pd_ci.lo, x.pd_ci.hi));
  return l;
}

py::dict to_dict(const eval::Score& s) {
  py::dict d;
  d["n_targets"] = s.n_targets;
  d["n_alarms"] = s.n_alarms;
  d["n_scored"] = s.n_scored;
  d["n_outside"] = s.n_outside;
  d["area_m2"] = s.area_m2;
  d["max_far"] = s.max_far;
  d["pauc"] = s.pauc;
  d["n_false_on_clutter"] = s.n_false_on_clutter;
  d["has_labels"] = s.has_labels;
  const auto& r = s.roc;
  const auto n = r.threshold.size();
  d["roc"] = py::dict(py::arg("threshold") = column<double>(n, [&](auto i) { return r.threshold[i]; }),
                      py::arg("pd") = column<double>(n, [&](auto i) { return r.pd[i]; }),
                      py::arg("far") = column<double>(n, [&](auto i) { return r.far[i]; }),
                      py::arg("n_detected") = column<Index>(n, [&](auto i) { return r.n_detected[i]; }),
                      py::arg("n_false") = column<Index>(n, [&](auto i) { return r.n_false[i]; }));
  py::list rates;
  for (const auto& p : s.at_rates) rates.append(point_dict(p));
  d["at_rates"] = rates;
  d["operating"] = point_dict(s.operating);
  d["by_type"] = groups(s.by_type);
  d["by_label"] = groups(s.by_label);
  d["by_depth"] = groups(s.by_depth);
  const auto& t = s.targets;
  d["targets"] = py::dict(py::arg("alarm") = column<Index>(t.size(), [&](auto i) { return t[i].alarm; }),
                          py::arg("distance") = column<double>(t.size(), [&](auto i) { return t[i].distance; }),
                          py::arg("confidence") = column<double>(t.size(), [&](auto i) { return t[i].confidence; }),
                          py::arg("halo") = column<double>(t.size(), [&](auto i) { return t[i].halo; }));
  const auto& a = s.alarms;
  d["alarms"] = py::dict(py::arg("target") = column<Index>(a.size(), [&](auto i) { return a[i].target; }),
                         py::arg("duplicate_of") = column<Index>(a.size(), [&](auto i) { return a[i].duplicate_of; }),
                         py::arg("clutter") = column<Index>(a.size(), [&](auto i) { return a[i].clutter; }),
                         py::arg("outside") = column<bool>(a.size(), [&](auto i) { return a[i].outside; }),
                         py::arg("distance") = column<double>(a.size(), [&](auto i) { return a[i].distance; }));
  py::array_t<Index> c({py::ssize_t(5), py::ssize_t(5)});
  auto cm = c.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < 5; ++i)
    for (py::ssize_t j = 0; j < 5; ++j) cm(i, j) = s.confusion[std::size_t(i)][std::size_t(j)];
  d["confusion"] = c;
  return d;
}

Eigen::Map<const eval::Mask, 0, Eigen::OuterStride<>> as_mask(const MaskArr& a) {
  if (a.ndim() != 2) throw ValueError("expected a 2-D mask (n_samples, n_traces)");
  return {a.data(), a.shape(0), a.shape(1), Eigen::OuterStride<>(std::max<py::ssize_t>(a.shape(0), 1))};
}

template <class T>
void bind_scr(py::module_& m, const char* suffix) {
  const std::string s = suffix;
  m.def(("scr_db" + s).c_str(), [](Arr<T> y, const MaskArr& mask, Index i0, Index i1) {
    auto x = as_matrix(y);
    auto k = as_mask(mask);
    py::gil_scoped_release nogil;
    return eval::scr_db<T>(x, k, {i0, i1});
  });
  m.def(("target_mask" + s).c_str(), [](Arr<T> scene, Arr<T> twin, double level_db) {
    auto a = as_matrix(scene), b = as_matrix(twin);
    eval::Mask r;
    {
      py::gil_scoped_release nogil;
      r = eval::target_mask<T>(a, b, level_db);
    }
    const Index rows = r.rows(), cols = r.cols();
    return adopt<bool>(std::move(r), rows, cols);
  });
  m.def(("scr_gain_db" + s).c_str(), [](Arr<T> raw, Arr<T> processed, const MaskArr& mask, Index i0, Index i1) {
    auto a = as_matrix(raw), b = as_matrix(processed);
    auto k = as_mask(mask);
    py::gil_scoped_release nogil;
    return eval::scr_gain_db<T>(a, b, k, {i0, i1});
  });
}

}  // namespace

void bind_eval(py::module_& m) {
  auto e = m.def_submodule("eval", "scoring and clutter-suppression metrics (use sapper.eval)");
  e.def("score", [](const Vec& x, const Vec& y, const Vec& conf, const std::vector<std::string>& labels,
                    const std::string& truth_json, double ap_m, double large_m, double large_size_m, double margin_m,
                    const std::vector<std::pair<int, double>>& halo_by_id, bool duplicates,
                    const std::vector<double>& fa_rates, double max_far, double level,
                    const std::vector<double>& depth_bins, std::optional<double> threshold, double operating_far) {
    const auto n = std::size_t(x.size());
    if (std::size_t(y.size()) != n || std::size_t(conf.size()) != n || (!labels.empty() && labels.size() != n))
      throw ValueError("alarm x, y, confidence (and label) must have the same length");
    const auto truth = sim::truth_from_json(truth_json);
    std::vector<eval::Alarm> alarms(n);
    for (std::size_t i = 0; i < n; ++i)
      alarms[i] = {x.data()[i], y.data()[i], conf.data()[i], labels.empty() ? std::string() : labels[i]};
    eval::ScoreOptions o;
    o.halo = {ap_m, large_m, large_size_m, margin_m};
    o.halo_by_id = halo_by_id;
    o.duplicates_are_false_alarms = duplicates;
    o.fa_rates = fa_rates;
    o.max_far = max_far;
    o.confidence_level = level;
    o.depth_bins = depth_bins;
    o.threshold = threshold;
    o.operating_far = operating_far;
    eval::Score s;
    {
      py::gil_scoped_release nogil;
      s = eval::score(alarms, truth, o);
    }
    return to_dict(s);
  });
  e.def("clopper_pearson", [](const py::array_t<Index, py::array::c_style | py::array::forcecast>& k,
                              const py::array_t<Index, py::array::c_style | py::array::forcecast>& n, double level) {
    if (k.size() != n.size()) throw ValueError("k and n must have the same size");
    const auto m = std::size_t(k.size());
    std::vector<eval::Interval> r(m);
    for (std::size_t i = 0; i < m; ++i) r[i] = eval::clopper_pearson(k.data()[i], n.data()[i], level);
    return py::make_tuple(column<double>(m, [&](auto i) { return r[i].lo; }),
                          column<double>(m, [&](auto i) { return r[i].hi; }));
  });
  e.def("beta_inc", &eval::beta_inc);
  e.def("beta_inc_inv", &eval::beta_inc_inv);
  bind_scr<float>(e, "_f32");
  bind_scr<double>(e, "_f64");
}

}  // namespace sapper::python

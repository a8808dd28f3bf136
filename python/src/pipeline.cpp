// Binding of the GPR detection chain (include/sapper/pipeline/gpr.hpp), wrapped by
// sapper.pipeline (preprocess_gpr, gpr_features, gpr_candidates, gpr_alarms), which validates the
// lane and builds the options dict read here; _core.pipeline.f32 / f64 for the C-scan's dtype.
// C-scans are Fortran-ordered (n_samples, n_traces, n_channels). The GIL is released around the work.
#include "common.hpp"
#include "sapper/pipeline/gpr.hpp"

namespace sapper::python {
namespace {
using namespace sapper::pipeline;
using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Ints = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

/// Missing keys keep GprChainOptions' defaults (the prescreener's keys: prescreen_options, common.hpp).
GprChainOptions options(const py::dict& d) {
  GprChainOptions o;
  o.background_m = get(d, "background_m", o.background_m), o.bandpass = get(d, "bandpass", o.bandpass);
  o.antenna_mhz = get(d, "antenna_mhz", o.antenna_mhz);
  o.band_low_mhz = get(d, "band_low_mhz", o.band_low_mhz), o.band_high_mhz = get(d, "band_high_mhz", o.band_high_mhz);
  o.ground = get(d, "ground", o.ground), o.search_start_ns = get(d, "search_start_ns", o.search_start_ns);
  o.search_end_ns = get(d, "search_end_ns", o.search_end_ns), o.separation_m = get(d, "separation_m", o.separation_m);
  o.antenna_height_m = get(d, "antenna_height_m", o.antenna_height_m), o.offset_m = get(d, "offset_m", o.offset_m);
  o.merge = get(d, "merge", o.merge), o.threads = get(d, "threads", o.threads);
  o.deeper_gates_ns = get(d, "deeper_gates_ns", o.deeper_gates_ns);
  o.grid_dt_ns = get(d, "grid_dt_ns", o.grid_dt_ns), o.grid_spacing_m = get(d, "grid_spacing_m", o.grid_spacing_m);
  o.prescreen = prescreen_options(d, o.prescreen);
  return o;
}

std::vector<double> vec(const Doubles& a) { return {a.data(), a.data() + a.size()}; }

template <class T>
std::vector<View<T>> channel_outputs(py::array_t<T, py::array::f_style>& a) {
  const Index m = a.shape(0), n = a.shape(1);
  std::vector<View<T>> v;
  for (Index c = 0; c < a.shape(2); ++c)
    v.emplace_back(Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>>(a.mutable_data() + c * m * n, m, n,
                                                                  Eigen::OuterStride<>(std::max<Index>(m, 1))));
  return v;
}

/// A numpy view of a row-major matrix owned by `owner` (a Python object kept alive by the array).
py::array_t<double> rows_view(const classify::RowMatrix& m, py::handle owner) {
  const auto s = py::ssize_t(sizeof(double));
  return py::array_t<double>({m.rows(), m.cols()}, {s * std::max<Index>(m.cols(), 1), s}, m.data(), owner);
}

py::dict detections_dict(const std::vector<GprDetection>& d) {
  const auto n = py::ssize_t(d.size());
  py::array_t<std::int64_t> cand(n);
  py::array_t<double> x(n), y(n), depth(n), t(n), score(n), conf(n), p({n, py::ssize_t(gpr_classes.size())});
  py::list label;
  for (py::ssize_t i = 0; i < n; ++i) {
    const auto& a = d[std::size_t(i)];
    cand.mutable_at(i) = a.candidate, x.mutable_at(i) = a.x_m, y.mutable_at(i) = a.y_m;
    depth.mutable_at(i) = a.depth_m, t.mutable_at(i) = a.time_ns, score.mutable_at(i) = a.score;
    conf.mutable_at(i) = a.confidence;
    for (std::size_t k = 0; k < a.proba.size(); ++k) p.mutable_at(i, py::ssize_t(k)) = a.proba[k];
    label.append(a.label_name());
  }
  py::dict r;
  r["candidate"] = cand, r["x"] = x, r["y"] = y, r["depth"] = depth, r["time_ns"] = t, r["score"] = score;
  r["proba"] = p, r["confidence"] = conf, r["label"] = label;
  return r;
}

template <class T>
void bind_type(py::module_& m) {
  using Chain = GprChain<T>;
  using Arr3 = py::array_t<T, py::array::f_style>;
  m.def("preprocess", [](Arr3 a, double dt, const Doubles& x, const py::dict& o) {
    const auto in = channel_views<T>(a);
    const GprChainOptions opt = options(o);
    const std::vector<double> xs = vec(x);
    Arr3 out({a.shape(0), a.shape(1), a.shape(2)});
    auto views = channel_outputs<T>(out);
    py::gil_scoped_release nogil;
    preprocess_gpr<T>(in, views, dt, xs, opt);
    return out;
  });
  py::class_<Chain>(m, "GprChain")
      .def(py::init([](const py::object& model, Index ns, double dt, double tz, const Doubles& x, const Doubles& y,
                       const py::dict& o) {
             std::shared_ptr<const classify::Model> mod;
             if (!model.is_none()) mod = model.cast<std::shared_ptr<classify::Model>>();
             return Chain(std::move(mod), LaneGeometry{ns, dt, tz, vec(x), vec(y)}, options(o));
           }))
      .def_property_readonly("feature_names", &Chain::feature_names)
      .def_property_readonly("background_traces", &Chain::background_traces)
      .def_property_readonly("separation_traces", &Chain::separation_traces)
      .def_property_readonly("grid", [](const Chain& c) {  // (n_samples, dt_ns, x): the working grid
        const auto& g = c.grid();
        return py::make_tuple(g.n_samples, g.dt_ns, Doubles(py::ssize_t(g.x_m.size()), g.x_m.data()));
      })
      .def("preprocess", [](const Chain& c, Arr3 a) {
        const auto in = channel_views<T>(a);
        Arr3 out({c.grid().n_samples, Index(c.grid().x_m.size()), a.shape(2)});
        auto views = channel_outputs<T>(out);
        py::gil_scoped_release nogil;
        c.preprocess(in, views);
        return out;
      })
      .def("candidates", [](const Chain& c, Arr3 a) {
        const auto ch = channel_views<T>(a);
        py::gil_scoped_release nogil;
        return c.candidates(ch);
      })
      .def("features", [](const Chain& c, Arr3 a, const Ints& trace, const Ints& channel, const Ints& sample,
                          const Doubles& time, const Doubles& x, const Doubles& y, const Doubles& score,
                          const py::array_t<double, py::array::f_style | py::array::forcecast>& rows) {
        const auto ch = channel_views<T>(a);
        if (rows.ndim() != 2) throw ValueError("the prescreener's score must be (n_traces, n_channels)");
        detect::Prescreen ps;
        ps.alarms = alarms_from(trace, channel, sample, time, x, y, score);
        ps.score = Eigen::Map<const Eigen::MatrixXd>(rows.data(), rows.shape(0), rows.shape(1));
        py::gil_scoped_release nogil;
        return c.features(ch, std::move(ps));
      })
      .def("detections", [](const Chain& c, const GprCandidates& cand,
                            const py::array_t<double, py::array::c_style | py::array::forcecast>& p) {
        if (p.ndim() != 2) throw ValueError("proba must be a 2-D array (n_alarms, 4)");
        const Eigen::Map<const classify::RowMatrix> P(p.data(), p.shape(0), p.shape(1));
        std::vector<GprDetection> d;
        {
          py::gil_scoped_release nogil;
          d = c.detections(cand, P);
        }
        return detections_dict(d);
      })
      .def("alarms", [](const Chain& c, Arr3 a) {
        const auto ch = channel_views<T>(a);
        GprResult r;
        {
          py::gil_scoped_release nogil;
          r = c.alarms(ch);
        }
        py::array_t<double> p({r.proba.rows(), r.proba.cols()});
        std::copy(r.proba.data(), r.proba.data() + r.proba.size(), p.mutable_data());
        return py::make_tuple(py::cast(std::move(r.candidates)), p, detections_dict(r.alarms));
      });
}

}  // namespace

void bind_pipeline(py::module_& parent) {
  py::module_ m = parent.def_submodule("pipeline", "sapper::pipeline GPR detection chain");
  py::class_<GprCandidates>(m, "Candidates")
      .def_property_readonly("alarms", [](const GprCandidates& c) {
        const auto& a = c.prescreen.alarms;
        const auto n = py::ssize_t(a.size());
        py::array_t<std::int64_t> tr(n), ch(n), sm(n);
        py::array_t<double> t(n), x(n), y(n), s(n);
        for (py::ssize_t i = 0; i < n; ++i) {
          const auto& v = a[std::size_t(i)];
          tr.mutable_at(i) = v.trace, ch.mutable_at(i) = v.channel, sm.mutable_at(i) = v.sample;
          t.mutable_at(i) = v.time_ns, x.mutable_at(i) = v.x_m, y.mutable_at(i) = v.y_m, s.mutable_at(i) = v.score;
        }
        return py::make_tuple(tr, ch, sm, t, x, y, s);
      })
      .def_property_readonly("statistic", [](const GprCandidates& c) { return trace_rows(c.prescreen.statistic); })
      .def_property_readonly("score", [](const GprCandidates& c) { return trace_rows(c.prescreen.score); })
      .def_property_readonly("sample", [](const GprCandidates& c) { return trace_rows(c.prescreen.sample); })
      .def_property_readonly("features", [](py::object self) {
        return rows_view(self.cast<const GprCandidates&>().features, self);
      })
      .def_property_readonly("gate", [](const GprCandidates& c) {
        py::array_t<std::int64_t> g(py::ssize_t(c.gate.size()));
        std::copy(c.gate.begin(), c.gate.end(), g.mutable_data());
        return g;
      })
      .def_property_readonly("ok", [](const GprCandidates& c) {
        py::array_t<bool> ok(py::ssize_t(c.ok.size()));
        std::copy(c.ok.begin(), c.ok.end(), ok.mutable_data());
        return ok;
      });
  auto f32 = m.def_submodule("f32"), f64 = m.def_submodule("f64");
  bind_type<float>(f32);
  bind_type<double>(f64);
  m.attr("CLASSES") = py::make_tuple(gpr_classes[0], gpr_classes[1], gpr_classes[2], gpr_classes[3]);
}

}  // namespace sapper::python

// Bindings of sapper::detect hyperbola analysis and features: see include/sapper/detect/hyperbola.hpp
// and features.hpp. Wrapped by sapper/detect/hyperbola.py and features.py, which validate arrays and
// build the options dicts read here; the functions live in _core.detect_features (f32 / f64
// submodules for the B-scan's dtype). The GIL is released around the work.
#include "common.hpp"
#include "sapper/detect/features.hpp"
#include "sapper/detect/hyperbola.hpp"

namespace sapper::python {
namespace {
using namespace sapper::detect;
using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Ints = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

HyperbolaOptions hyp_options(const py::dict& o) {
  HyperbolaOptions h;
  h.half_width = o["half_width"].cast<Index>(), h.trace_spacing_m = o["trace_spacing_m"].cast<double>();
  h.gate_ns = o["gate_ns"].cast<double>(), h.min_amplitude = o["min_amplitude"].cast<double>();
  h.min_traces = o["min_traces"].cast<Index>(), h.antenna_height_m = o["antenna_height_m"].cast<double>();
  h.offset_m = o["offset_m"].cast<double>(), h.ground_time_ns = o["ground_time_ns"].cast<double>();
  h.ground_sign = o["ground_sign"].cast<int>(), h.v_min = o["v_min"].cast<double>();
  h.v_max = o["v_max"].cast<double>(), h.huber_k = o["huber_k"].cast<double>();
  h.max_iterations = o["max_iterations"].cast<int>();
  if (o.contains("max_radius_m")) h.max_radius_m = o["max_radius_m"].cast<double>();
  return h;
}

HogOptions hog_options(const py::dict& o) {
  return {o["cell_samples"].cast<Index>(), o["cell_traces"].cast<Index>(), o["bins"].cast<Index>(),
          o["block"].cast<Index>(), o["clip"].cast<double>()};
}

EhdOptions ehd_options(const py::dict& o) {
  return {o["grid_samples"].cast<Index>(), o["grid_traces"].cast<Index>(), o["block"].cast<Index>(),
          o["threshold"].cast<double>()};
}

FeatureOptions feature_options(const py::dict& o) {
  FeatureOptions f;
  f.window_samples = o["window_samples"].cast<Index>(), f.window_traces = o["window_traces"].cast<Index>();
  f.use_hog = o["hog"].cast<bool>(), f.hog = hog_options(o["hog_options"].cast<py::dict>());
  f.use_ehd = o["ehd"].cast<bool>(), f.ehd = ehd_options(o["ehd_options"].cast<py::dict>());
  f.use_hyperbola = o["hyperbola"].cast<bool>(), f.hyperbola = hyp_options(o["hyperbola_options"].cast<py::dict>());
  f.use_energy = o["energy"].cast<bool>(), f.background_traces = o["background_traces"].cast<Index>();
  f.use_spectral = o["spectral"].cast<bool>();
  return f;
}

/// alarms: (k, 2) int64 (trace, sample) and times (k,) ns (NaN: from the sample).
std::vector<GprAlarm> alarms_of(const Ints& ts, const Doubles& times) {
  if (ts.ndim() != 2 || ts.shape(1) != 2) throw ValueError("alarms must have shape (n, 2): (trace, sample)");
  const auto k = std::size_t(ts.shape(0));
  if (std::size_t(times.size()) != k) throw ValueError("times must have one entry per alarm");
  std::vector<GprAlarm> a(k);
  for (std::size_t q = 0; q < k; ++q)
    a[q].trace = Index(ts.at(py::ssize_t(q), 0)), a[q].sample = Index(ts.at(py::ssize_t(q), 1)), a[q].time_ns = times.data()[q];
  return a;
}

std::span<const double> span_of(const Doubles& a) { return {a.data(), std::size_t(a.size())}; }

template <class T>
void bind_type(py::module_& m) {
  m.def("fit_hyperbola", [](Arr<T> data, double dt, double tz, const Doubles& pos, const Ints& ts,
                            const Doubles& times, const py::dict& o) {
    auto x = as_matrix(data);
    const TraceFormat f{x.rows(), dt, tz};
    HyperbolaFitter<T> fitter(f, hyp_options(o));
    const auto alarms = alarms_of(ts, times);
    std::vector<HyperbolaFit> fits(alarms.size());
    {
      py::gil_scoped_release nogil;
      for (std::size_t q = 0; q < alarms.size(); ++q) fits[q] = fitter.fit(x, span_of(pos), alarms[q]);
    }
    py::list out;
    for (const auto& r : fits) {
      py::dict d;
      d["status"] = to_string(r.status), d["x0_m"] = r.x0_m, d["x0_trace"] = r.x0_trace, d["t0_ns"] = r.t0_ns;
      d["velocity_m_ns"] = r.velocity_m_ns, d["permittivity"] = r.permittivity, d["depth_m"] = r.depth_m;
      d["residual_ns"] = r.residual_ns, d["ground_time_ns"] = r.ground_time_ns;
      d["apex_amplitude"] = r.apex_amplitude, d["traces_used"] = r.traces_used, d["polarity"] = r.polarity;
      d["iterations"] = r.iterations, d["radius_m"] = r.radius_m;
      out.append(d);
    }
    return out;
  });
  m.def("pick_ground", [](Arr<T> data, double dt, double tz, Index first, Index last, double lo, double hi) {
    auto x = as_matrix(data);
    const GroundBounce g = pick_ground<T>(x, TraceFormat{x.rows(), dt, tz}, first, last, lo, hi);
    return py::make_tuple(g.time_ns, g.amplitude, g.sign);
  });
  m.def("features", [](Arr<T> data, double dt, double tz, const Doubles& pos, const Ints& ts, const Doubles& times,
                       const py::dict& o, int threads) {
    auto x = as_matrix(data);
    const auto alarms = alarms_of(ts, times);
    const FeatureOptions fo = feature_options(o);
    Matrix<double> r;
    std::vector<char> ok;
    {
      py::gil_scoped_release nogil;
      r = gpr_features<T>(x, TraceFormat{x.rows(), dt, tz}, span_of(pos), alarms, fo, &ok, threads);
    }
    py::array_t<bool> good(py::ssize_t(ok.size()));
    std::copy(ok.begin(), ok.end(), good.mutable_data());
    const Index rows = r.rows(), cols = r.cols();
    return py::make_tuple(adopt(std::move(r), rows, cols), good);
  });
  m.def("hog", [](Arr<T> w, const py::dict& o) {
    auto x = as_matrix(w);
    const HogOptions h = hog_options(o);
    py::array_t<double> out(py::ssize_t(hog_size(x.rows(), x.cols(), h)));
    hog<T>(x, {out.mutable_data(), std::size_t(out.size())}, h);
    return out;
  });
  m.def("ehd", [](Arr<T> w, const py::dict& o) {
    auto x = as_matrix(w);
    const EhdOptions e = ehd_options(o);
    py::array_t<double> out(py::ssize_t(ehd_size(x.rows(), x.cols(), e)));
    ehd<T>(x, {out.mutable_data(), std::size_t(out.size())}, e);
    return out;
  });
}

}  // namespace

void bind_detect_features(py::module_& parent) {
  py::module_ m = parent.def_submodule("detect_features", "sapper::detect hyperbola analysis and features");
  auto f32 = m.def_submodule("f32"), f64 = m.def_submodule("f64");
  bind_type<float>(f32);
  bind_type<double>(f64);
  m.def("feature_names", [](const py::dict& o) { return gpr_feature_names(feature_options(o)); });
  m.def("hyperbola_time", [](double x, double x0, double d, double v, double h, double o) {
    return hyperbola_time(x, x0, d, v, h, o);
  });
  m.def("mag_feature_names", [] { return mag_feature_names(); });
  m.def("mag_features", [](const py::dict& d) {
    mag::DipoleFit f;
    f.depth = d["depth"].cast<double>(), f.moment_am2 = d["moment_am2"].cast<double>();
    f.inclination_deg = d["inclination_deg"].cast<double>(), f.remanence_deg = d["remanence_deg"].cast<double>();
    f.amplitude_nt = d["amplitude_nt"].cast<double>(), f.width_m = d["width_m"].cast<double>();
    f.rms_nt = d["rms_nt"].cast<double>(), f.scale_nt = d["scale_nt"].cast<double>();
    f.coherence = d["coherence"].cast<double>(), f.converged = d["converged"].cast<bool>();
    py::array_t<double> out(py::ssize_t(mag_feature_names().size()));
    mag_features(f, {out.mutable_data(), std::size_t(out.size())});
    return out;
  });
}

}  // namespace sapper::python

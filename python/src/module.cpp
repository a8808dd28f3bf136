// Thin pybind11 layer: F-ordered float32/float64 arrays in (validated in sapper/gpr.py),
// caller-provided output, GIL released around the work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"

using namespace sapper;
using sapper::python::Arr;
using sapper::python::adopt;
using sapper::python::as_matrix;

namespace {

/// scipy's (n, 6) second-order sections [b0 b1 b2 a0 a1 a2] to normalised biquads.
std::vector<gpr::Biquad> sections(const py::array_t<double, py::array::c_style>& sos) {
  if (sos.ndim() != 2 || sos.shape(1) != 6 || sos.shape(0) < 1)
    throw ValueError("sos must have shape (n_sections, 6), like scipy.signal's");
  std::vector<gpr::Biquad> b;
  for (py::ssize_t k = 0; k < sos.shape(0); ++k) {
    const double* r = sos.data(k, 0);
    if (!(r[3] != 0)) throw ValueError("sos section " + std::to_string(k) + " has a0 = 0");
    b.push_back({r[0] / r[3], r[1] / r[3], r[2] / r[3], r[4] / r[3], r[5] / r[3]});
  }
  return b;
}

gpr::Statistic statistic(const std::string& s) {
  if (s == "mean") return gpr::Statistic::mean;
  if (s == "median") return gpr::Statistic::median;
  throw ValueError("method = '" + s + "' must be 'mean' or 'median'");
}

template <class T>
void bind(py::module_& m) {
  using py::arg;
  m.def("remove_dc", [](Arr<T> in, Arr<T> out, double dt, double t0, const std::string& s, double a, double b, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    auto st = statistic(s);
    py::gil_scoped_release nogil;
    gpr::remove_dc<T>(x, y, {x.rows(), dt, t0}, st, a, b, th);
  });
  m.def("dewow", [](Arr<T> in, Arr<T> out, double dt, double w, const std::string& s, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    auto st = statistic(s);
    py::gil_scoped_release nogil;
    gpr::dewow<T>(x, y, {x.rows(), dt, 0}, w, st, th);
  });
  m.def("sec_gain", [](Arr<T> in, Arr<T> out, double dt, double t0, double p, double a, double g, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    py::gil_scoped_release nogil;
    gpr::sec_gain<T>(x, y, {x.rows(), dt, t0}, p, a, g, th);
  });
  m.def("agc", [](Arr<T> in, Arr<T> out, double dt, double w, double g, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    py::gil_scoped_release nogil;
    gpr::agc<T>(x, y, {x.rows(), dt, 0}, w, g, th);
  });
  m.def("bandpass", [](Arr<T> in, Arr<T> out, double dt, double lo, double hi, double tp, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    py::gil_scoped_release nogil;
    gpr::bandpass<T>(x, y, {x.rows(), dt, 0}, lo, hi, tp, th);
  });
  m.def("envelope", [](Arr<T> in, Arr<T> out, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    py::gil_scoped_release nogil;
    gpr::envelope<T>(x, y, th);
  });
  m.def("remove_mean_trace", [](Arr<T> in, Arr<T> out, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    py::gil_scoped_release nogil;
    gpr::remove_mean_trace<T>(x, y, th);
  });
  m.def("moving_background", [](Arr<T> in, Arr<T> out, Index w, const std::string& s, int th, bool causal) {
    auto x = as_matrix(in), y = as_matrix(out);
    auto st = statistic(s);
    py::gil_scoped_release nogil;
    gpr::moving_background<T>(x, y, w, st, th, causal);
  });
  m.def("first_break", [](Arr<T> in, py::array_t<double> picks, double dt, double thr, double search, int th) {
    auto x = as_matrix(in);
    std::span<double> p(picks.mutable_data(), std::size_t(picks.size()));
    py::gil_scoped_release nogil;
    gpr::first_break<T>(x, {x.rows(), dt, 0}, thr, search, p, th);
  });
  m.def("shift_traces", [](Arr<T> in, Arr<T> out, py::array_t<double> shifts, double dt, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    std::span<const double> s(shifts.data(), std::size_t(shifts.size()));
    py::gil_scoped_release nogil;
    gpr::shift_traces<T>(x, y, {x.rows(), dt, 0}, s, th);
  });
  // Chain: steps travel as JSON; the result's storage is handed to numpy without a copy.
  m.def("chain_apply", [](const std::string& steps, Arr<T> in, double dt, double t0, int th) {
    auto x = as_matrix(in);
    const auto chain = gpr::Chain::from_json(steps);
    gpr::Processed<T> r;
    {
      py::gil_scoped_release nogil;
      r = chain.apply<T>(x, {x.rows(), dt, t0}, th);
    }
    const auto json = gpr::Chain(r.steps).to_json();
    return py::make_tuple(adopt(std::move(r.storage), r.format.n_samples, r.n_traces), json, r.format.time_zero_ns);
  });
  m.def("stack_traces", [](Arr<T> in, Index n, int th) {
    auto x = as_matrix(in);
    Matrix<T> y;
    {
      py::gil_scoped_release nogil;
      y = gpr::stack_traces<T>(x, n, th);
    }
    const Index r = y.rows(), c = y.cols();
    return adopt(std::move(y), r, c);
  });
  m.def("resample_samples", [](Arr<T> in, Index n, int th) {
    auto x = as_matrix(in);
    require(n >= 1 && double(n) * double(x.cols()) <= double(gpr::max_resampled_values), "n_samples = ", n,
            " must be >= 1 and n_samples x n_traces <= ", gpr::max_resampled_values);
    Matrix<T> y(n, x.cols());
    {
      py::gil_scoped_release nogil;
      gpr::resample_samples<T>(x, y, th);
    }
    const Index r = y.rows(), c = y.cols();
    return adopt(std::move(y), r, c);
  });
  m.def("resample_traces", [](Arr<T> in, const std::vector<double>& pos, double spacing, int th) {
    auto x = as_matrix(in);
    gpr::Resampled<T> r;
    {
      py::gil_scoped_release nogil;
      r = gpr::resample_traces<T>(x, pos, spacing, th);
    }
    const Index rows = r.data.rows(), cols = r.data.cols();
    return py::make_tuple(adopt(std::move(r.data), rows, cols), r.x0_m, r.spacing_m, r.count);
  });
  m.def("sosfilt", [](py::array_t<double, py::array::c_style> sos, Arr<T> in, Arr<T> out, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    auto b = sections(sos);
    py::gil_scoped_release nogil;
    gpr::sosfilt<T>(b, x, y, th);
  });
  py::class_<gpr::Stream<T>>(m, "Stream")
      .def(py::init([](const std::string& steps, Index n, double dt, double t0, Index max_block) {
        return gpr::Chain::from_json(steps).stream<T>({n, dt, t0}, max_block);
      }))
      .def("process", [](gpr::Stream<T>& s, Arr<T> in, Arr<T> out) {
        auto x = as_matrix(in), y = as_matrix(out);
        py::gil_scoped_release nogil;
        return s.process(x, y);
      })
      .def("flush", [](gpr::Stream<T>& s, Arr<T> out) {
        auto y = as_matrix(out);
        py::gil_scoped_release nogil;
        return s.flush(y);
      })
      .def("reset", &gpr::Stream<T>::reset)
      .def_property_readonly("latency", &gpr::Stream<T>::latency)
      .def_property_readonly("max_block", &gpr::Stream<T>::max_block)
      .def_property_readonly("output_samples", [](const gpr::Stream<T>& s) { return s.output_format().n_samples; })
      .def_property_readonly("output_time_zero_ns", [](const gpr::Stream<T>& s) { return s.output_format().time_zero_ns; })
      .def_property_readonly("steps", [](const gpr::Stream<T>& s) { return gpr::Chain(s.steps()).to_json(); });
}

}  // namespace

namespace sapper::python {
void bind_sim_gpr(py::module_& m);  // sim_gpr.cpp
void bind_sim_mag(py::module_& m);  // sim_mag.cpp
void bind_eval(py::module_& m);     // eval.cpp
void bind_io(py::module_& m);       // io.cpp
void bind_mag_lines(py::module_& m);      // mag_lines.cpp
void bind_mag_gridding(py::module_& m);   // mag_gridding.cpp
void bind_mag_transform(py::module_& m);  // mag_transform.cpp
void bind_mag_source(py::module_& m);     // mag_source.cpp
void bind_clutter(py::module_& m);        // clutter.cpp
void bind_clutter_ground(py::module_& m); // clutter_ground.cpp
void bind_detect_prescreen(py::module_& m);  // detect_prescreen.cpp
void bind_detect_features(py::module_& m);   // detect_features.cpp
void bind_detect_context(py::module_& m);    // detect_context.cpp
void bind_classify(py::module_& m);          // classify.cpp
void bind_pipeline(py::module_& m);          // pipeline.cpp
}  // namespace sapper::python

PYBIND11_MODULE(_core, m) {
  m.doc() = "sapper C++ core (use the sapper.gpr wrappers)";
  // the last registered translator is tried first: the derived class goes last
  py::register_exception<Error>(m, "SapperError", PyExc_RuntimeError);
  py::register_exception<ValueError>(m, "SapperValueError", PyExc_ValueError);
  py::register_exception<FormatError>(m, "SapperFormatError", PyExc_ValueError);
  auto f32 = m.def_submodule("f32"), f64 = m.def_submodule("f64");
  bind<float>(f32);
  bind<double>(f64);
  m.def("bandpass_fft_size", &gpr::bandpass_fft_size);
  m.def("set_fft_planning", [](bool estimate) {
    fft::set_planning(estimate ? fft::Planning::estimate : fft::Planning::measure);
  });
  m.def("fft_planning_is_estimate", [] { return fft::planning() == fft::Planning::estimate; });
  m.def("butterworth_sos", [](int order, double lo, double hi, double dt) {
    const auto b = gpr::butterworth_bandpass(order, lo, hi, dt);
    py::array_t<double> a({py::ssize_t(b.size()), py::ssize_t(6)});
    auto r = a.mutable_unchecked<2>();
    for (std::size_t k = 0; k < b.size(); ++k) {
      const double v[6] = {b[k].b0, b[k].b1, b[k].b2, 1.0, b[k].a1, b[k].a2};
      for (int c = 0; c < 6; ++c) r(py::ssize_t(k), c) = v[c];
    }
    return a;
  });
  m.def("chain_normalise", [](const std::string& steps) { return gpr::Chain::from_json(steps).to_json(); });
  m.def("chain_default", [](double f, double dt) { return gpr::Chain::default_gpr(f, dt).to_json(); });
  python::bind_sim_gpr(m);
  python::bind_sim_mag(m);
  python::bind_eval(m);
  python::bind_io(m);
  python::bind_mag_lines(m);
  python::bind_mag_gridding(m);
  python::bind_mag_transform(m);
  python::bind_mag_source(m);
  python::bind_clutter(m);
  python::bind_clutter_ground(m);
  python::bind_detect_prescreen(m);
  python::bind_detect_features(m);
  python::bind_detect_context(m);
  python::bind_classify(m);
  python::bind_pipeline(m);
}

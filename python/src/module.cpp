// Thin pybind11 layer: F-ordered float32/float64 arrays in (validated in sapper/gpr.py),
// caller-provided output, GIL released around the work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "sapper/sapper.hpp"

namespace py = pybind11;
using namespace sapper;

namespace {

template <class T>
using Arr = py::array_t<T, py::array::f_style>;

template <class T>
Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>> as_matrix(Arr<T>& a) {
  if (a.ndim() != 2) throw ValueError("expected a 2-D array (n_samples, n_traces)");
  return {a.mutable_data(), a.shape(0), a.shape(1), Eigen::OuterStride<>(std::max<py::ssize_t>(a.shape(0), 1))};
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
  m.def("moving_background", [](Arr<T> in, Arr<T> out, Index w, const std::string& s, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    auto st = statistic(s);
    py::gil_scoped_release nogil;
    gpr::moving_background<T>(x, y, w, st, th);
  });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "sapper C++ core (use the sapper.gpr wrappers)";
  // the last registered translator is tried first: the derived class goes last
  py::register_exception<Error>(m, "SapperError", PyExc_RuntimeError);
  py::register_exception<ValueError>(m, "SapperValueError", PyExc_ValueError);
  auto f32 = m.def_submodule("f32"), f64 = m.def_submodule("f64");
  bind<float>(f32);
  bind<double>(f64);
  m.def("bandpass_fft_size", &gpr::bandpass_fft_size);
}

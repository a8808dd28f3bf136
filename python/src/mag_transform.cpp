// Bindings of sapper::mag transform: see include/sapper/mag/transform.hpp. Wrapped by
// sapper/mag/transform.py, which checks types and builds sapper.mag.Grid objects; grids cross as
// C-ordered (ny, nx) float64 arrays plus (x0, y0, dx, dy), results are handed to numpy without a copy.
#include <optional>

#include "common.hpp"

namespace sapper::python {

namespace {

using Values = py::array_t<double, py::array::c_style | py::array::forcecast>;

mag::Grid to_grid(const Values& v, double x0, double y0, double dx, double dy) {
  if (v.ndim() != 2) throw ValueError("grid values must be a 2-D array (ny, nx)");
  mag::Grid g{{x0, y0, dx, dy, Index(v.shape(1)), Index(v.shape(0))}, mag::GridValues(v.shape(0), v.shape(1))};
  std::copy_n(v.data(), v.size(), g.values.data());
  return g;
}

py::array_t<double> to_numpy(mag::GridValues&& v) {
  auto* heap = new mag::GridValues(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<mag::GridValues*>(p); });
  const auto s = py::ssize_t(sizeof(double));
  return py::array_t<double>({py::ssize_t(heap->rows()), py::ssize_t(heap->cols())},
                             {s * py::ssize_t(heap->cols()), s}, heap->data(), owner);
}

mag::TransformOptions options(const std::string& padding, double fraction, int threads) {
  mag::TransformOptions o;
  if (padding == "taper")
    o.padding = mag::Padding::taper;
  else if (padding == "mirror")
    o.padding = mag::Padding::mirror;
  else if (padding == "none")
    o.padding = mag::Padding::none;
  else
    throw ValueError("padding = '" + padding + "' must be 'taper', 'mirror' or 'none'");
  o.pad_fraction = fraction, o.threads = threads;
  return o;
}

py::dict picks_to_dict(const std::vector<mag::Pick>& p) {
  const char* names[10] = {"x",          "y",          "amplitude",  "width",      "positive_x",
                           "positive_y", "positive_nt", "negative_x", "negative_y", "negative_nt"};
  const auto n = py::ssize_t(p.size());
  py::dict d;
  for (int c = 0; c < 10; ++c) {
    py::array_t<double> a(n);
    double* o = a.mutable_data();
    for (py::ssize_t q = 0; q < n; ++q) {
      const mag::Pick& k = p[std::size_t(q)];
      const double v[10] = {k.x,          k.y,          k.amplitude,  k.width_m,    k.positive_x,
                            k.positive_y, k.positive_nt, k.negative_x, k.negative_y, k.negative_nt};
      o[q] = v[c];
    }
    d[names[c]] = a;
  }
  return d;
}

}  // namespace

void bind_mag_transform(py::module_& parent) {
  using py::arg;
  auto m = parent.def_submodule("mag_transform", "FFT grid transforms and target picking (sapper::mag)");
  using F = mag::Filter;
  py::class_<F>(m, "Filter")
      .def(py::init<>())
      .def_static("derivative_easting", &F::derivative_easting)
      .def_static("derivative_northing", &F::derivative_northing)
      .def_static("derivative_upward", &F::derivative_upward, arg("order") = 1)
      .def_static("upward_continuation", &F::upward_continuation, arg("height"))
      .def_static("reduction_to_pole",
                  py::overload_cast<double, double, double, double, double>(&F::reduction_to_pole), arg("inclination"),
                  arg("declination"), arg("magnetization_inclination"), arg("magnetization_declination"),
                  arg("stabilisation") = 20.0)
      .def_static("gaussian_lowpass", &F::gaussian_lowpass, arg("wavelength"))
      .def_static("gaussian_highpass", &F::gaussian_highpass, arg("wavelength"))
      .def_static("butterworth_lowpass", &F::butterworth_lowpass, arg("wavelength"), arg("order") = 4)
      .def_static("butterworth_highpass", &F::butterworth_highpass, arg("wavelength"), arg("order") = 4)
      .def("__mul__", &F::operator*)
      .def("response", [](const F& f, double kx, double ky) { return f.response(kx, ky); }, arg("kx"), arg("ky"))
      .def("__repr__", [](const F& f) { return "<sapper.mag.Filter of " + std::to_string(f.terms().size()) + " factor(s)>"; });

  m.def("apply", [](const Values& v, double x0, double y0, double dx, double dy, const F& f, const std::string& pad,
                    double frac, int threads) {
    const mag::Grid g = to_grid(v, x0, y0, dx, dy);
    const auto o = options(pad, frac, threads);
    mag::Grid r;
    {
      py::gil_scoped_release nogil;
      r = mag::apply_filter(g, f, o);
    }
    return to_numpy(std::move(r.values));
  });
  for (const char* name : {"total_gradient_amplitude", "tilt"}) {
    const bool is_tga = std::string(name) == "total_gradient_amplitude";
    m.def(name, [is_tga](const Values& v, double x0, double y0, double dx, double dy, const std::string& pad, double frac,
                      int threads) {
      const mag::Grid g = to_grid(v, x0, y0, dx, dy);
      const auto o = options(pad, frac, threads);
      mag::Grid r;
      {
        py::gil_scoped_release nogil;
        r = is_tga ? mag::total_gradient_amplitude(g, o) : mag::tilt(g, o);
      }
      return to_numpy(std::move(r.values));
    });
  }
  m.def("pick_peaks", [](const Values& v, double x0, double y0, double dx, double dy, std::optional<Values> tf,
                         double k, double sep, double radius, double merge) {
    const mag::Grid g = to_grid(v, x0, y0, dx, dy);
    std::optional<mag::Grid> t;
    if (tf) t = to_grid(*tf, x0, y0, dx, dy);
    std::vector<mag::Pick> p;
    {
      py::gil_scoped_release nogil;
      p = mag::pick_peaks(g, {k, sep, radius, merge}, t ? &*t : nullptr);
    }
    return picks_to_dict(p);
  });
  m.def("pick_targets", [](const Values& v, double x0, double y0, double dx, double dy, double k, double sep,
                           double radius, double merge, double inc, double dec, double up, const std::string& pad,
                           double frac, int threads) {
    const mag::Grid g = to_grid(v, x0, y0, dx, dy);
    const auto o = options(pad, frac, threads);
    std::vector<mag::Pick> p;
    {
      py::gil_scoped_release nogil;
      p = mag::pick_targets(g, {k, sep, radius, merge, inc, dec, up}, o);
    }
    return picks_to_dict(p);
  });
}

}  // namespace sapper::python

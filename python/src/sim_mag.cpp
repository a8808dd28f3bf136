// Bindings for synthetic magnetometer surveys and the dipole forward model (wrapped by
// sapper/sim/mag.py, which checks shapes and types). Survey columns are zero-copy views that keep
// the C++ survey alive.
#include "common.hpp"

namespace sapper::python {

namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

template <class T>
py::array_t<T> view(const std::vector<T>& v, py::handle owner) {
  return py::array_t<T>({py::ssize_t(v.size())}, {py::ssize_t(sizeof(T))}, v.data(), owner);
}

std::span<const double> span_of(const Doubles& a) { return {a.data(), std::size_t(a.size())}; }

std::vector<mag::Dipole> dipoles_from(const Doubles& d) {
  if (d.ndim() != 2 || d.shape(1) != 6) throw ValueError("dipoles must have shape (n_dipoles, 6): x, y, z, mx, my, mz");
  std::vector<mag::Dipole> r(std::size_t(d.shape(0)));
  for (std::size_t k = 0; k < r.size(); ++k) {
    const double* p = d.data(py::ssize_t(k), 0);
    r[k] = {p[0], p[1], p[2], p[3], p[4], p[5]};
  }
  return r;
}

}  // namespace

void bind_sim_mag(py::module_& m) {
  using py::arg;
  py::class_<sim::MagSurvey>(m, "MagSurvey")
      .def("readings",
           [](py::object self) {
             const auto& s = self.cast<const sim::MagSurvey&>();
             py::dict d;
             d["time_s"] = view(s.time_s, self), d["line"] = view(s.line, self);
             d["direction"] = view(s.direction, self), d["sensor"] = view(s.sensor, self);
             d["x_m"] = view(s.x_m, self), d["y_m"] = view(s.y_m, self), d["z_m"] = view(s.z_m, self);
             d["total_field_nt"] = view(s.total_field_nt, self);
             d["x_true_m"] = view(s.x_true_m, self), d["y_true_m"] = view(s.y_true_m, self);
             d["anomaly_nt"] = view(s.anomaly_nt, self), d["diurnal_nt"] = view(s.diurnal_nt, self);
             d["heading_nt"] = view(s.heading_nt, self), d["soil_nt"] = view(s.soil_nt, self);
             d["gradient_nt"] = view(s.gradient_nt, self);
             return d;
           })
      .def("base_station",
           [](py::object self) {
             const auto& s = self.cast<const sim::MagSurvey&>();
             py::dict d;
             d["time_s"] = view(s.base_time_s, self), d["field_nt"] = view(s.base_field_nt, self);
             return d;
           })
      .def_property_readonly("truth_json", [](const sim::MagSurvey& s) { return sim::to_json(s.truth); })
      .def_readonly("scene_json", &sim::MagSurvey::scene_json)
      .def("write", [](const sim::MagSurvey& s, const std::string& dir) {
        py::gil_scoped_release nogil;
        sim::write_mag_survey(dir, s);
      });
  m.def(
      "sim_mag_simulate",
      [](const std::string& scene, std::uint64_t seed, int threads) {
        const auto sc = sim::mag_scene_from_json(scene);
        py::gil_scoped_release nogil;
        return sim::simulate_mag(sc, seed, threads);
      },
      arg("scene"), arg("seed"), arg("threads"));
  m.def("sim_mag_default_scene", [] { return sim::to_json(sim::default_mag_scene()); });
  m.def("sim_mag_normalise", [](const std::string& scene) { return sim::to_json(sim::mag_scene_from_json(scene)); });

  m.def("mag_dipole_field", [](const Doubles& d, const Doubles& x, const Doubles& y, const Doubles& z, int threads) {
    const auto dips = dipoles_from(d);
    py::array_t<double> bx(x.size()), by(x.size()), bz(x.size());
    std::span<double> sx(bx.mutable_data(), std::size_t(x.size())), sy(by.mutable_data(), std::size_t(x.size())),
        sz(bz.mutable_data(), std::size_t(x.size()));
    {
      py::gil_scoped_release nogil;
      mag::dipole_field(dips, {span_of(x), span_of(y), span_of(z)}, sx, sy, sz, threads);
    }
    return py::make_tuple(bx, by, bz);
  });
  m.def("mag_total_field_anomaly", [](const Doubles& d, const Doubles& x, const Doubles& y, const Doubles& z, double f,
                                      double inc, double dec, int threads) {
    const auto dips = dipoles_from(d);
    py::array_t<double> out(x.size());
    std::span<double> so(out.mutable_data(), std::size_t(x.size()));
    {
      py::gil_scoped_release nogil;
      mag::total_field_anomaly(dips, {span_of(x), span_of(y), span_of(z)}, {f, inc, dec}, so, threads);
    }
    return out;
  });
  m.def("mag_induced_moment", [](double v, double f, double inc, double dec, double k) {
    return mag::induced_moment(v, {f, inc, dec}, k);
  });
}

}  // namespace sapper::python

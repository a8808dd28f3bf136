// Bindings of sapper::mag source: see include/sapper/mag/source.hpp. Wrapped by
// sapper/mag/source.py, which checks types and shapes and builds the result objects; the functions
// live in the submodule _core.mag_source. The GIL is released around every fit.
#include "common.hpp"

namespace sapper::python {

namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::span<const double> span_of(const Doubles& a) { return {a.data(), std::size_t(a.size())}; }

mag::Loss loss_of(const std::string& s) {
  if (s == "l2") return mag::Loss::l2;
  if (s == "huber") return mag::Loss::huber;
  if (s == "cauchy") return mag::Loss::cauchy;
  throw ValueError("loss = '" + s + "' must be 'l2', 'huber' or 'cauchy'");
}

py::dict to_dict(const mag::DipoleFit& f) {
  py::dict d;
  d["x"] = f.x, d["y"] = f.y, d["z"] = f.z, d["depth"] = f.depth;
  d["moment"] = py::make_tuple(f.moment[0], f.moment[1], f.moment[2]);
  d["moment_am2"] = f.moment_am2, d["inclination_deg"] = f.inclination_deg;
  d["declination_deg"] = f.declination_deg, d["remanence_deg"] = f.remanence_deg;
  d["base_nt"] = f.base_nt, d["rms_nt"] = f.rms_nt, d["scale_nt"] = f.scale_nt, d["coherence"] = f.coherence;
  d["amplitude_nt"] = f.amplitude_nt, d["width_m"] = f.width_m, d["iterations"] = f.iterations;
  d["converged"] = f.converged, d["points_used"] = f.points_used;
  return d;
}

mag::DipoleFitOptions fit_options(const py::dict& o) {
  mag::DipoleFitOptions r;
  r.field = {o["total_nt"].cast<double>(), o["inclination_deg"].cast<double>(), o["declination_deg"].cast<double>()};
  r.ground_z = o["ground_z"].cast<double>();
  r.min_depth = o["min_depth"].cast<double>(), r.max_depth = o["max_depth"].cast<double>();
  r.loss = loss_of(o["loss"].cast<std::string>());
  r.fit_base = o["base"].cast<bool>(), r.exact = o["exact"].cast<bool>();
  r.max_iterations = o["max_iterations"].cast<int>(), r.max_irls = o["max_irls"].cast<int>();
  r.xtol = o["xtol"].cast<double>();
  r.start_depths = o["start_depths"].cast<std::vector<double>>();
  r.start_xy = {o["start_x"].cast<double>(), o["start_y"].cast<double>()};
  return r;
}

}  // namespace

void bind_mag_source(py::module_& parent) {
  using py::arg;
  py::module_ m = parent.def_submodule("mag_source", "sapper::mag source characterisation");
  m.def("fit_dipole", [](const Doubles& x, const Doubles& y, const Doubles& z, const Doubles& dt, const py::dict& o) {
    const auto opt = fit_options(o);
    mag::DipoleFit f;
    {
      py::gil_scoped_release nogil;
      f = mag::fit_dipole({span_of(x), span_of(y), span_of(z)}, span_of(dt), opt);
    }
    return to_dict(f);
  });
  m.def("fit_dipoles", [](const Doubles& x, const Doubles& y, const Doubles& z, const Doubles& dt, const py::dict& o,
                          int max_dipoles, double min_peak_nt) {
    mag::MultiDipoleOptions opt{fit_options(o), max_dipoles, min_peak_nt};
    mag::MultiDipoleFit f;
    {
      py::gil_scoped_release nogil;
      f = mag::fit_dipoles({span_of(x), span_of(y), span_of(z)}, span_of(dt), opt);
    }
    py::list dips;
    for (const auto& d : f.dipoles) dips.append(to_dict(d));
    py::array_t<double> res(py::ssize_t(f.residual_nt.size()));
    std::copy(f.residual_nt.begin(), f.residual_nt.end(), res.mutable_data());
    return py::make_tuple(dips, res, f.rms_nt);
  });
  m.def("select_window", [](const Doubles& x, const Doubles& y, double cx, double cy, double radius) {
    const auto idx = mag::select_window(span_of(x), span_of(y), cx, cy, radius);
    py::array_t<std::int64_t> out(py::ssize_t(idx.size()));
    std::copy(idx.begin(), idx.end(), out.mutable_data());
    return out;
  });
  m.def("euler", [](const Doubles& t, double x0, double y0, double dx, double dy, const Doubles& gx,
                    const Doubles& gy, const Doubles& gz, const py::dict& o) {
    for (const auto* a : {&t, &gx, &gy, &gz})
      if (a->ndim() != 2) throw ValueError("grids must be 2-D arrays (ny, nx)");
    const Index ny = t.shape(0), nx = t.shape(1);
    mag::Grid g{{x0, y0, dx, dy, nx, ny}, mag::GridValues(ny, nx)};
    std::copy_n(t.data(), t.size(), g.values.data());
    using Map = Eigen::Map<const mag::GridValues>;
    const Map mx(gx.data(), gx.shape(0), gx.shape(1)), my(gy.data(), gy.shape(0), gy.shape(1)),
        mz(gz.data(), gz.shape(0), gz.shape(1));
    mag::EulerOptions opt;
    opt.structural_index = o["structural_index"].cast<double>(), opt.window = o["window"].cast<Index>();
    opt.step = o["step"].cast<Index>(), opt.height = o["height"].cast<double>();
    opt.min_valid_fraction = o["min_valid_fraction"].cast<double>();
    opt.max_depth_uncertainty = o["max_depth_uncertainty"].cast<double>();
    opt.max_offset = o["max_offset"].cast<double>(), opt.threads = o["threads"].cast<int>();
    std::vector<mag::EulerSolution> s;
    {
      py::gil_scoped_release nogil;
      s = mag::euler_deconvolution(g, mx, my, mz, opt);
    }
    const auto n = py::ssize_t(s.size());
    py::dict out;
    auto column = [&](const char* name, auto get) {
      py::array_t<double> a(n);
      double* p = a.mutable_data();
      for (py::ssize_t k = 0; k < n; ++k) p[k] = get(s[std::size_t(k)]);
      out[name] = a;
    };
    column("x", [](const auto& r) { return r.x; });
    column("y", [](const auto& r) { return r.y; });
    column("z", [](const auto& r) { return r.z; });
    column("base", [](const auto& r) { return r.base; });
    column("sigma_x", [](const auto& r) { return r.sigma_x; });
    column("sigma_y", [](const auto& r) { return r.sigma_y; });
    column("sigma_z", [](const auto& r) { return r.sigma_z; });
    column("sigma_base", [](const auto& r) { return r.sigma_base; });
    column("window_x", [](const auto& r) { return r.window_x; });
    column("window_y", [](const auto& r) { return r.window_y; });
    py::array_t<std::int64_t> cells(n);
    py::array_t<bool> acc(n);
    for (py::ssize_t k = 0; k < n; ++k)
      cells.mutable_data()[k] = s[std::size_t(k)].cells, acc.mutable_data()[k] = s[std::size_t(k)].accepted;
    out["cells"] = cells, out["accepted"] = acc;
    return out;
  });
}

}  // namespace sapper::python

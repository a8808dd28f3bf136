// Bindings of sapper::clutter ground-bounce tracking and removal (include/sapper/clutter/ground.hpp).
#include "common.hpp"

namespace sapper::python {

namespace {

template <class T>
void bind(py::module_& m) {
  m.def("track_ground", [](Arr<T> in, double dt, double s0, double s1, Index ow, double omads, Index smooth, int iters,
                           double gate, int th) {
    auto x = as_matrix(in);
    clutter::GroundTrackOptions o{s0, s1, ow, omads, smooth, iters, gate};
    std::vector<double> p;
    {
      py::gil_scoped_release nogil;
      p = clutter::track_ground<T>(x, {x.rows(), dt, 0}, o, th);
    }
    return py::array_t<double>(py::ssize_t(p.size()), p.data());
  });
  m.def("flatten", [](Arr<T> in, Arr<T> out, double dt, py::array_t<double, py::array::c_style | py::array::forcecast> g,
                      double ref, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    std::span<const double> s(g.data(), std::size_t(g.size()));
    py::gil_scoped_release nogil;
    return clutter::flatten<T>(x, y, {x.rows(), dt, 0}, s, ref, th);
  });
  const auto fit_dict = [](const clutter::GroundFit& r) {
    const auto vec = [](const std::vector<double>& v) { return py::array_t<double>(py::ssize_t(v.size()), v.data()); };
    py::dict d;
    d["amplitude"] = vec(r.amplitude);
    d["shift_ns"] = vec(r.shift_ns);
    d["removed_fraction"] = vec(r.removed_fraction);
    d["ground_ns"] = vec(r.ground_ns);
    d["reference_ns"] = r.reference_ns;
    d["gate_before_ns"] = r.gate_before_ns;
    d["gate_after_ns"] = r.gate_after_ns;
    d["ringing_rank"] = r.ringing_rank;
    return d;
  };
  m.def("remove_ground", [fit_dict](Arr<T> in, Arr<T> out, double dt,
                                    py::array_t<double, py::array::c_style | py::array::forcecast> g, double before,
                                    double after, Index tt, bool fit_shift, bool ringing, Index rank, Index max_rank, int iters,
                                    int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    std::span<const double> s(g.data(), std::size_t(g.size()));
    clutter::GroundFit r;
    {
      py::gil_scoped_release nogil;
      const clutter::GroundRemovalOptions o{before, after, tt, fit_shift, ringing, rank, iters, max_rank};
      r = clutter::remove_ground<T>(x, y, {x.rows(), dt, 0}, s, o, th);
    }
    return fit_dict(r);
  });
  m.def("suppress_ground", [fit_dict](Arr<T> in, Arr<T> out, double dt, double s0, double s1, Index ow, double omads,
                                      Index smooth, int titers, double tgate, double before, double after, Index tt,
                                      bool fit_shift, Index rank, Index max_rank, int iters, int th) {
    auto x = as_matrix(in), y = as_matrix(out);
    clutter::GroundTrackOptions to{s0, s1, ow, omads, smooth, titers, tgate};
    clutter::GroundFit r;
    {
      py::gil_scoped_release nogil;
      const clutter::GroundRemovalOptions o{before, after, tt, fit_shift, true, rank, iters, max_rank};
      r = clutter::suppress_ground<T>(x, y, {x.rows(), dt, 0}, to, o, th);
    }
    return fit_dict(r);
  });
}

}  // namespace

void bind_clutter_ground(py::module_& m) {
  auto g = m.def_submodule("clutter_ground");
  auto f32 = g.def_submodule("f32"), f64 = g.def_submodule("f64");
  bind<float>(f32);
  bind<double>(f64);
}

}  // namespace sapper::python

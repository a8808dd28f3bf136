// Bindings for synthetic GPR scenes (wrapped by sapper/sim/gpr.py).
#include "common.hpp"

namespace sapper::python {

namespace {

template <class T>
py::dict simulate(const std::string& scene_json, std::uint64_t seed, bool twin, int threads) {
  const sim::GprScene scene = sim::gpr_scene_from_json(scene_json);
  sim::GprLane<T> lane;
  {
    py::gil_scoped_release nogil;
    lane = sim::simulate_gpr<T>(scene, seed, twin, threads);
  }
  py::dict r;
  const Index rows = lane.data.rows(), cols = lane.data.cols();
  r["data"] = adopt(std::move(lane.data), rows, cols);
  r["twin"] = twin ? py::object(adopt(std::move(lane.twin), rows, cols)) : py::none();
  r["dt_ns"] = lane.format.dt_ns;
  r["time_zero_ns"] = lane.format.time_zero_ns;
  r["x"] = py::array_t<double>(py::ssize_t(lane.x_m.size()), lane.x_m.data());
  r["y"] = py::array_t<double>(py::ssize_t(lane.y_m.size()), lane.y_m.data());
  r["surface"] = py::array_t<double>(py::ssize_t(lane.surface_m.size()), lane.surface_m.data());
  r["truth"] = sim::to_json(lane.truth);
  r["scene"] = lane.scene_json;
  return r;
}

}  // namespace

void bind_sim_gpr(py::module_& m) {
  m.def("sim_gpr_f32", &simulate<float>);
  m.def("sim_gpr_f64", &simulate<double>);
  m.def("sim_gpr_scene", [](const std::string& s) { return sim::to_json(sim::gpr_scene_from_json(s)); });
}

}  // namespace sapper::python

// Bindings of sapper::mag gridding: see include/sapper/mag/gridding.hpp. Wrapped by
// python/sapper/mag/gridding.py, which checks types, shapes and names; the C++ side re-checks
// values (ValueError naming them). Results are handed to numpy without a copy where they are
// Eigen/std::vector storage; the GIL is released around the work.
#include "common.hpp"

namespace sapper::python {

namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Spec = std::tuple<double, double, double, double, Index, Index>;  // x0, y0, dx, dy, nx, ny

mag::Scattered scattered(const Doubles& x, const Doubles& y, const Doubles& v) {
  return {{x.data(), std::size_t(x.size())}, {y.data(), std::size_t(y.size())}, {v.data(), std::size_t(v.size())}};
}

mag::GridSpec spec_of(const Spec& s) {
  const auto& [x0, y0, dx, dy, nx, ny] = s;
  mag::GridSpec g{x0, y0, dx, dy, nx, ny};
  g.validate();
  return g;
}

Spec tuple_of(const mag::GridSpec& s) { return {s.x0, s.y0, s.dx, s.dy, s.nx, s.ny}; }

mag::BlockStatistic statistic(const std::string& s) {
  if (s == "median") return mag::BlockStatistic::median;
  if (s == "mean") return mag::BlockStatistic::mean;
  throw ValueError("statistic = '" + s + "' must be 'median' or 'mean'");
}

template <class T>
py::array_t<T> vector_to_numpy(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({py::ssize_t(heap->size())}, {py::ssize_t(sizeof(T))}, heap->data(), owner);
}

py::array_t<double> grid_to_numpy(mag::GridValues&& g) {
  auto* heap = new mag::GridValues(std::move(g));
  py::capsule owner(heap, [](void* p) { delete static_cast<mag::GridValues*>(p); });
  const auto s = py::ssize_t(sizeof(double));
  return py::array_t<double>({heap->rows(), heap->cols()}, {s * heap->cols(), s}, heap->data(), owner);
}

}  // namespace

void bind_mag_gridding(py::module_& parent) {
  using py::arg;
  py::module_ m = parent.def_submodule("mag_gridding", "sapper::mag gridding (wrapped by sapper.mag.gridding)");
  m.def(
      "grid_spec",
      [](const Doubles& x, const Doubles& y, const Doubles& v, double dx, double dy) {
        return tuple_of(mag::grid_spec_for(scattered(x, y, v), dx, dy));
      },
      arg("x"), arg("y"), arg("v"), arg("dx"), arg("dy"));
  m.def(
      "block_reduce",
      [](const Doubles& x, const Doubles& y, const Doubles& v, const Spec& spec, const std::string& stat, bool centre,
         int threads) {
        const auto s = spec_of(spec);
        const auto st = statistic(stat);
        mag::BlockData b;
        {
          py::gil_scoped_release nogil;
          b = mag::block_reduce(s, scattered(x, y, v), st,
                                centre ? mag::BlockLocation::centre : mag::BlockLocation::data, threads);
        }
        py::dict d;
        d["x"] = vector_to_numpy(std::move(b.x)), d["y"] = vector_to_numpy(std::move(b.y));
        d["value"] = vector_to_numpy(std::move(b.value)), d["cell"] = vector_to_numpy(std::move(b.cell));
        d["count"] = vector_to_numpy(std::move(b.count)), d["n_outside"] = b.n_outside;
        return d;
      },
      arg("x"), arg("y"), arg("v"), arg("spec"), arg("statistic"), arg("centre"), arg("threads"));
  m.def(
      "minimum_curvature",
      [](const Doubles& x, const Doubles& y, const Doubles& v, const Spec& spec, double tension, double convergence,
         int max_cycles, const std::string& stat, int threads, int refine) {
        const auto s = spec_of(spec);
        mag::MinimumCurvatureOptions o;
        o.tension = tension, o.convergence = convergence, o.max_cycles = max_cycles, o.refine = refine;
        o.block = statistic(stat), o.threads = threads;
        mag::MinimumCurvatureReport r;
        mag::Grid g;
        {
          py::gil_scoped_release nogil;
          g = mag::minimum_curvature(s, scattered(x, y, v), o, &r);
        }
        py::dict d;
        d["levels"] = r.levels, d["cycles"] = r.cycles, d["converged"] = r.converged;
        d["error_estimate"] = r.error_estimate, d["convergence"] = r.convergence;
        d["n_blocks"] = r.n_blocks, d["n_outside"] = r.n_outside;
        return py::make_tuple(grid_to_numpy(std::move(g.values)), d);
      },
      arg("x"), arg("y"), arg("v"), arg("spec"), arg("tension"), arg("convergence"), arg("max_cycles"),
      arg("statistic"), arg("threads"), arg("refine") = 1);
  m.def(
      "block_grid",
      [](const Doubles& x, const Doubles& y, const Doubles& v, const Spec& spec, const std::string& stat, int threads) {
        const auto s = spec_of(spec);
        const auto st = statistic(stat);
        mag::BlockGrid g;
        {
          py::gil_scoped_release nogil;
          g = mag::block_grid(s, scattered(x, y, v), st, threads);
        }
        py::array_t<Index> count({g.count.rows(), g.count.cols()});
        std::copy(g.count.data(), g.count.data() + g.count.size(), count.mutable_data());
        return py::make_tuple(grid_to_numpy(std::move(g.value.values)), count);
      },
      arg("x"), arg("y"), arg("v"), arg("spec"), arg("statistic"), arg("threads"));
  m.def(
      "default_max_distance",
      [](const Doubles& x, const Doubles& y, const Doubles& v, const Spec& spec) {
        return mag::default_max_distance(spec_of(spec), scattered(x, y, v));
      },
      arg("x"), arg("y"), arg("v"), arg("spec"));
  m.def(
      "distance_mask",
      [](py::array_t<double, py::array::c_style> values, const Spec& spec, const Doubles& x, const Doubles& y,
         const Doubles& v, double max_distance, int threads) {
        // values: a fresh C-contiguous (ny, nx) array owned by the caller, masked in place.
        const auto s = spec_of(spec);
        if (values.ndim() != 2 || values.shape(0) != s.ny || values.shape(1) != s.nx)
          throw ValueError("values must have shape (ny, nx) of the spec");
        Eigen::Map<mag::GridValues> g(values.mutable_data(), s.ny, s.nx);
        Index n;
        {
          py::gil_scoped_release nogil;
          n = mag::distance_mask(s, g, scattered(x, y, v), max_distance, threads);
        }
        return n;
      },
      arg("values"), arg("spec"), arg("x"), arg("y"), arg("v"), arg("max_distance"), arg("threads"));
}

}  // namespace sapper::python

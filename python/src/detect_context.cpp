// Binding of sapper::detect::context_features and merge_alarms (include/sapper/detect/context.hpp),
// wrapped by sapper.pipeline.context_features (which passes the prescreener's alarm fields as
// arrays) and merge_alarms; they live in _core.detect_context (f32 / f64 submodules for the
// C-scan's dtype). The GIL is released around the feature work.
#include "common.hpp"
#include "sapper/detect/context.hpp"

namespace sapper::python {
namespace {
using namespace sapper::detect;
using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Ints = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

ContextOptions options(Index half, Index step, Index search, double local_m) {
  ContextOptions o;
  o.half = half, o.step = step, o.search = search, o.local_m = local_m;
  return o;
}

template <class T>
void bind_type(py::module_& m) {
  m.def("context_features", [](py::array_t<T, py::array::f_style> a, const Ints& trace, const Ints& channel,
                               const Ints& sample, const Doubles& time, const Doubles& x, const Doubles& y,
                               const Doubles& score, Index half, Index step, Index search, double local_m, int threads) {
    const std::vector<ConstView<T>> ch = channel_views<T>(a);
    const std::vector<GprAlarm> al = alarms_from(trace, channel, sample, time, x, y, score);
    const ContextOptions o = options(half, step, search, local_m);
    Matrix<double> r;
    {
      py::gil_scoped_release nogil;
      r = context_features<T>(ch, al, o, threads);
    }
    const Index rows = r.rows(), cols = r.cols();
    return adopt(std::move(r), rows, cols);
  });
}

}  // namespace

void bind_detect_context(py::module_& parent) {
  py::module_ m = parent.def_submodule("detect_context", "sapper::detect context features of GPR alarms");
  auto f32 = m.def_submodule("f32"), f64 = m.def_submodule("f64");
  bind_type<float>(f32);
  bind_type<double>(f64);
  m.def("merge_alarms", [](const Doubles& x, const Doubles& y, const Doubles& c, const Doubles& r) {
    auto sp = [](const Doubles& a) { return std::span<const double>(a.data(), std::size_t(a.size())); };
    const std::vector<Index> k = merge_alarms(sp(x), sp(y), sp(c), sp(r));
    py::array_t<std::int64_t> out(py::ssize_t(k.size()));
    std::copy(k.begin(), k.end(), out.mutable_data());
    return out;
  });
  m.def("names", [](Index half, Index step, Index search, double local_m) {
    return context_feature_names(options(half, step, search, local_m));
  });
}

}  // namespace sapper::python

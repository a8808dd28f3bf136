// Bindings of sapper::detect prescreeners: see include/sapper/detect/prescreen.hpp and
// python/sapper/detect/prescreen.py (which validates arrays and parameters first).
#include "common.hpp"
#include "sapper/detect/prescreen.hpp"

namespace sapper::python {
namespace {
using namespace sapper::detect;
using IndexMatrix = Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>;

PrescreenOptions options(const py::dict& d) { return prescreen_options(d); }

/// (trace, channel, sample, time_ns, score) arrays of the alarms.
py::tuple alarm_arrays(const std::vector<GprAlarm>& a) {
  const auto n = py::ssize_t(a.size());
  py::array_t<Index> tr(n), ch(n), sm(n);
  py::array_t<double> t(n), s(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const auto& v = a[std::size_t(i)];
    tr.mutable_at(i) = v.trace, ch.mutable_at(i) = v.channel, sm.mutable_at(i) = v.sample;
    t.mutable_at(i) = v.time_ns, s.mutable_at(i) = v.score;
  }
  return py::make_tuple(tr, ch, sm, t, s);
}

template <class T>
class Stream {
 public:
  Stream(Index n_samples, double dt, double tz, Index nc, const py::dict& d)
      : s_({n_samples, dt, tz}, nc, options(d)) {}
  py::tuple process(Arr<T> a) {
    auto v = channel_views<T>(a);
    return run([&](const TraceRows& r) { return s_.process(v, alarms_, r); }, a.shape(1));
  }
  py::tuple flush() {
    return run([&](const TraceRows& r) { return s_.flush(alarms_, r); }, 0);
  }
  PrescreenStream<T> s_;

 private:
  template <class F>
  py::tuple run(F&& f, Index n) {
    const Index nc = s_.n_channels(), cap = n + s_.delay();
    py::array_t<double> st({cap, nc}), sc({cap, nc});
    py::array_t<Index> sm({cap, nc});
    alarms_.clear();
    Index done;
    {
      py::gil_scoped_release nogil;
      done = f(TraceRows{st.mutable_data(), sc.mutable_data(), sm.mutable_data()});
    }
    auto cut = [&](const py::object& a) { return py::object(a[py::slice(0, done, 1)]); };
    return py::make_tuple(alarm_arrays(alarms_), cut(st), cut(sc), cut(sm));
  }
  std::vector<GprAlarm> alarms_;
};

template <class T>
void bind_type(py::module_& m) {
  m.def("prescreen", [](Arr<T> a, double dt, double tz, const py::dict& d) {
    auto v = channel_views<T>(a);
    const PrescreenOptions o = options(d);
    Prescreen p;
    {
      py::gil_scoped_release nogil;
      p = prescreen<T>(v, {Index(a.shape(0)), dt, tz}, o);
    }
    return py::make_tuple(alarm_arrays(p.alarms), trace_rows(p.statistic), trace_rows(p.score), trace_rows(p.sample));
  });
  py::class_<Stream<T>>(m, "PrescreenStream")
      .def(py::init<Index, double, double, Index, const py::dict&>())
      .def("process", &Stream<T>::process)
      .def("flush", &Stream<T>::flush)
      .def("reset", [](Stream<T>& s) { s.s_.reset(); })
      .def_property_readonly("delay", [](const Stream<T>& s) { return s.s_.delay(); })
      .def_property_readonly("gate", [](const Stream<T>& s) {
        return py::make_tuple(s.s_.gate_begin(), s.s_.gate_end());
      });
}
}  // namespace

void bind_detect_prescreen(py::module_& m) {
  auto d = m.def_submodule("detect_prescreen", "sapper::detect prescreeners (see sapper.detect.prescreen)");
  auto f32 = d.def_submodule("f32"), f64 = d.def_submodule("f64");
  bind_type<float>(f32);
  bind_type<double>(f64);
  d.def("cfar", [](py::array_t<double, py::array::f_style> s, py::object sample, double dt, double tz,
                   const py::dict& opt) {
    if (s.ndim() != 2) throw ValueError("expected a 2-D statistic (n_traces, n_channels)");
    const Eigen::MatrixXd x = Eigen::Map<const Eigen::MatrixXd>(s.data(), s.shape(0), s.shape(1));
    IndexMatrix smp;
    if (!sample.is_none()) {
      auto a = sample.cast<py::array_t<Index, py::array::f_style | py::array::forcecast>>();
      if (a.ndim() != 2 || a.shape(0) != s.shape(0) || a.shape(1) != s.shape(1))
        throw ValueError("sample must have the statistic's shape");
      smp = Eigen::Map<const IndexMatrix>(a.data(), a.shape(0), a.shape(1));
    }
    const CfarOptions o = prescreen_options(opt).cfar;
    Prescreen p;
    {
      py::gil_scoped_release nogil;
      p = cfar(x, o, sample.is_none() ? nullptr : &smp, dt, tz);
    }
    return py::make_tuple(alarm_arrays(p.alarms), trace_rows(p.statistic), trace_rows(p.score), trace_rows(p.sample));
  });
}
}  // namespace sapper::python

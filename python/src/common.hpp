// Shared by the binding files: numpy <-> Eigen views and zero-copy hand-over of results.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <vector>

#include "sapper/sapper.hpp"

namespace py = pybind11;

namespace sapper::python {

template <class T>
using Arr = py::array_t<T, py::array::f_style>;

template <class T>
Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>> as_matrix(Arr<T>& a) {
  if (a.ndim() != 2) throw ValueError("expected a 2-D array (n_samples, n_traces)");
  return {a.mutable_data(), a.shape(0), a.shape(1), Eigen::OuterStride<>(std::max<py::ssize_t>(a.shape(0), 1))};
}

/// One column-major view per channel of a Fortran-ordered (n_samples, n_traces, n_channels) array.
template <class T>
std::vector<ConstView<T>> channel_views(const py::array_t<T, py::array::f_style>& a) {
  if (a.ndim() != 3) throw ValueError("expected a 3-D array (n_samples, n_traces, n_channels)");
  const Index m = a.shape(0), n = a.shape(1);
  std::vector<ConstView<T>> v;
  for (Index c = 0; c < a.shape(2); ++c)
    v.emplace_back(Eigen::Map<const Matrix<T>, 0, Eigen::OuterStride<>>(a.data() + c * m * n, m, n,
                                                                         Eigen::OuterStride<>(std::max<Index>(m, 1))));
  return v;
}

/// Hands a Matrix's storage to numpy without a copy: the first rows x cols in column-major order.
template <class T>
py::array_t<T> adopt(Matrix<T>&& m, Index rows, Index cols) {
  auto* heap = new Matrix<T>(std::move(m));
  py::capsule owner(heap, [](void* p) { delete static_cast<Matrix<T>*>(p); });
  const auto s = py::ssize_t(sizeof(T));
  return py::array_t<T>({rows, cols}, {s, s * std::max<Index>(rows, 1)}, heap->data(), owner);
}

/// d[k] as a V, or fallback when d has no key k.
template <class V>
V get(const py::dict& d, const char* k, V fallback) {
  return d.contains(k) ? d[k].cast<V>() : fallback;
}

/// Prescreener options from the dict sapper.detect.prescreen (and sapper.pipeline) build: keys
/// statistic, gate_*_ns, lms_*, cfar ("ca" | "os" | "none"), window, guard, train, train_channels,
/// causal, os_rank, threshold, separation, separation_channels; a missing key keeps base's value.
inline detect::PrescreenOptions prescreen_options(const py::dict& d, detect::PrescreenOptions o = {}) {
  using namespace sapper::detect;
  if (d.contains("statistic")) o.statistic = d["statistic"].cast<std::string>() == "lms" ? Statistic::lms : Statistic::energy;
  o.gate_start_ns = get(d, "gate_start_ns", o.gate_start_ns), o.gate_end_ns = get(d, "gate_end_ns", o.gate_end_ns);
  o.lms_traces = get(d, "lms_traces", o.lms_traces), o.lms_gap = get(d, "lms_gap", o.lms_gap);
  o.lms_depth = get(d, "lms_depth", o.lms_depth), o.lms_channels = get(d, "lms_channels", o.lms_channels);
  o.lms_step = get(d, "lms_step", o.lms_step);
  auto& c = o.cfar;
  if (d.contains("cfar")) {
    const auto kind = d["cfar"].cast<std::string>();
    c.cfar = kind == "ca" ? Cfar::cell_average : kind == "os" ? Cfar::order_statistic : Cfar::none;
  }
  c.window = get(d, "window", c.window), c.guard = get(d, "guard", c.guard), c.train = get(d, "train", c.train);
  c.train_channels = get(d, "train_channels", c.train_channels), c.causal = get(d, "causal", c.causal);
  c.os_rank = get(d, "os_rank", c.os_rank), c.threshold = get(d, "threshold", c.threshold);
  c.separation = get(d, "separation", c.separation);
  c.separation_channels = get(d, "separation_channels", c.separation_channels);
  return o;
}

/// GprAlarms from the per-alarm columns of sapper.detect.prescreen's alarm table (each one entry per
/// alarm; ValueError otherwise): trace, channel, sample, time_ns, x, y (m), score (the CFAR's).
inline std::vector<detect::GprAlarm> alarms_from(
    const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& trace,
    const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& channel,
    const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& sample,
    const py::array_t<double, py::array::c_style | py::array::forcecast>& time,
    const py::array_t<double, py::array::c_style | py::array::forcecast>& x,
    const py::array_t<double, py::array::c_style | py::array::forcecast>& y,
    const py::array_t<double, py::array::c_style | py::array::forcecast>& score) {
  const auto n = std::size_t(trace.size());
  for (const py::ssize_t s : {channel.size(), sample.size(), time.size(), x.size(), y.size(), score.size()})
    if (std::size_t(s) != n) throw ValueError("the alarm fields must have one entry per alarm");
  std::vector<detect::GprAlarm> a(n);
  for (std::size_t k = 0; k < n; ++k) {
    a[k].trace = Index(trace.data()[k]), a[k].channel = Index(channel.data()[k]), a[k].sample = Index(sample.data()[k]);
    a[k].time_ns = time.data()[k], a[k].x_m = x.data()[k], a[k].y_m = y.data()[k], a[k].score = score.data()[k];
  }
  return a;
}

/// Row-major (n_traces, n_channels) numpy copy of a column-major n_traces x n_channels matrix (the
/// prescreener's per-trace rows).
template <class M>
py::array_t<typename M::Scalar> trace_rows(const M& m) {
  py::array_t<typename M::Scalar> r({m.rows(), m.cols()});
  auto v = r.template mutable_unchecked<2>();
  for (Index j = 0; j < m.rows(); ++j)
    for (Index c = 0; c < m.cols(); ++c) v(j, c) = m(j, c);
  return r;
}

}  // namespace sapper::python

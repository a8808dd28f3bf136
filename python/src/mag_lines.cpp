// Bindings of sapper::mag line preprocessing (include/sapper/mag/lines.hpp), wrapped by
// python/sapper/mag/lines.py, which checks keys and types. Readings cross as dicts of 1-D arrays
// (time_s, x_m, y_m, value_nt float64; line, sensor int32); results are new arrays.
#include "common.hpp"

namespace sapper::python {

namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
using Ints = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>;

template <class T>
std::vector<T> vec(const py::handle& h, const char* name) {
  const auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(h);
  if (!a) throw ValueError(std::string("readings['") + name + "'] is not a numeric array");
  if (a.ndim() != 1) throw ValueError(std::string("readings['") + name + "'] must be 1-D");
  return {a.data(), a.data() + a.size()};
}

mag::Readings from_dict(const py::dict& d) {
  for (const char* k : {"time_s", "x_m", "y_m", "line", "sensor", "value_nt"})
    if (!d.contains(k)) throw ValueError(std::string("readings have no '") + k + "'");
  mag::Readings r;
  r.time_s = vec<double>(d["time_s"], "time_s"), r.x_m = vec<double>(d["x_m"], "x_m");
  r.y_m = vec<double>(d["y_m"], "y_m"), r.value_nt = vec<double>(d["value_nt"], "value_nt");
  r.line = vec<std::int32_t>(d["line"], "line"), r.sensor = vec<std::int32_t>(d["sensor"], "sensor");
  r.validate();
  return r;
}

template <class T>
py::array_t<T> arr(const std::vector<T>& v) {
  py::array_t<T> a(py::ssize_t(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::array_t<bool> mask(const std::vector<std::uint8_t>& v) {
  py::array_t<bool> a(py::ssize_t(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i) a.mutable_data()[i] = v[i] != 0;
  return a;
}

py::dict to_dict(const mag::Readings& r) {
  py::dict d;
  d["time_s"] = arr(r.time_s), d["x_m"] = arr(r.x_m), d["y_m"] = arr(r.y_m);
  d["line"] = arr(r.line), d["sensor"] = arr(r.sensor), d["value_nt"] = arr(r.value_nt);
  return d;
}

std::span<const double> span_of(const Doubles& a) { return {a.data(), std::size_t(a.size())}; }

py::dict diurnal_dict(const mag::Diurnal& d) {
  py::dict info;
  info["correction_nt"] = arr(d.correction_nt), info["gap"] = mask(d.gap), info["gaps"] = d.gaps;
  info["reference_nt"] = d.reference_nt;
  return info;
}

py::dict level_dict(const mag::Levelled& l) {
  py::dict info;
  info["line"] = arr(l.line), info["offset_nt"] = arr(l.offset_nt), info["crossovers"] = l.crossovers;
  return info;
}

py::dict surface_dict(const mag::PolySurface& p) {
  py::dict s;
  s["order"] = p.order, s["cx"] = p.cx, s["cy"] = p.cy, s["scale"] = p.scale, s["coef"] = arr(p.coef);
  const auto g = p.gradient(p.cx, p.cy);
  s["gradient_nt_m"] = py::make_tuple(g[0], g[1]), s["value_at_centre_nt"] = p(p.cx, p.cy);
  return s;
}

mag::HeadingEstimate heading_from(const py::dict& h) {
  mag::HeadingEstimate e;
  e.sensor = vec<std::int32_t>(h["sensor"], "sensor"), e.offset_nt = vec<double>(h["offset_nt"], "offset_nt");
  return e;
}

}  // namespace

void bind_mag_lines(py::module_& root) {
  using py::arg;
  auto m = root.def_submodule("mag_lines", "sapper::mag line preprocessing");
  m.def("survey_readings", [](const sim::MagSurvey& s) { return to_dict(mag::readings_from_survey(s)); });
  m.def("line_geometry", [](const py::dict& d) {
    const auto r = from_dict(d);
    mag::LineGeometry g;
    {
      py::gil_scoped_release nogil;
      g = mag::line_geometry(r);
    }
    py::dict o;
    o["line"] = arr(g.line), o["direction"] = arr(g.direction), o["heading_deg"] = arr(g.heading_deg);
    o["cross_m"] = arr(g.cross_m), o["axis_deg"] = g.axis_deg, o["reading_direction"] = arr(g.reading_direction);
    return o;
  });
  m.def("track_velocity", [](const py::dict& d, Index hw) {
    const auto r = from_dict(d);
    mag::Velocity v;
    {
      py::gil_scoped_release nogil;
      v = mag::track_velocity(r, hw);
    }
    return py::make_tuple(arr(v.vx), arr(v.vy));
  });
  m.def("interpolate_series", [](const Doubles& st, const Doubles& sv, const Doubles& t, double off, double gap, int th) {
    mag::Synced s;
    {
      py::gil_scoped_release nogil;
      s = mag::interpolate_series(span_of(st), span_of(sv), span_of(t), off, gap, th);
    }
    return py::make_tuple(arr(s.value), mask(s.gap), s.max_gap_s);
  });
  m.def("diurnal_base", [](const py::dict& d, const Doubles& bt, const Doubles& bv, double off, double gap, double ref,
                           int th) {
    const auto r = from_dict(d);
    mag::Diurnal out;
    {
      py::gil_scoped_release nogil;
      out = mag::diurnal_base(r, span_of(bt), span_of(bv), off, gap, ref, th);
    }
    return py::make_tuple(to_dict(out.readings), diurnal_dict(out));
  });
  m.def("diurnal_line_median", [](const py::dict& d) {
    const auto r = from_dict(d);
    mag::Diurnal out;
    {
      py::gil_scoped_release nogil;
      out = mag::diurnal_line_median(r);
    }
    return py::make_tuple(to_dict(out.readings), diurnal_dict(out));
  });
  m.def("diurnal_trend", [](const py::dict& d, int order) {
    const auto r = from_dict(d);
    mag::Diurnal out;
    {
      py::gil_scoped_release nogil;
      out = mag::diurnal_trend(r, order);
    }
    return py::make_tuple(to_dict(out.readings), diurnal_dict(out));
  });
  m.def("despike_hampel", [](const py::dict& d, Index hw, double k, double floor, bool replace, int th) {
    const auto r = from_dict(d);
    mag::Despiked out;
    {
      py::gil_scoped_release nogil;
      out = mag::despike_hampel(r, {hw, k, floor, replace}, th);
    }
    return py::make_tuple(to_dict(out.readings), mask(out.spike));
  });
  m.def("estimate_lag", [](const py::dict& d, double max_lag, double step, double sep, Index hw, double nsep,
                           const std::string& method, double min_anomaly, double radius, Index max_anomalies,
                           double height, std::array<double, 3> field, int th) {
    const auto r = from_dict(d);
    require(method == "profiles" || method == "dipoles", "lag method = '", method, "' must be 'profiles' or 'dipoles'");
    mag::LagOptions opt{max_lag, step, sep, hw, nsep};
    opt.method = method == "dipoles" ? mag::LagMethod::dipoles : mag::LagMethod::profiles;
    opt.min_anomaly_nt = min_anomaly, opt.radius_m = radius, opt.max_anomalies = max_anomalies;
    opt.sensor_height_m = height, opt.field = {field[0], field[1], field[2]};
    mag::LagEstimate e;
    {
      py::gil_scoped_release nogil;
      e = mag::estimate_lag(r, opt, th);
    }
    py::dict o;
    o["lag_s"] = e.lag_s, o["pairs"] = e.pairs, o["points"] = e.points, o["neighbours"] = e.neighbours;
    o["lags_s"] = arr(e.lags_s);
    o["misfit"] = arr(e.misfit);
    o["method"] = method;
    if (opt.method == mag::LagMethod::dipoles) {
      o["anomalies"] = e.anomalies, o["radius_m"] = e.radius_m;
      o["anomaly_x_m"] = arr(e.anomaly_x_m), o["anomaly_y_m"] = arr(e.anomaly_y_m);
    }
    return o;
  });
  m.def("correct_lag", [](const py::dict& d, double lag, Index hw) {
    const auto r = from_dict(d);
    mag::Readings out;
    {
      py::gil_scoped_release nogil;
      out = mag::correct_lag(r, lag, hw);
    }
    return to_dict(out);
  });
  m.def("estimate_heading", [](const py::dict& d, double radius, bool coincident, Index min_pairs) {
    const auto r = from_dict(d);
    mag::HeadingEstimate h;
    {
      py::gil_scoped_release nogil;
      h = mag::estimate_heading(r, {radius, coincident, min_pairs});
    }
    py::dict o;
    o["sensor"] = arr(h.sensor), o["offset_nt"] = arr(h.offset_nt), o["pairs"] = h.pairs, o["method"] = h.method;
    return o;
  });
  m.def("correct_heading", [](const py::dict& d, const py::dict& h) {
    return to_dict(mag::correct_heading(from_dict(d), heading_from(h)));
  });
  m.def("apply_sensor_offsets", [](const py::dict& d, const Doubles& across, const Doubles& along, Index hw) {
    const auto r = from_dict(d);
    return to_dict(mag::apply_sensor_offsets(r, span_of(across), span_of(along), hw));
  });
  m.def("level_median", [](const py::dict& d) {
    const auto l = mag::level_median(from_dict(d));
    return py::make_tuple(to_dict(l.readings), level_dict(l));
  });
  m.def("level_tie_lines", [](const py::dict& d, const Ints& ties, double radius) {
    const auto r = from_dict(d);
    mag::Levelled l;
    {
      py::gil_scoped_release nogil;
      l = mag::level_tie_lines(r, {ties.data(), std::size_t(ties.size())}, radius);
    }
    return py::make_tuple(to_dict(l.readings), level_dict(l));
  });
  m.def("fit_poly_surface", [](const Doubles& x, const Doubles& y, const Doubles& v, int order) {
    return surface_dict(mag::fit_poly_surface(span_of(x), span_of(y), span_of(v), order));
  });
  m.def("remove_regional", [](const py::dict& d, int order) {
    const auto r = from_dict(d);
    mag::Regional g;
    {
      py::gil_scoped_release nogil;
      g = mag::remove_regional(r, order);
    }
    return py::make_tuple(to_dict(g.readings), surface_dict(g.surface));
  });
  m.def("remove_main_field", [](const py::dict& d, double f) { return to_dict(mag::remove_main_field(from_dict(d), f)); });
}

}  // namespace sapper::python

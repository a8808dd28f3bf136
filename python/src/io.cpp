// Bindings for instrument file formats (wrapped by sapper/io.py).
#include "common.hpp"

namespace sapper::python {

namespace {

template <class T>
py::dict to_dict(io::GprFile<T>&& f) {
  py::dict d;
  d["path"] = f.path;
  d["format"] = f.format;
  py::list channels;
  for (auto& c : f.channels) {
    py::dict ch;
    const Index rows = c.data.rows(), cols = c.data.cols();
    ch["data"] = adopt(std::move(c.data), rows, cols);
    ch["dt_ns"] = c.format.dt_ns;
    ch["time_zero_ns"] = c.format.time_zero_ns;
    ch["position_m"] = c.axes.position_m.empty()
                           ? py::object(py::none())
                           : py::object(py::array_t<double>(py::ssize_t(c.axes.position_m.size()), c.axes.position_m.data()));
    if (c.axes.xyz.rows() > 0) {
      py::array_t<double> xyz({py::ssize_t(c.axes.xyz.rows()), py::ssize_t(3)});
      auto r = xyz.mutable_unchecked<2>();
      for (Index i = 0; i < c.axes.xyz.rows(); ++i)
        for (int k = 0; k < 3; ++k) r(i, k) = c.axes.xyz(i, k);
      ch["xyz"] = xyz;
    } else {
      ch["xyz"] = py::none();
    }
    ch["antenna_mhz"] = c.axes.antenna_mhz;
    channels.append(ch);
  }
  d["channels"] = channels;
  d["marks"] = f.marks;
  d["header"] = f.header;
  return d;
}

template <class T>
py::dict read(const std::string& path) {
  io::GprFile<T> f;
  {
    py::gil_scoped_release nogil;
    f = io::read_gpr<T>(path);
  }
  return to_dict(std::move(f));
}

using Vec = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// Applies f to every element of equally long 1-D arrays (scalars broadcast), returning k arrays.
template <std::size_t K, class F>
std::array<py::array_t<double>, K> map_points(std::initializer_list<Vec> in, F f) {
  py::ssize_t n = 1;
  for (const auto& a : in) n = std::max<py::ssize_t>(n, a.size());
  for (const auto& a : in)
    if (a.size() != 1 && a.size() != n) throw ValueError("coordinate arrays must have equal lengths");
  std::array<py::array_t<double>, K> out;
  for (auto& o : out) o = py::array_t<double>(n);
  std::vector<const double*> src;
  std::vector<bool> scalar;
  for (const auto& a : in) src.push_back(a.data()), scalar.push_back(a.size() == 1);
  std::array<double*, K> dst;
  for (std::size_t k = 0; k < K; ++k) dst[k] = out[k].mutable_data();
  std::vector<double> args(src.size());
  for (py::ssize_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < src.size(); ++j) args[j] = src[j][scalar[j] ? 0 : i];
    const auto r = f(args);
    for (std::size_t k = 0; k < K; ++k) dst[k][i] = r[k];
  }
  return out;
}

}  // namespace

void bind_io(py::module_& m) {
  auto io = m.def_submodule("io");
  io.def("parse_nmea", [](const std::string& s) -> py::object {
    const auto f = io::parse_nmea(s);
    if (!f) return py::none();
    py::dict d;
    d["type"] = f->type == 'G' ? "GGA" : "RMC";
    d["time_s"] = f->time_s, d["lat_deg"] = f->lat_deg, d["lon_deg"] = f->lon_deg;
    d["altitude_m"] = f->altitude_m, d["geoid_m"] = f->geoid_m, d["quality"] = f->quality;
    d["satellites"] = f->satellites, d["hdop"] = f->hdop, d["valid"] = f->valid;
    d["speed_m_s"] = f->speed_m_s, d["course_deg"] = f->course_deg, d["date_ddmmyy"] = f->date_ddmmyy;
    return d;
  });
  io.def("to_utm", [](Vec lat, Vec lon, int zone) {
    if (zone == 0 && lon.size() > 0) zone = io::to_utm(lat.data()[0], lon.data()[0]).zone;  // one zone for all
    auto r = map_points<3>({lat, lon}, [&](const std::vector<double>& a) {
      const auto u = io::to_utm(a[0], a[1], zone);
      return std::array<double, 3>{u.easting_m, u.northing_m, u.north ? 1.0 : 0.0};
    });
    return py::make_tuple(r[0], r[1], zone, r[2]);
  });
  io.def("from_utm", [](Vec e, Vec n, int zone, bool north) {
    auto r = map_points<2>({e, n}, [&](const std::vector<double>& a) {
      const auto p = io::from_utm({a[0], a[1], zone, north});
      return std::array<double, 2>{p.lat_deg, p.lon_deg};
    });
    return py::make_tuple(r[0], r[1]);
  });
  io.def("to_local", [](Vec lat, Vec lon, Vec h, double lat0, double lon0, double h0) {
    auto r = map_points<3>({lat, lon, h}, [&](const std::vector<double>& a) {
      const auto p = io::to_local(a[0], a[1], a[2], lat0, lon0, h0);
      return std::array<double, 3>{p.east_m, p.north_m, p.up_m};
    });
    return py::make_tuple(r[0], r[1], r[2]);
  });
  io.def("read_gpr_f32", &read<float>);
  io.def("read_gpr_f64", &read<double>);
  io.def("write_dzt", [](const std::string& path, Arr<double> data, double dt_ns, double time_zero_ns,
                         double antenna_mhz, std::vector<double> position_m, int bits) {
    io::GprFile<double> f;
    f.format = "dzt";
    BScan<double> c;
    c.data = as_matrix(data);
    c.format = {c.data.rows(), dt_ns, time_zero_ns};
    c.axes.position_m = std::move(position_m);
    c.axes.antenna_mhz = antenna_mhz;
    f.channels.push_back(std::move(c));
    py::gil_scoped_release nogil;
    io::write_dzt(path, f, bits);
  });
  io.def("write_segy", [](const std::string& path, Arr<double> data, double dt_ns, py::object xyz, int format_code,
                          bool big_endian, double time_zero_ns, double antenna_mhz) {
    io::GprFile<double> f;
    f.format = "segy";
    BScan<double> c;
    c.data = as_matrix(data);
    c.format = {c.data.rows(), dt_ns, time_zero_ns};
    c.axes.antenna_mhz = antenna_mhz;
    if (!xyz.is_none()) {
      auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(xyz);
      if (!a || a.ndim() != 2 || a.shape(1) != 3 || a.shape(0) != py::ssize_t(c.data.cols()))
        throw ValueError("xyz must be an (n_traces, 3) array");
      auto r = a.unchecked<2>();
      c.axes.xyz.resize(Index(a.shape(0)), 3);
      for (py::ssize_t i = 0; i < a.shape(0); ++i)
        for (int k = 0; k < 3; ++k) c.axes.xyz(Index(i), k) = r(i, k);
    }
    f.channels.push_back(std::move(c));
    py::gil_scoped_release nogil;
    io::write_segy(path, f, io::SegyWrite{format_code, big_endian, false});
  });

  // Magnetometer line data and base stations.
  const auto vec = [](std::vector<double>&& v) { return py::array_t<double>(py::ssize_t(v.size()), v.data()); };
  const auto mag_dict = [vec](io::MagLineData&& m) {
    const py::ssize_t n = py::ssize_t(m.size());
    py::array_t<double> sensors({py::ssize_t(m.sensors_nt.size()), n});
    auto r = sensors.mutable_unchecked<2>();
    for (std::size_t k = 0; k < m.sensors_nt.size(); ++k)
      for (py::ssize_t i = 0; i < n; ++i) r(py::ssize_t(k), i) = m.sensors_nt[k][std::size_t(i)];
    py::dict d;
    d["time_s"] = vec(std::move(m.time_s));
    d["x_m"] = vec(std::move(m.x_m));
    d["y_m"] = vec(std::move(m.y_m));
    d["lat_deg"] = vec(std::move(m.lat_deg));
    d["lon_deg"] = vec(std::move(m.lon_deg));
    d["altitude_m"] = vec(std::move(m.altitude_m));
    d["sensors"] = sensors;
    d["valid"] = py::array_t<std::uint8_t>(n, m.valid.data());
    d["sensor_names"] = m.sensor_names;
    py::dict extra;
    for (auto& [k, v] : m.extra) extra[py::str(k)] = vec(std::move(v));
    d["extra"] = extra;
    d["header"] = m.header;
    d["format"] = m.format;
    const auto geometry = [&](std::vector<double>& v) { return v.empty() ? py::object(py::none()) : py::object(vec(std::move(v))); };
    d["sensor_across_m"] = geometry(m.sensor_across_m);
    d["sensor_along_m"] = geometry(m.sensor_along_m);
    d["sensor_height_m"] = geometry(m.sensor_height_m);
    return d;
  };
  io.def("read_mag", [mag_dict](const std::string& path, py::dict columns) {
    io::MagColumns c;
    const auto str = [&](const char* k, std::string& dst) {
      if (columns.contains(k) && !columns[k].is_none()) dst = py::cast<std::string>(columns[k]);
    };
    str("time", c.time), str("date", c.date), str("x", c.x), str("y", c.y), str("lat", c.lat), str("lon", c.lon);
    str("altitude", c.altitude), str("valid", c.valid);
    if (columns.contains("sensors")) c.sensors = py::cast<std::vector<std::string>>(columns["sensors"]);
    if (columns.contains("vector_sensors"))
      c.vector_sensors = py::cast<std::vector<std::vector<std::string>>>(columns["vector_sensors"]);
    if (columns.contains("extra")) c.extra = py::cast<std::vector<std::string>>(columns["extra"]);
    if (columns.contains("delimiter") && !columns["delimiter"].is_none()) {
      const auto d = py::cast<std::string>(columns["delimiter"]);
      if (d.size() != 1) throw ValueError("delimiter must be one character");
      c.delimiter = d[0];
    }
    io::MagLineData m;
    {
      py::gil_scoped_release nogil;
      m = io::read_mag_csv(path, c);
    }
    return mag_dict(std::move(m));
  });
  const auto base = [vec](io::BaseStation&& b) {
    py::dict d;
    d["time_s"] = vec(std::move(b.time_s));
    d["field_nt"] = vec(std::move(b.field_nt));
    d["header"] = b.header;
    return d;
  };
  io.def("read_iaga2002", [base](const std::string& path) {
    io::BaseStation b;
    {
      py::gil_scoped_release nogil;
      b = io::read_iaga2002(path);
    }
    return base(std::move(b));
  });
  io.def("read_base_csv", [base](const std::string& path, const std::string& time_column, const std::string& field_column) {
    io::BaseStation b;
    {
      py::gil_scoped_release nogil;
      b = io::read_base_csv(path, time_column, field_column);
    }
    return base(std::move(b));
  });
  io.def("read_g858", [mag_dict](const std::string& path) {
    io::MagLineData m;
    {
      py::gil_scoped_release nogil;
      m = io::read_g858(path);
    }
    return mag_dict(std::move(m));
  });
}

}  // namespace sapper::python

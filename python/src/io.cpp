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

}  // namespace

void bind_io(py::module_& m) {
  auto io = m.def_submodule("io");
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
}

}  // namespace sapper::python

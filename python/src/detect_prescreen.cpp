// Bindings of sapper::detect (filled in by its module's work).
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace sapper::python {
void bind_detect_prescreen(py::module_& /*m*/) {}
}  // namespace sapper::python

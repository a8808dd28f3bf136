// Bindings of sapper::classify (filled in by its module's work).
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace sapper::python {
void bind_classify(py::module_& /*m*/) {}
}  // namespace sapper::python

// Bindings of sapper::mag lines: see include/sapper/mag/lines.hpp.
#include "common.hpp"

namespace sapper::python {
void bind_mag_lines(py::module_& m) { (void)m; }
}  // namespace sapper::python

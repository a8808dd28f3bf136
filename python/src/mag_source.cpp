// Bindings of sapper::mag source: see include/sapper/mag/source.hpp.
#include "common.hpp"

namespace sapper::python {
void bind_mag_source(py::module_& m) { (void)m; }
}  // namespace sapper::python

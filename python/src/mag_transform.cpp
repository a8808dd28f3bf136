// Bindings of sapper::mag transform: see include/sapper/mag/transform.hpp.
#include "common.hpp"

namespace sapper::python {
void bind_mag_transform(py::module_& m) { (void)m; }
}  // namespace sapper::python

// Bindings of sapper::mag gridding: see include/sapper/mag/gridding.hpp.
#include "common.hpp"

namespace sapper::python {
void bind_mag_gridding(py::module_& m) { (void)m; }
}  // namespace sapper::python

// Bindings of sapper::clutter: see include/sapper/clutter/.
#include "common.hpp"

namespace sapper::python {
void bind_clutter(py::module_& m) { (void)m; }
}  // namespace sapper::python

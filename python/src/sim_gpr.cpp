// Bindings for synthetic GPR scenes (wrapped by the Python package).
#include "common.hpp"

namespace sapper::python {

void bind_sim_gpr(py::module_& m) { (void)m; }

}  // namespace sapper::python

// Bindings for synthetic magnetometer surveys (wrapped by the Python package).
#include "common.hpp"

namespace sapper::python {

void bind_sim_mag(py::module_& m) { (void)m; }

}  // namespace sapper::python

// Bindings for scoring (wrapped by the Python package).
#include "common.hpp"

namespace sapper::python {

void bind_eval(py::module_& m) { (void)m; }

}  // namespace sapper::python

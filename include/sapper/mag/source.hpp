// sapper::mag source characterisation (dipole fits, multi-dipole, Euler deconvolution, target features).
#pragma once

#include "sapper/mag/grid.hpp"

namespace sapper::mag {}  // namespace sapper::mag

// sapper::mag FFT grid transforms (derivatives, continuation, reduction to the pole, analytic signal, tilt, filters) and target picking.
#pragma once

#include "sapper/mag/grid.hpp"

namespace sapper::mag {}  // namespace sapper::mag

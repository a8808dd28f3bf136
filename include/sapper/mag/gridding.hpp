// sapper::mag scattered readings to a regular grid (block reduction, minimum curvature, distance mask).
#pragma once

#include "sapper/mag/grid.hpp"

namespace sapper::mag {}  // namespace sapper::mag

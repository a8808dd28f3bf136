// sapper::mag line preprocessing of survey readings (diurnal, despiking, lag, heading, sensor geometry, levelling, regional field).
#pragma once

#include "sapper/mag/grid.hpp"

namespace sapper::mag {}  // namespace sapper::mag

// sapper::clutter subspace methods: eigen-image removal by truncated SVD, robust PCA.
#pragma once

#include "sapper/core/types.hpp"

namespace sapper::clutter {}  // namespace sapper::clutter

// sapper::clutter umbrella header: GPR clutter suppression (subspace methods, ground bounce).
#pragma once
#include "sapper/clutter/ground.hpp"
#include "sapper/clutter/subspace.hpp"

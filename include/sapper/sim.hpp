// sapper::sim umbrella header: synthetic GPR and magnetometer scenes with ground truth.
#pragma once
#include "sapper/sim/gpr.hpp"
#include "sapper/sim/mag.hpp"
#include "sapper/sim/random.hpp"
#include "sapper/sim/truth.hpp"

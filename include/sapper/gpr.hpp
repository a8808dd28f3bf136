// sapper::gpr umbrella header.
#pragma once
#include "sapper/gpr/chain.hpp"
#include "sapper/gpr/iir.hpp"
#include "sapper/gpr/ops.hpp"
#include "sapper/gpr/resample.hpp"
#include "sapper/gpr/steps.hpp"

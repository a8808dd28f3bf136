// sapper::detect umbrella header: GPR prescreeners, hyperbola analysis, alarm features and
// context features.
#pragma once
#include "sapper/detect/alarm.hpp"
#include "sapper/detect/context.hpp"
#include "sapper/detect/features.hpp"
#include "sapper/detect/hyperbola.hpp"
#include "sapper/detect/prescreen.hpp"

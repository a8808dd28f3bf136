#pragma once
#include "sapper/clutter.hpp"
#include "sapper/core.hpp"
#include "sapper/eval.hpp"
#include "sapper/gpr.hpp"
#include "sapper/io.hpp"
#include "sapper/mag.hpp"
#include "sapper/sim.hpp"

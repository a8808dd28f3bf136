// sapper::pipeline umbrella header: the detection chain (GPR lane to classified alarms).
#pragma once
#include "sapper/pipeline/gpr.hpp"

// sapper::eval umbrella header: scoring alarms against ground truth.
#pragma once
#include "sapper/eval/score.hpp"
#include "sapper/eval/scr.hpp"

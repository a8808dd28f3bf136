#pragma once
#include "sapper/core.hpp"
#include "sapper/gpr.hpp"

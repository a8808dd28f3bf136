// sapper::core umbrella header.
#pragma once
#include "sapper/core/error.hpp"
#include "sapper/core/fft.hpp"
#include "sapper/core/median.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/core/types.hpp"

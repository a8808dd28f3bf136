// sapper::gpr umbrella header.
#pragma once
#include "sapper/gpr/ops.hpp"

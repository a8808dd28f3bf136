// sapper::mag umbrella header: magnetometer models and processing.
#pragma once
#include "sapper/mag/dipole.hpp"

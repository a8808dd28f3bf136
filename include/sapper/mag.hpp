// sapper::mag umbrella header: magnetometer models and processing.
#pragma once
#include "sapper/mag/dipole.hpp"
#include "sapper/mag/grid.hpp"
#include "sapper/mag/gridding.hpp"
#include "sapper/mag/lines.hpp"
#include "sapper/mag/source.hpp"
#include "sapper/mag/transform.hpp"

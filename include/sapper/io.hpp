// sapper::io umbrella header: instrument file formats.
#pragma once
#include "sapper/io/gpr_file.hpp"
#include "sapper/io/position.hpp"
#include "sapper/io/mag_file.hpp"
#include "sapper/io/segy.hpp"

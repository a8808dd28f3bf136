// sapper::io umbrella header: instrument file formats.
#pragma once
#include "sapper/io/gpr_file.hpp"
#include "sapper/io/position.hpp"

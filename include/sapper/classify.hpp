// sapper::classify umbrella header: logistic regression, random forests, gradient-boosted trees,
// model files, fusion.
#pragma once
#include "sapper/classify/boosting.hpp"
#include "sapper/classify/forest.hpp"
#include "sapper/classify/fusion.hpp"
#include "sapper/classify/logistic.hpp"
#include "sapper/classify/model.hpp"

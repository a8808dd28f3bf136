// sapper::detect: the alarm a GPR prescreener raises, shared by prescreeners, hyperbola analysis,
// features and fusion.
#pragma once

#include <limits>

#include "sapper/core/types.hpp"

namespace sapper::detect {

/// One GPR prescreener alarm: the peak of a detection statistic above its threshold.
struct GprAlarm {
  Index trace = 0;    ///< trace (column) of the peak, in the B-scan the prescreener saw
  Index channel = 0;  ///< channel of the peak (0 for a single B-scan)
  Index sample = 0;   ///< sample (row) of the peak
  double time_ns = std::numeric_limits<double>::quiet_NaN();  ///< two-way time of the peak after time zero, ns
  double x_m = std::numeric_limits<double>::quiet_NaN();      ///< along-track position, m (NaN: unknown)
  double y_m = std::numeric_limits<double>::quiet_NaN();      ///< cross-track position, m (NaN: unknown)
  double score = 0;  ///< detection statistic at the peak; higher = more sure
};

}  // namespace sapper::detect

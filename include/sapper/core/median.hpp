// The median as numpy defines it (the mean of the two middle values for an even count), computed
// in place by partial sorting: shared by every module that needs a robust centre or spread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace sapper {

/// Median of [first, first + n) (reordered); NaN when n == 0.
inline double median_inplace(double* first, std::size_t n) {
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t h = n / 2;
  std::nth_element(first, first + h, first + n);
  const double hi = first[h];
  if (n % 2) return hi;
  return 0.5 * (hi + *std::max_element(first, first + h));
}

/// Median of v (reordered); NaN when empty.
inline double median_inplace(std::vector<double>& v) { return median_inplace(v.data(), v.size()); }

}  // namespace sapper

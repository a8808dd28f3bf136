// Small helpers shared by the batch (ground.cpp) and streaming (ground_stream.cpp) ground methods.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "sapper/core/median.hpp"
#include "sapper/core/types.hpp"

namespace sapper::clutter::detail {

/// One period of the bounce, ns: twice the width of the main lobe of g around sample c (between
/// the zero crossings either side), at least 4 samples.
template <class V>
double period_ns(const V& g, Index n, Index c, double dt) {
  if (c < 0 || c >= n || g[std::size_t(c)] == 0) return 4 * dt;
  const bool pos = g[std::size_t(c)] > 0;
  Index a = c, b = c;
  while (a > 0 && (g[std::size_t(a - 1)] > 0) == pos && g[std::size_t(a - 1)] != 0) --a;
  while (b + 1 < n && (g[std::size_t(b + 1)] > 0) == pos && g[std::size_t(b + 1)] != 0) ++b;
  return std::max(2.0 * double(b - a + 1) * dt, 4 * dt);
}

/// {a, b} of the weighted least squares y ~ a g + b g' from its normal-equation sums; b = 0 without
/// fit_shift or when g and g' are nearly collinear (a then scales g alone).
inline std::pair<double, double> scale_shift(double gg, double gd, double dd, double gy, double dy, bool fit_shift) {
  const double det = gg * dd - gd * gd;
  if (fit_shift && gg > 0 && det > 1e-12 * gg * dd) return {(gy * dd - dy * gd) / det, (dy * gg - gy * gd) / det};
  return {gg > 0 ? gy / gg : 0.0, 0.0};
}

/// Parabolic vertex offset (samples, in [-0.5, 0.5]) of three values with the middle one largest.
inline double vertex(double ym, double y0, double yp) {
  const double den = ym - 2 * y0 + yp;
  return den < 0 ? std::clamp(0.5 * (ym - yp) / den, -0.5, 0.5) : 0.0;
}

}  // namespace sapper::clutter::detail

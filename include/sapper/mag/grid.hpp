// sapper::mag regular grids: the common currency of gridding, transforms, Euler deconvolution and
// target picking. Row-major (ny, nx) like numpy's C order and harmonica's (northing, easting), so
// a grid crosses into Python without a copy. NaN marks a cell without data.
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "sapper/core/error.hpp"
#include "sapper/core/types.hpp"

namespace sapper::mag {

/// values(j, i) sits at x = x0 + i dx (east), y = y0 + j dy (north), m.
struct GridSpec {
  double x0 = 0, y0 = 0;
  double dx = 1, dy = 1;
  Index nx = 0, ny = 0;
  double x(Index i) const { return x0 + double(i) * dx; }
  double y(Index j) const { return y0 + double(j) * dy; }
  /// Throws ValueError unless dx, dy > 0 and x0, y0 are finite and nx, ny >= 1.
  void validate() const {
    require(std::isfinite(x0) && std::isfinite(y0), "grid origin (", x0, ", ", y0, ") must be finite");
    require(std::isfinite(dx) && dx > 0 && std::isfinite(dy) && dy > 0, "grid spacing (dx, dy) = (", dx, ", ", dy,
            ") must be positive, m");
    require(nx >= 1 && ny >= 1, "grid size (nx, ny) = (", nx, ", ", ny, ") must be at least 1 x 1");
  }
};

using GridValues = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using GridRef = Eigen::Ref<const GridValues>;

/// A grid and where it lies.
struct Grid {
  GridSpec spec;
  GridValues values;  ///< ny x nx, NaN = no data
};

}  // namespace sapper::mag

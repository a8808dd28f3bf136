// sapper::mag scattered readings to a regular grid: block reduction, minimum curvature with
// tension (Smith & Wessel 1990, the algorithm of GMT `surface`) and a distance mask. Every
// function is a stateless free function, thread-safe, and gives the same numbers for any thread
// count. Formulas, defaults and costs: docs/mag_gridding.md.
//
// Readings are (x, y, value) in m and nT. A reading whose value is NaN is skipped (a dropout);
// a non-finite x or y, or an infinite value, is a ValueError naming its index.
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "sapper/mag/grid.hpp"

namespace sapper::mag {

/// Readings as a structure of arrays of equal length.
struct Scattered {
  std::span<const double> x, y, value;
};

/// The grid that covers the readings' bounding box (NaN values skipped) with spacing (dx, dy), m:
/// x0 = min x, y0 = min y, nx = ceil((max x - min x) / dx) + 1 (likewise ny), so the last node
/// is at or beyond the last reading. Throws ValueError on bad readings, no usable reading, a bad
/// spacing, or a grid of more than 2^31 nodes.
GridSpec grid_spec_for(Scattered data, double dx, double dy);

/// The statistic of the readings in a cell.
enum class BlockStatistic { median, mean };
/// Where a cell's reduced value sits: at the readings' own position, or at the cell centre (the
/// node). The readings' position is, for the median, that of the middle reading by value (the
/// mean of the two middle readings' positions for an even count), so that a plane's block median
/// lies on the plane; for the mean, the mean position.
enum class BlockLocation { data, centre };

/// One entry per cell holding at least one reading, in row-major cell order.
struct BlockData {
  std::vector<double> x, y, value;  ///< position (m) and reduced value (nT)
  std::vector<Index> cell;          ///< j * nx + i of the cell
  std::vector<Index> count;         ///< readings in the cell
  Index n_outside = 0;              ///< usable readings outside every cell (skipped)
};

/// Block reduction. The cell of node (i, j) is [x_i - dx/2, x_i + dx/2) x [y_j - dy/2, y_j + dy/2),
/// so a reading goes to the nearest node, i = floor((x - x0) / dx + 1/2). The median of an even
/// count is the mean of the two middle values (as numpy's). O(n + cells) time and memory.
BlockData block_reduce(const GridSpec& spec, Scattered data, BlockStatistic stat = BlockStatistic::median,
                       BlockLocation where = BlockLocation::data, int threads = 0);

/// Options of minimum_curvature.
struct MinimumCurvatureOptions {
  /// T in (1 - T) lap^2 u - T lap u = 0: 0 = minimum curvature, 1 = harmonic. In [0, 1).
  double tension = 0.25;
  /// Stop when the rms of the estimated error left in the surface (a V-cycle applied to the
  /// residual) is under this, nT; 0 = 1e-6 x the range of the block values about their
  /// least-squares plane.
  double convergence = 0;
  int max_cycles = 200;  ///< multigrid V-cycles at most, >= 1
  /// Solve on a grid refine times finer (in [1, 16]) and return every refine-th node: the 13-point
  /// operator is second-order accurate, so the surface between survey lines only two or three
  /// cells apart gains from it (docs/mag_gridding.md). The tension is rescaled so that the finer
  /// grid discretises the same continuous operator (T / (1 - T) divided by refine^2). Costs
  /// refine^2 in time and memory; the report (blocks, cycles, levels) is that of the finer grid.
  int refine = 1;
  BlockStatistic block = BlockStatistic::median;  ///< reduction of the readings per final cell
  int threads = 0;                                ///< 0 = all cores
};

/// What minimum_curvature did.
struct MinimumCurvatureReport {
  Index levels = 0;         ///< grids of the multigrid hierarchy, the final one included
  Index cycles = 0;           ///< V-cycles run
  bool converged = false;     ///< error_estimate <= convergence
  double error_estimate = 0;  ///< rms of the estimated error left in the surface, nT
  double convergence = 0;   ///< the limit used, nT
  Index n_blocks = 0;       ///< block values constraining the final grid
  Index n_outside = 0;      ///< readings outside the grid (skipped)
};

/// Minimum-curvature gridding with tension. The readings are block-reduced onto the grid's cells
/// (options.block); each block value constrains its cell's node through the mean, over the
/// readings it was made of, of the quadratic Taylor expansion about the node at each reading;
/// every other node satisfies (1 - T) lap^2 u - T lap u = 0, and the edges the natural conditions
/// u_nn = 0, u_nnn = 0. Solved by GMRES preconditioned with multigrid V-cycles (Gauss-Seidel
/// smoothing, bilinear prolongation, Galerkin coarse operators that carry the constraints down):
/// O(nodes) per cycle and a cycle count that does not grow with the grid. Planes and bilinear functions are
/// reproduced exactly. Needs >= 1 reading inside.
Grid minimum_curvature(const GridSpec& spec, Scattered data, const MinimumCurvatureOptions& options = {},
                       MinimumCurvatureReport* report = nullptr);

/// A grid of the block values (NaN in cells without readings) and of the count per cell.
struct BlockGrid {
  Grid value;
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> count;
};
BlockGrid block_grid(const GridSpec& spec, Scattered data, BlockStatistic stat = BlockStatistic::median,
                     int threads = 0);

/// The default mask distance, m: 1.5 x the estimated track spacing s = A / (n_b b), with A the
/// area of the usable readings' bounding box, b = sqrt(A / n) for n readings and n_b the number
/// of b x b buckets holding a reading. (For tracks s apart sampled every a along, b^2 = a s, so
/// a <= b <= s and each track fills L / b buckets.) 1.5 max(dx, dy) if the readings are collinear.
double default_max_distance(const GridSpec& spec, Scattered data);

/// Sets to NaN every node of the grid (spec, values: ny x nx) farther than max_distance (m) from every usable reading;
/// max_distance = +inf masks nothing. Buckets of side max_distance: O(nodes + readings) time for
/// line data. Returns the number of nodes beyond max_distance.
Index distance_mask(const GridSpec& spec, Eigen::Ref<GridValues> values, Scattered data, double max_distance,
                    int threads = 0);
inline Index distance_mask(Grid& grid, Scattered data, double max_distance, int threads = 0) {
  return distance_mask(grid.spec, grid.values, data, max_distance, threads);
}

}  // namespace sapper::mag

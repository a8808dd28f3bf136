// sapper::mag gridding against direct computations written here: exact polynomials, the dipole
// formula, per-cell medians by sorting, and brute-force distances.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/mag/dipole.hpp"
#include "sapper/mag/gridding.hpp"

using namespace sapper;
using namespace sapper::mag;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Readings {
  std::vector<double> x, y, v;
  Scattered view() const { return {x, y, v}; }
};

/// Uniform random readings in [0, w] x [0, h] of f(x, y).
template <class F>
Readings scatter(std::size_t n, double w, double h, F f, unsigned seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> ux(0, w), uy(0, h);
  Readings r;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = ux(g), y = uy(g);
    r.x.push_back(x), r.y.push_back(y), r.v.push_back(f(x, y));
  }
  return r;
}

/// Survey lines along y, `spacing` apart, sampled every `step` along, x jittered by `jitter` m.
Readings lines(double w, double h, double spacing, double step, double jitter, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n(0, jitter);
  Readings r;
  for (double x = 0; x <= w + 1e-9; x += spacing)
    for (double y = 0; y <= h + 1e-9; y += step) r.x.push_back(x + n(g)), r.y.push_back(y), r.v.push_back(0);
  return r;
}

/// The total-field anomaly of a dipole 0.6 m deep at (10.3, 9.7) at sensor height 0.3 m.
std::vector<double> dipole_at(const std::vector<double>& x, const std::vector<double>& y) {
  const std::vector<Dipole> d = {{10.3, 9.7, -0.6, 0.1, 0.2, -0.5}};
  const std::vector<double> z(x.size(), 0.3);
  std::vector<double> out(x.size());
  total_field_anomaly(d, {x, y, z}, EarthField{}, out, 1);
  return out;
}

double max_abs_diff(const GridValues& a, const GridValues& b) { return (a - b).cwiseAbs().maxCoeff(); }

}  // namespace

TEST(MagGridding, SpecCoversTheReadingsBoundingBox) {
  Readings r{{1.0, 4.2, 2.0, 100.0}, {-1.0, 3.05, 0.5, 50.0}, {0, 0, 0, kNaN}};  // the NaN reading is skipped
  const GridSpec s = grid_spec_for(r.view(), 0.5, 0.25);
  EXPECT_DOUBLE_EQ(s.x0, 1.0);
  EXPECT_DOUBLE_EQ(s.y0, -1.0);
  EXPECT_EQ(s.nx, 8);   // 1 + ceil(3.2 / 0.5)
  EXPECT_EQ(s.ny, 18);  // 1 + ceil(4.05 / 0.25)
  EXPECT_GE(s.x(s.nx - 1), 4.2);
  EXPECT_GE(s.y(s.ny - 1), 3.05);
}

TEST(MagGridding, BlockMedianAndMeanEqualDirectPerCellStatistics) {
  const Readings r = scatter(5000, 10, 7, [](double x, double y) { return std::sin(x) * y; }, 3);
  const GridSpec s{0.3, -0.2, 0.7, 0.5, 14, 15};  // some readings fall outside
  std::map<Index, std::vector<Index>> cells;
  Index outside = 0;
  for (std::size_t k = 0; k < r.x.size(); ++k) {
    const double fi = std::floor((r.x[k] - s.x0) / s.dx + 0.5), fj = std::floor((r.y[k] - s.y0) / s.dy + 0.5);
    if (fi < 0 || fi >= double(s.nx) || fj < 0 || fj >= double(s.ny)) {
      ++outside;
      continue;
    }
    cells[Index(fj) * s.nx + Index(fi)].push_back(Index(k));
  }
  // The median value; its position is the middle reading's by (value, index), or the mean of
  // the two middle readings' for an even count.
  auto median = [&](std::vector<Index> ids, double& x, double& y) {
    std::sort(ids.begin(), ids.end(), [&](Index a, Index b) { return std::pair(r.v[a], a) < std::pair(r.v[b], b); });
    const std::size_t m = ids.size();
    const Index hi = ids[m / 2], lo = ids[(m - 1) / 2];
    x = (r.x[lo] + r.x[hi]) / 2, y = (r.y[lo] + r.y[hi]) / 2;
    return (r.v[lo] + r.v[hi]) / 2;
  };
  const BlockData med = block_reduce(s, r.view(), BlockStatistic::median, BlockLocation::data, 3);
  const BlockData mean = block_reduce(s, r.view(), BlockStatistic::mean, BlockLocation::centre, 1);
  ASSERT_EQ(med.cell.size(), cells.size());
  EXPECT_EQ(med.n_outside, outside);
  std::size_t b = 0;
  for (const auto& [c, ids] : cells) {
    double sum = 0, x = 0, y = 0;
    for (Index k : ids) sum += r.v[k];
    std::vector<double> v;
    for (Index k : ids) v.push_back(r.v[k]);
    std::sort(v.begin(), v.end());
    const double numpy_median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    ASSERT_EQ(med.cell[b], c);
    EXPECT_EQ(med.count[b], Index(ids.size()));
    EXPECT_DOUBLE_EQ(med.value[b], median(ids, x, y));
    EXPECT_DOUBLE_EQ(med.value[b], numpy_median);
    EXPECT_DOUBLE_EQ(med.x[b], x);
    EXPECT_DOUBLE_EQ(med.y[b], y);
    EXPECT_NEAR(mean.value[b], sum / double(ids.size()), 1e-12);
    EXPECT_DOUBLE_EQ(mean.x[b], s.x(c % s.nx));  // BlockLocation::centre: the node
    EXPECT_DOUBLE_EQ(mean.y[b], s.y(c / s.nx));
    ++b;
  }
  const BlockGrid g = block_grid(s, r.view(), BlockStatistic::median, 2);
  Index filled = 0;
  for (Index j = 0; j < s.ny; ++j)
    for (Index i = 0; i < s.nx; ++i) {
      const auto it = cells.find(j * s.nx + i);
      if (it == cells.end()) {
        EXPECT_TRUE(std::isnan(g.value.values(j, i)));
        EXPECT_EQ(g.count(j, i), 0);
      } else {
        EXPECT_EQ(g.count(j, i), Index(it->second.size()));
        ++filled;
      }
    }
  EXPECT_EQ(filled, Index(cells.size()));
}

TEST(MagGridding, MinimumCurvatureReproducesAPlaneAndABilinearFunction) {
  auto plane = [](double x, double y) { return 12.5 + 0.8 * x - 1.7 * y; };
  auto bilinear = [](double x, double y) { return -3 + 0.5 * x - 0.2 * y + 0.3 * x * y; };
  for (double tension : {0.0, 0.25, 0.6}) {
    for (int which = 0; which < 2; ++which) {
      auto f = [&](double x, double y) { return which == 0 ? plane(x, y) : bilinear(x, y); };
      // The plane from random readings (several per cell: block medians of a plane lie on it);
      // the bilinear function from one reading per cell at a random sub-cell offset.
      Readings r = scatter(300, 9.3, 6.1, f, 7);
      const GridSpec s = grid_spec_for(r.view(), 0.37, 0.29);
      if (which == 1) {
        std::mt19937_64 g(8);
        std::uniform_real_distribution<double> u(-0.5, 0.5);
        std::bernoulli_distribution keep(0.3);
        r = {};
        for (Index j = 0; j < s.ny; ++j)
          for (Index i = 0; i < s.nx; ++i) {
            const double x = s.x(i) + u(g) * s.dx, y = s.y(j) + u(g) * s.dy;
            if (keep(g)) r.x.push_back(x), r.y.push_back(y), r.v.push_back(f(x, y));
          }
      }
      MinimumCurvatureOptions o;
      o.tension = tension, o.convergence = 1e-11;
      MinimumCurvatureReport rep;
      const Grid g = minimum_curvature(s, r.view(), o, &rep);
      EXPECT_TRUE(rep.converged);
      for (Index j = 0; j < s.ny; ++j)
        for (Index i = 0; i < s.nx; ++i)
          ASSERT_NEAR(g.values(j, i), f(s.x(i), s.y(j)), 1e-7) << "tension " << tension << " f " << which;
    }
  }
}

TEST(MagGridding, RefinedSolveKeepsTheGridAndReproducesABilinearFunction) {
  // refine = 2, 3: the same nodes, a bilinear function from scattered readings still exact (it
  // satisfies the operator, the interpolation rows and the edge conditions on any grid).
  auto f = [](double x, double y) { return -3 + 0.5 * x - 0.2 * y + 0.3 * x * y; };
  const Readings r = scatter(500, 9.3, 6.1, f, 17);
  const GridSpec s = grid_spec_for(r.view(), 0.37, 0.29);
  for (int refine : {2, 3}) {
    MinimumCurvatureOptions o;
    o.refine = refine, o.convergence = 1e-11;
    MinimumCurvatureReport rep;
    const Grid g = minimum_curvature(s, r.view(), o, &rep);
    EXPECT_TRUE(rep.converged);
    EXPECT_EQ(g.spec.nx, s.nx);
    EXPECT_EQ(g.spec.ny, s.ny);
    EXPECT_EQ(g.spec.x0, s.x0);
    EXPECT_EQ(g.spec.dx, s.dx);
    for (Index j = 0; j < s.ny; ++j)
      for (Index i = 0; i < s.nx; ++i) ASSERT_NEAR(g.values(j, i), f(s.x(i), s.y(j)), 1e-7) << "refine " << refine;
  }
}

/// One reading at a random sub-cell offset in a random `keep` share of the cells of s.
template <class F>
Readings one_per_cell(const GridSpec& s, double keep, F f, unsigned seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  std::bernoulli_distribution take(keep);
  Readings r;
  for (Index j = 0; j < s.ny; ++j)
    for (Index i = 0; i < s.nx; ++i) {
      const double x = s.x(i) + u(g) * s.dx, y = s.y(j) + u(g) * s.dy;
      if (take(g)) r.x.push_back(x), r.y.push_back(y), r.v.push_back(f(x, y));
    }
  return r;
}

TEST(MagGridding, MinimumCurvatureSolvesTheStatedEquations) {
  // The grid must satisfy, away from the edges, (1 - T) L(L u) - T L u = 0 at nodes without a
  // reading (L = d_xx + e d_yy in grid units, e = (dx/dy)^2) and the Taylor constraint at the
  // reading's offset at nodes with one: both evaluated here from their formulas.
  const GridSpec s{1, -2, 0.2, 0.25, 57, 43};
  auto f = [](double x, double y) { return 40 * std::sin(0.9 * x) * std::cos(0.7 * y) + 5 * x * y; };
  const Readings r = one_per_cell(s, 0.3, f, 21);
  for (double tension : {0.0, 0.3}) {
    MinimumCurvatureOptions o;
    o.tension = tension, o.convergence = 1e-9;
    MinimumCurvatureReport rep;
    const Grid g = minimum_curvature(s, r.view(), o, &rep);
    ASSERT_TRUE(rep.converged);
    const GridValues& u = g.values;
    const double e = (s.dx / s.dy) * (s.dx / s.dy);
    auto lap = [&](Index i, Index j) {
      return u(j, i + 1) + u(j, i - 1) - 2 * u(j, i) + e * (u(j + 1, i) + u(j - 1, i) - 2 * u(j, i));
    };
    std::vector<int> reading(std::size_t(s.nx * s.ny), -1);
    for (std::size_t k = 0; k < r.x.size(); ++k)
      reading[std::size_t(std::lround((r.y[k] - s.y0) / s.dy) * s.nx + std::lround((r.x[k] - s.x0) / s.dx))] = int(k);
    double worst_free = 0, worst_data = 0;
    for (Index j = 2; j < s.ny - 2; ++j)
      for (Index i = 2; i < s.nx - 2; ++i) {
        const int k = reading[std::size_t(j * s.nx + i)];
        if (k < 0) {
          const double ll = lap(i + 1, j) + lap(i - 1, j) - 2 * lap(i, j) + e * (lap(i, j + 1) + lap(i, j - 1) - 2 * lap(i, j));
          worst_free = std::max(worst_free, std::abs((1 - tension) * ll - tension * lap(i, j)));
        } else {
          const double ex = (r.x[k] - s.x(i)) / s.dx, ey = (r.y[k] - s.y(j)) / s.dy;
          const double ux = (u(j, i + 1) - u(j, i - 1)) / 2, uy = (u(j + 1, i) - u(j - 1, i)) / 2;
          const double uxx = u(j, i + 1) + u(j, i - 1) - 2 * u(j, i), uyy = u(j + 1, i) + u(j - 1, i) - 2 * u(j, i);
          const double uxy = (u(j + 1, i + 1) - u(j + 1, i - 1) - u(j - 1, i + 1) + u(j - 1, i - 1)) / 4;
          const double t = u(j, i) + ex * ux + ey * uy + ex * ex / 2 * uxx + ey * ey / 2 * uyy + ex * ey * uxy;
          worst_data = std::max(worst_data, std::abs(t - r.v[k]));
        }
      }
    EXPECT_LT(worst_free, 1e-7) << "tension " << tension;  // amplitude ~ 100
    EXPECT_LT(worst_data, 1e-7) << "tension " << tension;
  }
}

TEST(MagGridding, MinimumCurvatureReproducesAHarmonicFunction) {
  // exp(x/3) cos(y/3) (harmonic, up to 28 over the area) from ~2 random readings per cell: within
  // 0.15 (0.5% of its peak) at every node, T = 0 and 0.25 (measured 0.104 and 0.109).
  auto f = [](double x, double y) { return std::exp(x / 3) * std::cos(y / 3); };
  const Readings r = scatter(4000, 10, 8, f, 13);
  const GridSpec s{0, 0, 0.2, 0.2, 51, 41};
  for (double tension : {0.0, 0.25}) {
    MinimumCurvatureOptions o;
    o.tension = tension;
    const Grid g = minimum_curvature(s, r.view(), o);
    double worst = 0;
    for (Index j = 0; j < s.ny; ++j)
      for (Index i = 0; i < s.nx; ++i) worst = std::max(worst, std::abs(g.values(j, i) - f(s.x(i), s.y(j))));
    EXPECT_LT(worst, 0.15) << "tension " << tension;
  }
}

TEST(MagGridding, MinimumCurvatureMeetsItsConvergenceLimit) {
  // The default limit (1e-6 of the data range) bounds the rms distance to the fully converged
  // surface (the criterion is the V-cycle's estimate of it); the cycle count does not grow with
  // the grid (16x more nodes).
  Index cycles[2] = {0, 0};
  for (int big = 0; big < 2; ++big) {
    Readings r = lines(big ? 40 : 10, big ? 40 : 10, 0.25, 0.1, 0.02, 3);
    for (double& x : r.x) x += big ? 0 : 5;
    for (double& y : r.y) y += big ? 0 : 5;
    r.v = dipole_at(r.x, r.y);
    const GridSpec s = grid_spec_for(r.view(), 0.1, 0.1);
    MinimumCurvatureReport rep, tight_rep;
    const Grid g = minimum_curvature(s, r.view(), {}, &rep);
    MinimumCurvatureOptions o;
    o.convergence = 1e-6 * rep.convergence;
    const Grid tight = minimum_curvature(s, r.view(), o, &tight_rep);
    ASSERT_TRUE(rep.converged);
    ASSERT_TRUE(tight_rep.converged);
    EXPECT_LE(rep.error_estimate, rep.convergence);
    const double rms = std::sqrt((g.values - tight.values).squaredNorm() / double(g.values.size()));
    EXPECT_LT(rms, 3 * rep.convergence) << "limit " << rep.convergence << " nT";
    cycles[big] = rep.cycles;
  }
  EXPECT_LE(cycles[1], cycles[0] + 2) << cycles[0] << " then " << cycles[1];
}

TEST(MagGridding, CycleCountStaysFlatWhenReadingsCrowdCellCorners) {
  // Tracks and samples half a cell off the nodes (1 cm jitter): most readings sit near a cell
  // corner, so neighbouring constraint rows nearly coincide and plain Gauss-Seidel has an
  // oscillating local mode there (the previous solver: 19 then 27 cycles). The cycle count must
  // stay small on 10x more nodes; cycles are deterministic.
  Index cycles[2] = {0, 0};
  for (int big = 0; big < 2; ++big) {
    const double w = big ? 50 : 16;
    std::mt19937_64 g(1);
    std::normal_distribution<double> jitter(0, 0.01);
    Readings r;
    for (double x = 0.0625; x <= w; x += 0.25)
      for (double y = 0.0625; y <= w; y += 0.125) r.x.push_back(x + jitter(g)), r.y.push_back(y + jitter(g));
    for (std::size_t k = 0; k < r.x.size(); ++k)
      r.v.push_back(30 * std::sin(1.3 * r.x[k]) * std::cos(0.9 * r.y[k]) + 5 * std::sin(3.1 * r.x[k] + 2.3 * r.y[k]));
    const Index n = Index(std::floor(w / 0.125)) + 1;
    const GridSpec s{0, 0, 0.125, 0.125, n, n};
    MinimumCurvatureReport rep;
    minimum_curvature(s, r.view(), {}, &rep);
    EXPECT_TRUE(rep.converged);
    cycles[big] = rep.cycles;
  }
  EXPECT_LE(cycles[0], 12);
  EXPECT_LE(cycles[1], 12) << cycles[0] << " then " << cycles[1];
}

TEST(MagGridding, MinimumCurvatureHonoursReadingsOnNodes) {
  // Readings exactly on nodes (a random third of them) of a smooth non-polynomial surface: the
  // constraint there is u = value, so the grid must equal them to the convergence limit.
  const GridSpec s{-2, 1, 0.25, 0.25, 41, 33};
  std::mt19937_64 g(11);
  std::bernoulli_distribution keep(0.33);
  Readings r;
  for (Index j = 0; j < s.ny; ++j)
    for (Index i = 0; i < s.nx; ++i)
      if (keep(g)) r.x.push_back(s.x(i)), r.y.push_back(s.y(j)), r.v.push_back(std::sin(s.x(i)) * std::cos(0.7 * s.y(j)));
  MinimumCurvatureOptions o;
  o.convergence = 1e-10;
  const Grid out = minimum_curvature(s, r.view(), o);
  for (std::size_t k = 0; k < r.x.size(); ++k) {
    const Index i = Index(std::lround((r.x[k] - s.x0) / s.dx)), j = Index(std::lround((r.y[k] - s.y0) / s.dy));
    ASSERT_NEAR(out.values(j, i), r.v[k], 1e-8);
  }
}

TEST(MagGridding, DipoleAnomalyAlongLinesIsGriddedAccurately) {
  // Lines 0.25 m apart (a 4-sensor cart), 10 cm along, 2 cm position jitter; 0.1 m grid.
  Readings r = lines(20, 20, 0.25, 0.1, 0.02, 5);
  r.v = dipole_at(r.x, r.y);
  const GridSpec s{0, 0, 0.1, 0.1, 201, 201};
  MinimumCurvatureReport rep;
  MinimumCurvatureOptions o;
  o.tension = 0;
  const Grid g = minimum_curvature(s, r.view(), o, &rep);
  EXPECT_TRUE(rep.converged);
  std::vector<double> gx, gy;
  for (Index j = 0; j < s.ny; ++j)
    for (Index i = 0; i < s.nx; ++i) gx.push_back(s.x(i)), gy.push_back(s.y(j));
  const std::vector<double> truth = dipole_at(gx, gy);
  double sq = 0, peak = 0;
  for (std::size_t q = 0; q < truth.size(); ++q) {
    const double e = g.values.data()[q] - truth[q];
    sq += e * e, peak = std::max(peak, std::abs(truth[q]));
  }
  const double rms = std::sqrt(sq / double(truth.size()));
  EXPECT_LT(rms, 1e-3 * peak) << "rms error " << rms << " nT, peak " << peak << " nT";
}

TEST(MagGridding, SameNumbersForAnyThreadCount) {
  Readings r = lines(12, 9, 0.5, 0.1, 0.03, 9);
  r.v = dipole_at(r.x, r.y);
  const GridSpec s = grid_spec_for(r.view(), 0.1, 0.1);
  MinimumCurvatureOptions o;
  o.threads = 1;
  const Grid one = minimum_curvature(s, r.view(), o);
  o.threads = 3;
  const Grid three = minimum_curvature(s, r.view(), o);
  EXPECT_EQ(max_abs_diff(one.values, three.values), 0.0);
  const BlockData a = block_reduce(s, r.view(), BlockStatistic::median, BlockLocation::data, 1);
  const BlockData b = block_reduce(s, r.view(), BlockStatistic::median, BlockLocation::data, 4);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.x, b.x);
  Grid m1 = one, m4 = one;
  EXPECT_EQ(distance_mask(m1, r.view(), 0.3, 1), distance_mask(m4, r.view(), 0.3, 4));
  EXPECT_TRUE(m1.values.cwiseEqual(m4.values).count() + (m1.values.array().isNaN()).count() == m1.values.size());
}

TEST(MagGridding, MaskEqualsBruteForceDistances) {
  Readings r = lines(6, 5, 1.0, 0.2, 0.05, 2);
  r.v.assign(r.x.size(), 1.0);
  for (std::size_t k = 0; k < r.x.size(); k += 7) r.v[k] = kNaN;  // skipped readings do not count
  // remove a chunk of one line so that a hole opens
  for (std::size_t k = 0; k < r.x.size(); ++k)
    if (r.x[k] > 2.5 && r.x[k] < 3.5 && r.y[k] > 1 && r.y[k] < 3) r.v[k] = kNaN;
  const GridSpec s{-1, -1, 0.13, 0.11, 70, 66};
  for (double R : {0.3, 0.61, 1.5}) {
    Grid g{s, GridValues::Zero(s.ny, s.nx)};
    const Index n = distance_mask(g, r.view(), R, 2);
    Index expect = 0;
    for (Index j = 0; j < s.ny; ++j)
      for (Index i = 0; i < s.nx; ++i) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < r.x.size(); ++k)
          if (!std::isnan(r.v[k])) best = std::min(best, std::hypot(r.x[k] - s.x(i), r.y[k] - s.y(j)));
        const bool far = best > R;
        expect += far;
        ASSERT_EQ(std::isnan(g.values(j, i)), far) << "node " << i << ", " << j << " at " << best << " m, R " << R;
      }
    EXPECT_EQ(n, expect);
    EXPECT_GT(n, 0);
  }
  Grid g{s, GridValues::Zero(s.ny, s.nx)};
  EXPECT_EQ(distance_mask(g, r.view(), std::numeric_limits<double>::infinity()), 0);
}

TEST(MagGridding, DefaultMaskDistanceFollowsTheTrackSpacing) {
  for (double spacing : {0.25, 0.5, 1.0, 2.0}) {
    const Readings r = lines(40, 30, spacing, 0.1, 0.0, 1);
    const Readings v{r.x, r.y, std::vector<double>(r.x.size(), 0.0)};
    const GridSpec s = grid_spec_for(v.view(), 0.1, 0.1);
    EXPECT_NEAR(default_max_distance(s, v.view()), 1.5 * spacing, 0.2 * 1.5 * spacing) << "spacing " << spacing;
  }
}

TEST(MagGridding, NaNReadingsAreSkipped) {
  Readings r = lines(8, 6, 0.5, 0.1, 0.02, 4);
  r.v = dipole_at(r.x, r.y);
  Readings with_nan = r;
  for (int k = 0; k < 50; ++k) with_nan.x.push_back(3.3), with_nan.y.push_back(2.2), with_nan.v.push_back(kNaN);
  const GridSpec s = grid_spec_for(r.view(), 0.2, 0.2);
  EXPECT_EQ(max_abs_diff(minimum_curvature(s, r.view()).values, minimum_curvature(s, with_nan.view()).values), 0.0);
}

TEST(MagGridding, ReportsTheCycleCap) {
  Readings r = lines(10, 10, 0.5, 0.1, 0.02, 4);
  r.v = dipole_at(r.x, r.y);
  const GridSpec s = grid_spec_for(r.view(), 0.05, 0.05);
  MinimumCurvatureOptions o;
  o.max_cycles = 1;  // one V-cycle: the first error estimate, nothing more
  MinimumCurvatureReport rep;
  minimum_curvature(s, r.view(), o, &rep);
  EXPECT_FALSE(rep.converged);
  EXPECT_EQ(rep.cycles, 1);
  EXPECT_GT(rep.error_estimate, rep.convergence);
  EXPECT_EQ(rep.levels, 7);  // 201, 101, 51, 26, 14, 8, 5 nodes a side
}

TEST(MagGridding, BadInputIsAValueErrorNamingTheValue) {
  const Readings ok = scatter(50, 3, 3, [](double x, double) { return x; }, 1);
  const GridSpec s = grid_spec_for(ok.view(), 0.5, 0.5);
  const Readings empty;
  EXPECT_THROW(grid_spec_for(empty.view(), 1, 1), ValueError);
  EXPECT_THROW(minimum_curvature(s, empty.view()), ValueError);
  Readings nan_only{{1, 2}, {1, 2}, {kNaN, kNaN}};
  EXPECT_THROW(grid_spec_for(nan_only.view(), 1, 1), ValueError);
  Readings short_v{{1, 2}, {1, 2}, {1}};
  EXPECT_THROW(block_reduce(s, short_v.view()), ValueError);
  Readings bad_x{{1, kNaN}, {1, 2}, {1, 2}};
  try {
    block_reduce(s, bad_x.view());
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("reading 1"), std::string::npos) << e.what();
  }
  Readings inf_v{{1, 2}, {1, 2}, {1, std::numeric_limits<double>::infinity()}};
  EXPECT_THROW(minimum_curvature(s, inf_v.view()), ValueError);
  EXPECT_THROW(grid_spec_for(ok.view(), 0, 1), ValueError);
  EXPECT_THROW(grid_spec_for(ok.view(), 1e-9, 1e-9), ValueError);  // 3e9 x 3e9 nodes
  MinimumCurvatureOptions o;
  o.tension = 1;
  EXPECT_THROW(minimum_curvature(s, ok.view(), o), ValueError);
  for (int bad : {0, 17}) {
    MinimumCurvatureOptions q;
    q.refine = bad;
    EXPECT_THROW(minimum_curvature(s, ok.view(), q), ValueError) << "refine " << bad;
  }
  o = {}, o.max_cycles = 0;
  EXPECT_THROW(minimum_curvature(s, ok.view(), o), ValueError);
  EXPECT_THROW(minimum_curvature(GridSpec{0, 0, 1, 1, 2, 5}, ok.view()), ValueError);
  EXPECT_THROW(minimum_curvature(GridSpec{100, 100, 1, 1, 5, 5}, ok.view()), ValueError);  // nothing inside
  Grid g{s, GridValues::Zero(s.ny, s.nx)};
  EXPECT_THROW(distance_mask(g, ok.view(), 0), ValueError);
  EXPECT_THROW(distance_mask(g, ok.view(), kNaN), ValueError);
}

// Dipole fits, fit windows, multi-dipole fits and Euler deconvolution against synthetic data from
// the independent forward model (total_field_anomaly: exact |F+B|-|F|).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/mag/dipole.hpp"
#include "sapper/mag/source.hpp"

using namespace sapper;
using namespace sapper::mag;

namespace {

constexpr double kDeg = std::numbers::pi / 180;

/// A cart survey window: 21 sensor tracks 0.25 m apart, readings every 0.05 m along north over
/// 4 m (1,701 points), sensors 0.3 m above the ground with +-1 cm bounce.
struct Survey {
  std::vector<double> x, y, z, dt;
  Points points() const { return {x, y, z}; }
};

Survey cart(const std::vector<Dipole>& dips, double noise_nt, unsigned seed, const EarthField& f = {}) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nz(0, 1);
  Survey s;
  for (int t = 0; t < 21; ++t)
    for (int k = 0; k <= 80; ++k) {
      s.x.push_back(-2.5 + 0.25 * t);
      s.y.push_back(-2.0 + 0.05 * k);
      s.z.push_back(0.3 + 0.01 * std::sin(0.7 * k + t));
    }
  s.dt.resize(s.x.size());
  total_field_anomaly(dips, s.points(), f, s.dt, 1);
  for (auto& v : s.dt) v += noise_nt * nz(g);
  return s;
}

Dipole at_mine(double x, double y, double depth, double induced_am2, std::array<double, 3> remanent) {
  const auto u = field_direction({});
  return {x,
          y,
          -depth,
          induced_am2 * u[0] + remanent[0],
          induced_am2 * u[1] + remanent[1],
          induced_am2 * u[2] + remanent[2]};
}

double moment_error(const DipoleFit& f, const Dipole& d) {
  const double dm = std::hypot(f.moment[0] - d.mx, f.moment[1] - d.my, f.moment[2] - d.mz);
  return dm / std::hypot(d.mx, d.my, d.mz);
}

double position_error(const DipoleFit& f, const Dipole& d) { return std::hypot(f.x - d.x, f.y - d.y, f.z - d.z); }

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

}  // namespace

TEST(MagSourceKernel, JacobianMatchesFiniteDifferences) {
  const auto u = field_direction({});
  const Dipole d{0.3, -0.2, -0.4, 0.1, 0.25, -0.3};
  std::vector<double> x{0.0, 1.0, -0.7, 0.31}, y{0.0, 0.5, 0.2, -0.19}, z{0.3, 0.25, 0.4, 0.3};
  const std::size_t n = x.size();
  std::vector<double> f(n), gx(n), gy(n), gz(n), fp(n), fm(n), t1(n), t2(n), t3(n);
  dipole_kernel(d, {x, y, z}, u, f, gx, gy, gz);
  // the value is F^.B with B from the independent dipole_field
  std::vector<double> bx(n), by(n), bz(n);
  dipole_field(std::vector<Dipole>{d}, {x, y, z}, bx, by, bz, 1);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(f[i], u[0] * bx[i] + u[1] * by[i] + u[2] * bz[i], 1e-9 * std::abs(f[i]));
  const double h = 1e-6;
  for (int c = 0; c < 3; ++c) {
    Dipole a = d, b = d;
    (c == 0 ? a.x : c == 1 ? a.y : a.z) += h;
    (c == 0 ? b.x : c == 1 ? b.y : b.z) -= h;
    dipole_kernel(a, {x, y, z}, u, fp, t1, t2, t3);
    dipole_kernel(b, {x, y, z}, u, fm, t1, t2, t3);
    const auto& g = c == 0 ? gx : c == 1 ? gy : gz;
    for (std::size_t i = 0; i < n; ++i) {
      const double fd = (fp[i] - fm[i]) / (2 * h);
      EXPECT_NEAR(g[i], fd, 1e-6 * (1 + std::abs(fd))) << "component " << c << " point " << i;
    }
  }
}

TEST(MagSourceFit, RecoversNoisyAtMineOverSeeds) {
  // AT mines at 0.2-0.5 m, induced 0.2-0.6 A m^2 plus remanence, 0.2-0.5 nT noise, I = 58, D = 6
  for (unsigned seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 g(seed);
    std::uniform_real_distribution<double> depth(0.2, 0.5), ind(0.2, 0.6), rem(-0.1, 0.1), off(-0.4, 0.4),
        noise(0.2, 0.5);
    const Dipole d = at_mine(off(g), off(g), depth(g), ind(g), {rem(g), rem(g), rem(g)});
    const Survey s = cart({d}, noise(g), seed);
    const DipoleFit f = fit_dipole(s.points(), s.dt);
    EXPECT_LT(position_error(f, d), 0.05) << "seed " << seed;
    EXPECT_LT(moment_error(f, d), 0.10) << "seed " << seed;
    EXPECT_TRUE(f.converged) << "seed " << seed;
    EXPECT_EQ(f.points_used, 1701);
    EXPECT_GT(f.coherence, 0.99);
    EXPECT_NEAR(f.depth, -d.z, 0.05);
    EXPECT_LT(f.rms_nt, 0.6);
  }
}

TEST(MagSourceFit, ExactAnomalyOfAStrongSourceIsRecovered) {
  // 1 A m^2 at 0.2 m: |B| reaches ~1,500 nT, |F+B|-|F| - F^.B ~ 20 nT. The exact-model passes
  // recover the source to 1 mm / 0.5 %; the linear model alone leaves a visible misfit.
  const Dipole d = at_mine(0.1, -0.05, 0.2, 1.0, {0.2, -0.1, 0.05});
  const Survey s = cart({d}, 0, 1);
  const DipoleFit f = fit_dipole(s.points(), s.dt);
  EXPECT_LT(position_error(f, d), 1e-3);
  EXPECT_LT(moment_error(f, d), 5e-3);
  EXPECT_LT(f.rms_nt, 0.05);
  DipoleFitOptions lin;
  lin.exact = false;
  const DipoleFit fl = fit_dipole(s.points(), s.dt, lin);
  EXPECT_GT(fl.rms_nt, 10 * f.rms_nt);
}

TEST(MagSourceFit, FeaturesOfAnInducedSource) {
  const Dipole d = at_mine(0, 0, 0.3, 0.4, {0, 0, 0});
  const Survey s = cart({d}, 0, 1);
  const DipoleFit f = fit_dipole(s.points(), s.dt);
  EXPECT_NEAR(f.inclination_deg, 58, 0.5);
  EXPECT_NEAR(f.declination_deg, 6, 0.5);
  EXPECT_LT(f.remanence_deg, 0.5);
  EXPECT_NEAR(f.moment_am2, 0.4, 0.004);
  EXPECT_NEAR(f.base_nt, 0, 0.05);
  // amplitude: max - min of the readings themselves (noise-free)
  const auto [lo, hi] = std::minmax_element(s.dt.begin(), s.dt.end());
  EXPECT_NEAR(f.amplitude_nt, *hi - *lo, 0.03 * (*hi - *lo));
  // width: for a source 0.6 m below the sensors the half-maximum area spans ~0.6 m
  EXPECT_GT(f.width_m, 0.3);
  EXPECT_LT(f.width_m, 1.2);
  EXPECT_NEAR(f.coherence, 1, 1e-6);
}

TEST(MagSourceFit, RobustLossSurvivesSpikes) {
  const Dipole d = at_mine(0.2, -0.1, 0.35, 0.3, {0.05, 0.02, -0.04});
  Survey s = cart({d}, 0.3, 7);
  std::mt19937_64 g(7);
  std::uniform_int_distribution<std::size_t> pick(0, s.dt.size() - 1);
  std::uniform_real_distribution<double> amp(50, 500);
  for (int k = 0; k < int(0.05 * double(s.dt.size())); ++k) s.dt[pick(g)] += (k % 2 ? 1 : -1) * amp(g);
  for (Loss loss : {Loss::huber, Loss::cauchy}) {
    DipoleFitOptions o;
    o.loss = loss;
    const DipoleFit f = fit_dipole(s.points(), s.dt, o);
    EXPECT_LT(position_error(f, d), 0.05) << int(loss);
    EXPECT_LT(moment_error(f, d), 0.10) << int(loss);
  }
  // the same data by plain least squares is visibly worse
  DipoleFitOptions l2;
  l2.loss = Loss::l2;
  const DipoleFit f2 = fit_dipole(s.points(), s.dt, l2);
  EXPECT_GT(moment_error(f2, d) + position_error(f2, d), 0.02);
}

TEST(MagSourceFit, DepthBoundIsRespected) {
  const Dipole d = at_mine(0, 0, 0.6, 0.5, {0, 0, 0});
  const Survey s = cart({d}, 0.2, 3);
  DipoleFitOptions o;
  o.max_depth = 0.4;
  const DipoleFit f = fit_dipole(s.points(), s.dt, o);
  EXPECT_LE(f.depth, 0.4 + 1e-12);
  EXPECT_NEAR(f.depth, 0.4, 1e-9);  // the true depth is beyond the bound: the fit sits on it
  o.max_depth = 3, o.min_depth = 0.8;
  const DipoleFit g = fit_dipole(s.points(), s.dt, o);
  EXPECT_NEAR(g.depth, 0.8, 1e-9);
  EXPECT_NEAR(g.z, -0.8, 1e-9);
}

TEST(MagSourceWindow, SelectsReadingsWithinTheRadius) {
  const Survey s = cart({at_mine(0, 0, 0.3, 0.3, {0, 0, 0})}, 0, 1);
  const auto idx = select_window(s.x, s.y, 0.3, -0.4, 0.7);
  std::vector<Index> want;
  for (std::size_t i = 0; i < s.x.size(); ++i)
    if (std::hypot(s.x[i] - 0.3, s.y[i] + 0.4) <= 0.7) want.push_back(Index(i));
  EXPECT_EQ(idx, want);
  EXPECT_GT(idx.size(), 100u);
  EXPECT_NE(message_of([&] { select_window(s.x, s.y, 0, 0, -1); }).find("radius"), std::string::npos);
}

TEST(MagSourceMulti, SeparatesTwoOverlappingDipoles) {
  const Dipole a = at_mine(-0.45, 0.1, 0.3, 0.4, {0.05, 0, 0}), b = at_mine(0.45, -0.2, 0.4, 0.3, {0, -0.05, 0.03});
  const Survey s = cart({a, b}, 0.3, 11);
  const MultiDipoleFit m = fit_dipoles(s.points(), s.dt);
  ASSERT_EQ(m.dipoles.size(), 2u);
  for (const Dipole& d : {a, b}) {
    const auto it = std::min_element(m.dipoles.begin(), m.dipoles.end(), [&](const auto& p, const auto& q) {
      return position_error(p, d) < position_error(q, d);
    });
    EXPECT_LT(position_error(*it, d), 0.05);
    EXPECT_LT(moment_error(*it, d), 0.10);
  }
  EXPECT_LT(m.rms_nt, 0.5);
  // a single dipole cannot explain both
  const DipoleFit one = fit_dipole(s.points(), s.dt);
  EXPECT_GT(one.rms_nt, 5 * m.rms_nt);
}

TEST(MagSourceFit, BadInputIsNamed) {
  Survey s = cart({at_mine(0, 0, 0.3, 0.3, {0, 0, 0})}, 0, 1);
  std::vector<double> shorter(s.dt.begin(), s.dt.end() - 1);
  EXPECT_NE(message_of([&] { fit_dipole(s.points(), shorter); }).find("lengths"), std::string::npos);
  s.dt[5] = NAN;
  EXPECT_NE(message_of([&] { fit_dipole(s.points(), s.dt); }).find("dT[5]"), std::string::npos);
  s.dt[5] = 0;
  std::vector<double> few(3, 0.0);
  EXPECT_NE(message_of([&] { fit_dipole({few, few, few}, few); }).find("at least"), std::string::npos);
  DipoleFitOptions o;
  o.min_depth = 1, o.max_depth = 0.5;
  EXPECT_NE(message_of([&] { fit_dipole(s.points(), s.dt, o); }).find("min_depth"), std::string::npos);
  o = {};
  o.ground_z = 1;  // the sensors at 0.3 m would be underground
  EXPECT_NE(message_of([&] { fit_dipole(s.points(), s.dt, o); }).find("z[0]"), std::string::npos);
  o = {};
  o.field.inclination_deg = 100;
  EXPECT_NE(message_of([&] { fit_dipole(s.points(), s.dt, o); }).find("inclination"), std::string::npos);
  MultiDipoleOptions mo;
  mo.max_dipoles = 0;
  EXPECT_NE(message_of([&] { fit_dipoles(s.points(), s.dt, mo); }).find("max_dipoles"), std::string::npos);
}

namespace {

/// A grid of the exact anomaly of d at `height`, with derivatives by central differences of the
/// forward model (independent of Euler's code).
struct EulerCase {
  Grid t;
  GridValues dx, dy, dz;
};

EulerCase euler_case(const Dipole& d, Index nx, Index ny, double cell, double height) {
  EulerCase c;
  c.t.spec = {0, 0, cell, cell, nx, ny};
  c.t.values.resize(ny, nx), c.dx.resize(ny, nx), c.dy.resize(ny, nx), c.dz.resize(ny, nx);
  const double h = 1e-4;
  std::vector<double> x, y, z, out;
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i)
      for (int k = 0; k < 7; ++k) {
        const double ox = k == 1 ? h : k == 2 ? -h : 0, oy = k == 3 ? h : k == 4 ? -h : 0,
                     oz = k == 5 ? h : k == 6 ? -h : 0;
        x.push_back(double(i) * cell + ox), y.push_back(double(j) * cell + oy), z.push_back(height + oz);
      }
  out.resize(x.size());
  total_field_anomaly(std::vector<Dipole>{d}, {x, y, z}, {}, out, 0);
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i) {
      const double* v = &out[std::size_t(7 * (j * nx + i))];
      c.t.values(j, i) = v[0];
      c.dx(j, i) = (v[1] - v[2]) / (2 * h), c.dy(j, i) = (v[3] - v[4]) / (2 * h), c.dz(j, i) = (v[5] - v[6]) / (2 * h);
    }
  return c;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[v.size() / 2];
}

}  // namespace

TEST(MagSourceEuler, DipoleSolutionsSitAtTheSource) {
  const double cell = 0.1, height = 0.3;
  const Dipole d = at_mine(3.23, 3.08, 0.4, 0.4, {0, 0, 0});
  const EulerCase c = euler_case(d, 64, 64, cell, height);
  EulerOptions o;
  o.window = 10, o.height = height;
  const auto sol = euler_deconvolution(c.t, c.dx, c.dy, c.dz, o);
  ASSERT_EQ(sol.size(), std::size_t(55 * 55));
  std::vector<double> xs, ys, zs;
  for (const auto& s : sol)
    if (s.accepted && std::hypot(s.window_x - d.x, s.window_y - d.y) < 1.0)
      xs.push_back(s.x), ys.push_back(s.y), zs.push_back(s.z);
  ASSERT_GT(xs.size(), 20u);
  EXPECT_NEAR(median(xs), d.x, cell);
  EXPECT_NEAR(median(ys), d.y, cell);
  EXPECT_NEAR(height - median(zs), height - d.z, 0.1 * (height - d.z));
  // the same numbers for any thread count
  o.threads = 1;
  const auto one = euler_deconvolution(c.t, c.dx, c.dy, c.dz, o);
  o.threads = 3;
  const auto three = euler_deconvolution(c.t, c.dx, c.dy, c.dz, o);
  for (std::size_t k = 0; k < one.size(); ++k) {
    ASSERT_EQ(std::isnan(one[k].z), std::isnan(three[k].z));
    if (!std::isnan(one[k].z)) ASSERT_EQ(one[k].z, three[k].z);
  }
}

TEST(MagSourceEuler, WindowMatchesDirectLeastSquares) {
  // every window's solution and uncertainty against a direct least-squares solve of its cells
  std::mt19937_64 g(5);
  std::normal_distribution<double> nz(0, 1);
  const Dipole d = at_mine(1.0, 1.2, 0.3, 0.4, {0.05, 0, 0});
  EulerCase c = euler_case(d, 24, 20, 0.1, 0.3);
  for (Index j = 0; j < 20; ++j)
    for (Index i = 0; i < 24; ++i) c.t.values(j, i) += 0.5 * nz(g), c.dz(j, i) += 2 * nz(g);
  c.t.values(4, 5) = NAN;  // skipped cell
  EulerOptions o;
  o.window = 7, o.step = 3, o.height = 0.3, o.structural_index = 2.5;
  const auto sol = euler_deconvolution(c.t, c.dx, c.dy, c.dz, o);
  const Index nwx = (24 - 7) / 3 + 1, nwy = (20 - 7) / 3 + 1;
  ASSERT_EQ(sol.size(), std::size_t(nwx * nwy));
  for (Index jw = 0; jw < nwy; ++jw)
    for (Index iw = 0; iw < nwx; ++iw) {
      Eigen::MatrixXd a(49, 4);
      Eigen::VectorXd b(49);
      Index n = 0;
      for (Index j = 3 * jw; j < 3 * jw + 7; ++j)
        for (Index i = 3 * iw; i < 3 * iw + 7; ++i) {
          if (std::isnan(c.t.values(j, i))) continue;
          const double x = 0.1 * double(i), y = 0.1 * double(j);
          a.row(n) << c.dx(j, i), c.dy(j, i), c.dz(j, i), 2.5;
          b[n] = x * c.dx(j, i) + y * c.dy(j, i) + 0.3 * c.dz(j, i) + 2.5 * c.t.values(j, i);
          ++n;
        }
      a.conservativeResize(n, 4), b.conservativeResize(n);
      const Eigen::Vector4d th = a.colPivHouseholderQr().solve(b);
      const double var = (a * th - b).squaredNorm() / double(n - 4);
      const Eigen::Matrix4d cov = var * (a.transpose() * a).inverse();
      const auto& s = sol[std::size_t(jw * nwx + iw)];
      ASSERT_EQ(s.cells, n);
      EXPECT_NEAR(s.x, th[0], 1e-7 * (1 + std::abs(th[0])));
      EXPECT_NEAR(s.y, th[1], 1e-7 * (1 + std::abs(th[1])));
      EXPECT_NEAR(s.z, th[2], 1e-7 * (1 + std::abs(th[2])));
      EXPECT_NEAR(s.base, th[3], 1e-6 * (1 + std::abs(th[3])));
      EXPECT_NEAR(s.sigma_z, std::sqrt(cov(2, 2)), 1e-4 * std::sqrt(cov(2, 2)) + 1e-12);
      EXPECT_NEAR(s.sigma_x, std::sqrt(cov(0, 0)), 1e-4 * std::sqrt(cov(0, 0)) + 1e-12);
      EXPECT_DOUBLE_EQ(s.window_x, 0.1 * (3.0 * double(iw) + 3));
    }
}

TEST(MagSourceEuler, NaNWindowsAreSkippedAndBadInputNamed) {
  const Dipole d = at_mine(1.0, 1.0, 0.3, 0.4, {0, 0, 0});
  EulerCase c = euler_case(d, 20, 20, 0.1, 0.3);
  c.t.values.block(0, 0, 10, 10).setConstant(NAN);
  EulerOptions o;
  o.window = 6, o.height = 0.3;
  const auto sol = euler_deconvolution(c.t, c.dx, c.dy, c.dz, o);
  const auto& first = sol[0];  // window (0, 0): all NaN
  EXPECT_EQ(first.cells, 0);
  EXPECT_TRUE(std::isnan(first.z));
  EXPECT_FALSE(first.accepted);
  EXPECT_EQ(sol[std::size_t(15 * 7 + 7)].cells, 36 - 9);  // window at (7, 7): 3 x 3 NaN corner
  EXPECT_NE(message_of([&] {
              GridValues small(5, 5);
              euler_deconvolution(c.t, small, c.dy, c.dz, o);
            }).find("dT/dx"),
            std::string::npos);
  o.window = 30;
  EXPECT_NE(message_of([&] { euler_deconvolution(c.t, c.dx, c.dy, c.dz, o); }).find("window"), std::string::npos);
  o.window = 6, o.structural_index = -1;
  EXPECT_NE(message_of([&] { euler_deconvolution(c.t, c.dx, c.dy, c.dz, o); }).find("structural_index"),
            std::string::npos);
}

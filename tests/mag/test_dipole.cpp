#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/mag/dipole.hpp"

using namespace sapper::mag;

namespace {

struct Cloud {
  std::vector<double> x, y, z;
  Points points() const { return {x, y, z}; }
  std::size_t size() const { return x.size(); }
};

/// Random points above the ground and dipoles below it.
Cloud random_points(std::size_t n, unsigned seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-3, 3), h(0.1, 1.0);
  Cloud c;
  for (std::size_t i = 0; i < n; ++i) c.x.push_back(u(g)), c.y.push_back(u(g)), c.z.push_back(h(g));
  return c;
}

std::vector<Dipole> random_dipoles(std::size_t k, unsigned seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-2, 2), d(0.05, 1.0), m(-1, 1);
  std::vector<Dipole> r;
  for (std::size_t i = 0; i < k; ++i) r.push_back({u(g), u(g), -d(g), m(g), m(g), m(g)});
  return r;
}

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const sapper::ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

}  // namespace

TEST(Dipole, VerticalDipoleUnderVerticalFieldMatchesClosedForm) {
  // I = 90: F points down; an induced moment m points down too. Along a profile at height 0 over a
  // dipole at depth d, the field along F is 1e-7 m (2d^2 - x^2) / (x^2 + d^2)^(5/2) T and the
  // horizontal one -1e-7 m 3 d x / (x^2 + d^2)^(5/2) T (towards the dipole where it points down).
  const double m = 0.5, d = 0.4, f0 = 50000;
  const EarthField field{f0, 90, 0};
  const Dipole dip{0, 0, -d, 0, 0, -m};
  Cloud c;
  for (int i = -100; i <= 100; ++i) c.x.push_back(i * 0.02), c.y.push_back(0), c.z.push_back(0);
  std::vector<double> dt(c.size()), bx(c.size()), by(c.size()), bz(c.size());
  total_field_anomaly({&dip, 1}, c.points(), field, dt, 1);
  dipole_field({&dip, 1}, c.points(), bx, by, bz, 1);
  for (std::size_t i = 0; i < c.size(); ++i) {
    const double x = c.x[i], r5 = std::pow(x * x + d * d, 2.5);
    const double b_down = 1e2 * m * (2 * d * d - x * x) / r5, b_x = -1e2 * m * 3 * d * x / r5;  // nT
    EXPECT_NEAR(bz[i], -b_down, 1e-12 * std::abs(b_down) + 1e-12);
    EXPECT_NEAR(bx[i], b_x, 1e-12 * std::abs(b_x) + 1e-12);
    EXPECT_EQ(by[i], 0.0);
    const double exact = std::sqrt((f0 + b_down) * (f0 + b_down) + b_x * b_x) - f0;
    EXPECT_NEAR(dt[i], exact, 1e-9 * std::abs(exact) + 1e-10) << "x = " << x;
  }
  EXPECT_NEAR(dt[100], 1e2 * m * 2 / (d * d * d), 1e-6 * dt[100]);  // 1562.5 nT right above
}

TEST(Dipole, FieldMatchesDirectFormulaForRandomGeometry) {
  const auto c = random_points(1000, 1);
  const auto dips = random_dipoles(7, 2);
  std::vector<double> bx(c.size()), by(c.size()), bz(c.size());
  dipole_field(dips, c.points(), bx, by, bz, 2);
  for (std::size_t i = 0; i < c.size(); ++i) {
    double e[3] = {0, 0, 0};
    for (const auto& q : dips) {  // 1e-7 (3 (m.r) r - m |r|^2) / |r|^5 T
      const double r[3] = {c.x[i] - q.x, c.y[i] - q.y, c.z[i] - q.z}, mv[3] = {q.mx, q.my, q.mz};
      const double rr = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
      const double mr = mv[0] * r[0] + mv[1] * r[1] + mv[2] * r[2];
      for (int a = 0; a < 3; ++a) e[a] += 1e-7 * (3 * mr * r[a] - mv[a] * rr * rr) / std::pow(rr, 5) * 1e9;
    }
    const double scale = std::hypot(e[0], e[1], e[2]);
    EXPECT_NEAR(bx[i], e[0], 1e-11 * scale);
    EXPECT_NEAR(by[i], e[1], 1e-11 * scale);
    EXPECT_NEAR(bz[i], e[2], 1e-11 * scale);
  }
}

TEST(Dipole, AnomalyIsProjectionOnFieldToSecondOrder) {
  // dT = F^.B + O(|B|^2 / F): small dipoles far from the points.
  auto c = random_points(500, 3);
  auto dips = random_dipoles(3, 4);
  for (auto& q : dips) q.mx *= 1e-2, q.my *= 1e-2, q.mz *= 1e-2;
  const EarthField field{49800, 58, 6};
  std::vector<double> dt(c.size()), bx(c.size()), by(c.size()), bz(c.size());
  total_field_anomaly(dips, c.points(), field, dt, 0);
  dipole_field(dips, c.points(), bx, by, bz, 0);
  const auto u = field_direction(field);
  EXPECT_NEAR(u[0] * u[0] + u[1] * u[1] + u[2] * u[2], 1.0, 1e-15);
  EXPECT_NEAR(u[2], -std::sin(58 * std::numbers::pi / 180), 1e-15);
  for (std::size_t i = 0; i < c.size(); ++i) {
    const double b2 = bx[i] * bx[i] + by[i] * by[i] + bz[i] * bz[i];
    const double proj = u[0] * bx[i] + u[1] * by[i] + u[2] * bz[i];
    EXPECT_LE(std::abs(dt[i] - proj), b2 / field.total_nt + 1e-12);
  }
}

TEST(Dipole, SameNumbersForAnyThreadCount) {
  const auto c = random_points(1000 + 37, 5);  // not a multiple of the block length
  const auto dips = random_dipoles(5, 6);
  std::vector<double> a(c.size()), b(c.size()), d(c.size());
  total_field_anomaly(dips, c.points(), {}, a, 1);
  total_field_anomaly(dips, c.points(), {}, b, 2);
  total_field_anomaly(dips, c.points(), {}, d, 3);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, d);
}

TEST(Dipole, NoDipolesGiveZero) {
  const auto c = random_points(10, 7);
  std::vector<double> a(c.size(), 1.0);
  total_field_anomaly({}, c.points(), {}, a);
  for (double v : a) EXPECT_EQ(v, 0.0);
}

TEST(Dipole, RejectsBadInputNamingIt) {
  auto c = random_points(10, 8);
  auto dips = random_dipoles(2, 9);
  std::vector<double> out(c.size());
  c.x[3] = std::nan("");
  EXPECT_NE(message_of([&] { total_field_anomaly(dips, c.points(), {}, out); }).find("x[3]"), std::string::npos);
  c.x[3] = 0;
  dips[1].mx = INFINITY;
  EXPECT_NE(message_of([&] { total_field_anomaly(dips, c.points(), {}, out); }).find("dipole[1].mx"),
            std::string::npos);
  dips[1].mx = 0;
  c.x[5] = dips[0].x, c.y[5] = dips[0].y, c.z[5] = dips[0].z;  // at the dipole
  const auto msg = message_of([&] { total_field_anomaly(dips, c.points(), {}, out, 2); });
  EXPECT_NE(msg.find("point 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dipole 0"), std::string::npos) << msg;
  c.z[5] = 1;
  std::vector<double> short_out(3);
  EXPECT_THROW(total_field_anomaly(dips, c.points(), {}, short_out), sapper::ValueError);
  EXPECT_NE(message_of([&] {
              total_field_anomaly(dips, c.points(), {49800, 91, 0}, out);
            }).find("inclination_deg"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              total_field_anomaly(dips, c.points(), {NAN, 60, 0}, out);
            }).find("total_nt"),
            std::string::npos);
  EXPECT_THROW(total_field_anomaly(dips, c.points(), {}, out, -1), sapper::ValueError);
}

TEST(Dipole, InducedMomentIsDemagnetisationLimited) {
  // 1 litre of steel in 50,000 nT: 3 V B0 / mu0 = 3e-3 * 5e-5 / (4 pi 1e-7) = 0.119 A m^2, along F.
  const EarthField f{50000, 60, -10};
  const auto m = induced_moment(1e-3, f);
  const auto u = field_direction(f);
  const double expected = 3e-3 * 50000e-9 / (4e-7 * std::numbers::pi);
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(m[std::size_t(a)], expected * u[std::size_t(a)], 1e-12 * expected);
  EXPECT_NEAR(induced_moment(1e-3, f, 1.5)[2], m[2] / 2, 1e-12);
  EXPECT_NE(message_of([&] { induced_moment(-1, f); }).find("volume_m3"), std::string::npos);
  EXPECT_NE(message_of([&] { induced_moment(1, f, NAN); }).find("apparent_susceptibility"), std::string::npos);
}

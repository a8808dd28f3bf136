// Grid transforms and target picking against the dipole forward model (the oracle) and closed forms.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/mag/dipole.hpp"
#include "sapper/mag/transform.hpp"

using namespace sapper::mag;
using sapper::Index;

namespace {

constexpr double kPi = std::numbers::pi;

/// n x n grid of spacing d centred on (0, 0).
GridSpec centred(Index n, double d) { return {-d * double(n / 2), -d * double(n / 2), d, d, n, n}; }

/// Total-field anomaly of the dipoles on the grid's cells at height z, nT.
Grid anomaly(const GridSpec& s, const std::vector<Dipole>& dips, const EarthField& f, double z) {
  std::vector<double> x, y, zz, t(std::size_t(s.nx * s.ny));
  for (Index j = 0; j < s.ny; ++j)
    for (Index i = 0; i < s.nx; ++i) x.push_back(s.x(i)), y.push_back(s.y(j)), zz.push_back(z);
  total_field_anomaly(dips, {x, y, zz}, f, t, 1);
  Grid g{s, GridValues(s.ny, s.nx)};
  std::copy(t.begin(), t.end(), g.values.data());
  return g;
}

/// Induced dipole of moment magnitude m (A m^2) along the field f at (x, y, z).
Dipole induced(double x, double y, double z, double m, const EarthField& f) {
  const auto u = field_direction(f);
  return {x, y, z, m * u[0], m * u[1], m * u[2]};
}

/// max |a - b| over cells within `radius` m of (0, 0), divided by max |b| there.
double rel_error(const Grid& a, const Grid& b, double radius) {
  double e = 0, r = 0;
  for (Index j = 0; j < a.spec.ny; ++j)
    for (Index i = 0; i < a.spec.nx; ++i) {
      if (std::hypot(a.spec.x(i), a.spec.y(j)) > radius) continue;
      e = std::max(e, std::abs(a.values(j, i) - b.values(j, i)));
      r = std::max(r, std::abs(b.values(j, i)));
    }
  return e / r;
}

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const sapper::ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

// Grid of 256 x 256 cells of 0.1 m (25.6 m square) over a source 1 m down: at the edges (12.8
// depths away) the anomaly is ~(1/12.8)^3 = 5e-4 of its peak, so truncation and the taper add
// errors of that order; |B| ~ 10 nT keeps |F + B| - |F| linear in B to 1e-4 relative (B^2 / 2F).
constexpr Index kN = 256;
constexpr double kD = 0.1, kDepth = 1.0, kMoment = 0.05;

}  // namespace

TEST(MagTransformRtp, InducedDipoleReducesToThePoleAnomaly) {
  const GridSpec s = centred(kN, kD);
  for (double inc : {58.0, 30.0, -40.0}) {
    const EarthField f{49800, inc, 12}, pole{49800, 90, 0};
    const Grid t = anomaly(s, {induced(0, 0, -kDepth, kMoment, f)}, f, 0);
    const Grid ref = anomaly(s, {induced(0, 0, -kDepth, kMoment, pole)}, pole, 0);
    const Grid rtp = reduction_to_pole(t, inc, 12, inc, 12);
    // within 4 depths of the source (where the anomaly is > 1e-2 of its peak)
    EXPECT_LT(rel_error(rtp, ref, 4 * kDepth), 2e-3) << "I = " << inc;  // measured <= 2.7e-4
  }
}

TEST(MagTransformRtp, RemanentMagnetisationDirection) {
  // magnetisation (Im, Dm) = (-20, 70) in a field (58, 6): RTP gives the induced-at-the-pole anomaly
  const GridSpec s = centred(kN, kD);
  const EarthField f{49800, 58, 6}, mdir{49800, -20, 70}, pole{49800, 90, 0};
  const Grid t = anomaly(s, {induced(0, 0, -kDepth, kMoment, mdir)}, f, 0);
  const Grid ref = anomaly(s, {induced(0, 0, -kDepth, kMoment, pole)}, pole, 0);
  const Grid rtp = reduction_to_pole(t, 58, 6, -20, 70, 10);
  EXPECT_LT(rel_error(rtp, ref, 4 * kDepth), 5e-3);
}

TEST(MagTransformRtp, ResponseIsExactAboveAndBoundedBelowTheStabilisationInclination) {
  auto theta = [](double inc, double dec, double kx, double ky) {
    const double I = inc * kPi / 180, D = dec * kPi / 180, k = std::hypot(kx, ky);
    return std::complex<double>(std::sin(I), std::cos(I) * (std::sin(D) * kx + std::cos(D) * ky) / k);
  };
  const Filter exact = Filter::reduction_to_pole(35, 20);
  const Filter low = Filter::reduction_to_pole(5, 20, 20.0), raw = Filter::reduction_to_pole(5, 20, 0.0);
  double worst_raw = 0;
  for (int a = 0; a < 360; a += 3) {
    const double kx = std::cos(a * kPi / 180), ky = std::sin(a * kPi / 180);
    const auto t = theta(35, 20, kx, ky);
    EXPECT_NEAR(std::abs(exact.response(kx, ky) * t * t - 1.0), 0, 1e-12);
    // bounded amplitude 1/sin^2(20 deg) and the exact phase -2 arg(T)
    const auto h = low.response(kx, ky), t5 = theta(5, 20, kx, ky);
    EXPECT_LE(std::abs(h), 1 / std::pow(std::sin(20 * kPi / 180), 2) + 1e-9);
    EXPECT_NEAR(std::abs(std::arg(h * t5 * t5)), 0, 1e-9);
    worst_raw = std::max(worst_raw, std::abs(raw.response(kx, ky)));
  }
  EXPECT_GT(worst_raw, 100.0);  // 1/sin^2(5 deg) = 132: why it needs stabilising
}

TEST(MagTransformContinuation, UpwardEqualsForwardModelHigher) {
  const GridSpec s = centred(kN, kD);
  const EarthField f{49800, 58, 6};
  const std::vector<Dipole> d = {induced(0, 0, -kDepth, kMoment, f)};
  const Grid t = anomaly(s, d, f, 0);
  for (double h : {0.3, 1.0})  // measured <= 1.2e-4
    EXPECT_LT(rel_error(upward_continuation(t, h), anomaly(s, d, f, h), 4), 1e-3) << h;
}

TEST(MagTransformDerivative, MatchFiniteDifferencesOfTheForwardModel) {
  const GridSpec s = centred(kN, kD);
  const EarthField f{49800, 58, 6};
  const std::vector<Dipole> d = {induced(0.05, -0.03, -kDepth, kMoment, f)};
  const Grid t = anomaly(s, d, f, 0);
  // central differences of the forward model: step 1e-4 m, truncation ~e^2 T''' (1e-8 relative)
  const double e = 1e-4;
  auto shifted = [&](double ox, double oy, double z) {
    GridSpec q = s;
    q.x0 += ox, q.y0 += oy;
    Grid g = anomaly(q, d, f, z);
    g.spec = s;
    return g;
  };
  Grid fdx{s, (shifted(e, 0, 0).values - shifted(-e, 0, 0).values) / (2 * e)};
  Grid fdy{s, (shifted(0, e, 0).values - shifted(0, -e, 0).values) / (2 * e)};
  Grid fdz{s, (shifted(0, 0, e).values - shifted(0, 0, -e).values) / (2 * e)};
  const double e2 = 1e-3;
  Grid fdzz{s, (shifted(0, 0, e2).values - 2 * t.values + shifted(0, 0, -e2).values) / (e2 * e2)};
  EXPECT_LT(rel_error(derivative_easting(t), fdx, 4), 3e-3);
  EXPECT_LT(rel_error(derivative_northing(t), fdy, 4), 3e-3);
  EXPECT_LT(rel_error(derivative_upward(t), fdz, 4), 3e-3);
  EXPECT_LT(rel_error(derivative_upward(t, 2), fdzz, 4), 3e-3);
  // the total gradient amplitude and tilt from the same derivatives
  const Grid asa = total_gradient_amplitude(t), ti = tilt(t);
  Grid asa_ref{s, (fdx.values.array().square() + fdy.values.array().square() + fdz.values.array().square()).sqrt().matrix()};
  EXPECT_LT(rel_error(asa, asa_ref, 4), 3e-3);
  for (Index j = 100; j < 156; j += 5)
    for (Index i = 100; i < 156; i += 5)
      EXPECT_NEAR(ti.values(j, i), std::atan2(-fdz.values(j, i), std::hypot(fdx.values(j, i), fdy.values(j, i))), 2e-2);
}

TEST(MagTransformFilter, CosineWaveIsScaledByTheResponse) {
  // On a periodic grid (no padding) cos(kx x + ky y) on FFT bins is an eigenfunction: the output is
  // |H| cos(. + arg H) exactly, H from its closed form here.
  const Index nx = 64, ny = 48;
  const double dx = 0.5, dy = 0.25;
  const double kx = 2 * kPi * 5 / (nx * dx), ky = 2 * kPi * -3 / (ny * dy), k = std::hypot(kx, ky);
  Grid g{{0, 0, dx, dy, nx, ny}, GridValues(ny, nx)};
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i) g.values(j, i) = std::cos(kx * i * dx + ky * j * dy);
  const double lc = 4.0, kc = 2 * kPi / lc;
  struct Case {
    Filter f;
    std::complex<double> h;
  };
  const double r4 = std::pow(k / kc, 4);
  const std::vector<Case> cases = {
      {Filter::gaussian_lowpass(lc), std::exp(-k * k / (2 * kc * kc))},
      {Filter::gaussian_highpass(lc), 1 - std::exp(-k * k / (2 * kc * kc))},
      {Filter::butterworth_lowpass(lc, 2), 1 / std::sqrt(1 + r4)},
      {Filter::butterworth_highpass(lc, 2), std::sqrt(r4) / std::sqrt(1 + r4)},
      {Filter::upward_continuation(0.7), std::exp(-0.7 * k)},
      {Filter::derivative_upward(3), -k * k * k},
      {Filter::derivative_easting(), {0, kx}},
      {Filter::derivative_northing(), {0, ky}},
      {Filter::derivative_easting() * Filter::upward_continuation(0.7) * Filter::gaussian_lowpass(lc),
       std::complex<double>(0, kx) * std::exp(-0.7 * k) * std::exp(-k * k / (2 * kc * kc))},
  };
  TransformOptions o;
  o.padding = Padding::none;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Grid r = apply_filter(g, cases[c].f, o);
    const double a = std::abs(cases[c].h), p = std::arg(cases[c].h);
    double err = 0;
    for (Index j = 0; j < ny; ++j)
      for (Index i = 0; i < nx; ++i)
        err = std::max(err, std::abs(r.values(j, i) - a * std::cos(kx * i * dx + ky * j * dy + p)));
    EXPECT_LT(err, 1e-12 * std::max(1.0, a)) << "case " << c;
  }
}

TEST(MagTransformFilter, ComposedFilterEqualsSequentialFilters) {
  const GridSpec s = centred(128, 0.2);
  const EarthField f{49800, 58, 6};
  const Grid t = anomaly(s, {induced(0, 0, -1, kMoment, f)}, f, 0);
  TransformOptions o;
  o.padding = Padding::none;  // with padding, each pass pads again and the two differ at the edges
  const Grid once = apply_filter(t, Filter::upward_continuation(0.5) * Filter::reduction_to_pole(58, 6), o);
  const Grid twice = reduction_to_pole(upward_continuation(t, 0.5, o), 58, 6, 58, 6, 20, o);
  EXPECT_LT((once.values - twice.values).cwiseAbs().maxCoeff(), 1e-12 * once.values.cwiseAbs().maxCoeff());
}

TEST(MagTransformPadding, ConstantGridStaysConstantAndModesDiffer) {
  Grid g{{0, 0, 1, 1, 37, 29}, GridValues::Constant(29, 37, 3.5)};
  for (Padding p : {Padding::none, Padding::mirror, Padding::taper}) {
    TransformOptions o;
    o.padding = p;
    EXPECT_LT((apply_filter(g, Filter::gaussian_lowpass(5), o).values.array() - 3.5).abs().maxCoeff(), 1e-12);
    EXPECT_LT(derivative_easting(g, o).values.cwiseAbs().maxCoeff(), 1e-12);
  }
  // a ramp: mirror padding keeps d/dx = 1 in the interior; no padding wraps the jump into it
  for (Index j = 0; j < 29; ++j)
    for (Index i = 0; i < 37; ++i) g.values(j, i) = double(i);
  TransformOptions m, n;
  m.padding = Padding::mirror, n.padding = Padding::none;
  const Grid lm = apply_filter(g, Filter::gaussian_lowpass(6) * Filter::derivative_easting(), m);
  const Grid ln = apply_filter(g, Filter::gaussian_lowpass(6) * Filter::derivative_easting(), n);
  EXPECT_NEAR(lm.values(14, 18), 1.0, 1e-3);
  EXPECT_GT(std::abs(ln.values(14, 18) - 1.0), 1e-2);
}

TEST(MagTransformThreads, IdenticalForAnyThreadCount) {
  const GridSpec s = centred(200, 0.1);
  const EarthField f{49800, 58, 6};
  Grid t = anomaly(s, {induced(0.3, 0.2, -0.8, kMoment, f)}, f, 0);
  t.values(10, 20) = NAN;
  TransformOptions o1, o3;
  o1.threads = 1, o3.threads = 3;
  const Grid a = total_gradient_amplitude(t, o1), b = total_gradient_amplitude(t, o3);
  const Grid c = reduction_to_pole(t, 58, 6, 58, 6, 20, o1), d = reduction_to_pole(t, 58, 6, 58, 6, 20, o3);
  for (Index q = 0; q < a.values.size(); ++q) {
    if (std::isnan(a.values.data()[q])) {
      EXPECT_TRUE(std::isnan(b.values.data()[q]));
      continue;
    }
    // bit-identical in a generic build; with -march=native the last bit may differ (FMA
    // contraction in code whose vector/scalar split follows the buffers' alignment), so compare to
    // 1e-12 of the peak
    ASSERT_NEAR(a.values.data()[q], b.values.data()[q], 1e-12 * a.values.cwiseAbs().maxCoeff()) << q;
    ASSERT_NEAR(c.values.data()[q], d.values.data()[q], 1e-12 * c.values.cwiseAbs().maxCoeff()) << q;
  }
}

TEST(MagTransformNaN, HolesAreRemaskedAndFarCellsUnchanged) {
  const GridSpec s = centred(kN, kD);
  const EarthField f{49800, 58, 6};
  const Grid t = anomaly(s, {induced(0, 0, -kDepth, kMoment, f)}, f, 0);
  Grid holed = t;
  // a 1 m x 1 m hole 3 m east of the source, and a corner region without data
  for (Index j = 123; j < 133; ++j)
    for (Index i = 158; i < 168; ++i) holed.values(j, i) = NAN;
  for (Index j = 0; j < 40; ++j)
    for (Index i = 0; i < 40 - j; ++i) holed.values(j, i) = NAN;
  const Grid before = holed;
  const Grid a = reduction_to_pole(t, 58, 6, 58, 6), b = reduction_to_pole(holed, 58, 6, 58, 6);
  EXPECT_TRUE((holed.values.array() == before.values.array() || holed.values.array().isNaN()).all());  // input kept
  double peak = a.values.cwiseAbs().maxCoeff(), worst = 0;
  for (Index j = 0; j < kN; ++j)
    for (Index i = 0; i < kN; ++i) {
      EXPECT_EQ(std::isnan(b.values(j, i)), std::isnan(holed.values(j, i)));
      // 1 m (10 cells) away from the hole, within 4 m of the source
      const bool near_hole = j > 113 && j < 143 && i > 148 && i < 178;
      if (!near_hole && std::hypot(s.x(i), s.y(j)) < 4) worst = std::max(worst, std::abs(a.values(j, i) - b.values(j, i)));
    }
  EXPECT_LT(worst / peak, 2e-3);
}

TEST(MagTransformPick, AnalyticSignalPeakSitsOverTheSource) {
  // a 0.25 m grid at 0.3 m sensor height over a 0.5 m deep mine-like dipole off the cell centres
  const GridSpec s = centred(160, 0.25);
  const EarthField f{49800, 58, 6};
  const Dipole d = induced(0.37, -0.61, -0.5, 0.1, f);
  const Grid t = anomaly(s, {d}, f, 0.3);
  const Grid asa = total_gradient_amplitude(t);
  Index jm, im;
  asa.values.maxCoeff(&jm, &im);
  EXPECT_LE(std::abs(s.x(im) - d.x), 0.25);
  EXPECT_LE(std::abs(s.y(jm) - d.y), 0.25);
  const auto picks = pick_peaks(asa);
  ASSERT_GE(picks.size(), 1u);
  EXPECT_LT(std::hypot(picks[0].x - d.x, picks[0].y - d.y), 0.25);
}

TEST(MagTransformPick, FindsSeparatedDipolesWithTheirLobes) {
  const GridSpec s = centred(200, 0.1);  // 20 m square
  const EarthField f{49800, 58, 6};
  const std::vector<Dipole> d = {induced(-5, -5, -0.4, 0.1, f), induced(4.5, -4.8, -0.3, 0.05, f),
                                 induced(-4.2, 5.1, -0.5, 0.2, f), induced(5.3, 4.4, -0.35, 0.03, f)};
  Grid t = anomaly(s, d, f, 0.3);
  std::mt19937_64 g(7);
  std::normal_distribution<double> noise(0, 0.2);  // a moving caesium sensor, nT
  for (Index q = 0; q < t.values.size(); ++q) t.values.data()[q] += noise(g);
  // without the field direction the total gradient peaks ~0.2 depth south of each source
  const auto raw = pick_targets(t);
  ASSERT_EQ(raw.size(), d.size());
  PickOptions o;
  o.inclination_deg = 58, o.declination_deg = 6;
  const auto picks = pick_targets(t, o);
  ASSERT_EQ(picks.size(), d.size());
  auto nearest = [](const std::vector<Pick>& ps, const Dipole& di) {
    const Pick* best = nullptr;
    for (const Pick& p : ps)
      if (!best || std::hypot(p.x - di.x, p.y - di.y) < std::hypot(best->x - di.x, best->y - di.y)) best = &p;
    return *best;
  };
  for (const Dipole& di : d) {
    const double depth = 0.3 - di.z;
    const Pick r = nearest(raw, di), best = nearest(picks, di);
    EXPECT_LT(std::hypot(r.x - di.x, r.y - di.y), 0.3 * depth);
    // pole-reduced: within a cell of the source
    EXPECT_LT(std::hypot(best.x - di.x, best.y - di.y), 0.1);
    // the ASA of a dipole is ~1.3 depth wide at half height
    EXPECT_GT(best.width_m, 0.5 * depth);
    EXPECT_LT(best.width_m, 2.5 * depth);
    // at I = 58 the positive lobe lies south of the source and the negative one north of it
    ASSERT_TRUE(std::isfinite(best.negative_nt));
    EXPECT_LT(best.negative_nt, 0);
    EXPECT_GT(best.positive_nt, 0);
    EXPECT_GT(best.negative_y, di.y);
    EXPECT_LT(best.positive_y, di.y + 0.1);
    EXPECT_GT(best.negative_y, best.positive_y);
  }
}

TEST(MagTransformPick, NoPickInPureNoise) {
  // Gaussian noise: P(x > median + 5 sigma) = 2.9e-7 per cell, so 256^2 cells expect 0.019
  // exceedances (P(any) < 2%); the gradient floor (5 x the gradient rms) is far higher still.
  const GridSpec s = centred(kN, 0.1);
  Grid t{s, GridValues(kN, kN)};
  std::mt19937_64 g(11);
  std::normal_distribution<double> noise(0, 0.2);
  for (Index q = 0; q < t.values.size(); ++q) t.values.data()[q] = 3.0 + noise(g);
  EXPECT_TRUE(pick_peaks(t).empty());
  EXPECT_TRUE(pick_targets(t).empty());
  PickOptions lax;
  lax.k = 2;  // and the floor is what stops them: at 2 sigma there are many
  EXPECT_GT(pick_peaks(t, lax).size(), 100u);
}

TEST(MagTransformPick, SubCellPositionOfAParaboloid) {
  const GridSpec s{0, 0, 0.5, 0.5, 21, 21};
  Grid g{s, GridValues(21, 21)};
  for (Index j = 0; j < 21; ++j)
    for (Index i = 0; i < 21; ++i) g.values(j, i) = 10 - std::pow(s.x(i) - 4.87, 2) - 2 * std::pow(s.y(j) - 5.11, 2);
  g.values(0, 0) = NAN;
  PickOptions o;
  o.k = 1;
  const auto p = pick_peaks(g, o);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(p[0].x, 4.87, 1e-9);
  EXPECT_NEAR(p[0].y, 5.11, 1e-9);
  EXPECT_NEAR(p[0].amplitude, 10, 1e-9);
}

TEST(MagTransformErrors, BadInputNamesTheValue) {
  Grid g{{0, 0, 1, 1, 8, 8}, GridValues::Zero(8, 8)};
  g.values(2, 3) = INFINITY;
  EXPECT_NE(message_of([&] { derivative_easting(g); }).find("row 2, column 3"), std::string::npos);
  g.values.setConstant(NAN);
  EXPECT_NE(message_of([&] { tilt(g); }).find("no finite value"), std::string::npos);
  g.values.setZero();
  TransformOptions o;
  o.pad_fraction = -1;
  EXPECT_NE(message_of([&] { derivative_easting(g, o); }).find("pad_fraction = -1"), std::string::npos);
  o = {}, o.threads = -2;
  EXPECT_NE(message_of([&] { derivative_easting(g, o); }).find("threads = -2"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::upward_continuation(0); }).find("height_m = 0"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::derivative_upward(0); }).find("order = 0"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::gaussian_lowpass(-1); }).find("cutoff_wavelength_m = -1"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::butterworth_highpass(1, 0); }).find("order = 0"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::reduction_to_pole(91, 0); }).find("inclination_deg = 91"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::reduction_to_pole(60, NAN); }).find("declination_deg = nan"), std::string::npos);
  EXPECT_NE(message_of([] { Filter::reduction_to_pole(60, 0, 90.0); }).find("stabilisation_deg = 90"), std::string::npos);
  PickOptions p;
  p.k = 0;
  EXPECT_NE(message_of([&] { pick_peaks(g, p); }).find("k = 0"), std::string::npos);
  Grid other{{0, 0, 2, 1, 8, 8}, GridValues::Zero(8, 8)};
  EXPECT_NE(message_of([&] { pick_peaks(g, {}, &other); }).find("total_field"), std::string::npos);
  Grid bad{{0, 0, 0, 1, 8, 8}, GridValues::Zero(8, 8)};
  EXPECT_NE(message_of([&] { derivative_easting(bad); }).find("spacing"), std::string::npos);
  Grid wrong{{0, 0, 1, 1, 8, 8}, GridValues::Zero(7, 8)};
  EXPECT_NE(message_of([&] { derivative_easting(wrong); }).find("7 x 8"), std::string::npos);
}

TEST(MagTransformGrid, TinyGridsWork) {
  Grid one{{0, 0, 1, 1, 1, 1}, GridValues::Constant(1, 1, 2.0)};
  EXPECT_NEAR(apply_filter(one, Filter::gaussian_lowpass(3)).values(0, 0), 2.0, 1e-12);
  Grid row{{0, 0, 1, 1, 5, 1}, GridValues::Constant(1, 5, 1.0)};
  EXPECT_NEAR(total_gradient_amplitude(row).values.cwiseAbs().maxCoeff(), 0, 1e-12);
}

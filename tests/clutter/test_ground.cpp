// Ground-bounce tracking, flattening and adaptive removal on synthetic B-scans whose bounce times
// and amplitudes are known: Ricker wavelets written from the formula at sub-sample times.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "sapper/clutter/ground.hpp"

using namespace sapper;
using namespace sapper::clutter;

namespace {

constexpr double kPi = std::numbers::pi;
double ricker(double t, double f_ghz) {
  const double a = kPi * f_ghz * t;
  return (1 - 2 * a * a) * std::exp(-a * a);
}

struct Scene {
  Matrix<double> data;
  std::vector<double> t_ground, amp;
  TraceFormat f{256, 0.025, 0};
};

/// A rough-ground bounce (negative polarity, amplitude varying along the profile), a weak antenna
/// coupling at 0.5 ns, and optionally a small target hyperbola 1 ns below the mean surface.
Scene scene(Index m, double rough_ns, bool target, unsigned seed = 1) {
  Scene s;
  s.data = Matrix<double>::Zero(256, m);
  std::mt19937 g(seed);
  std::normal_distribution<double> nd(0, 1);
  // smooth random surface: a few sinusoids of random phase
  double ph[3] = {nd(g), nd(g), nd(g)};
  for (Index j = 0; j < m; ++j) {
    const double x = double(j);
    const double r = rough_ns * (std::sin(0.11 * x + ph[0]) + 0.6 * std::sin(0.37 * x + ph[1]) + 0.4 * std::sin(0.9 * x + ph[2])) / 1.25;
    s.t_ground.push_back(2.0 + r);
    s.amp.push_back(-(1.0 + 0.2 * std::sin(0.05 * x)));
    for (Index i = 0; i < 256; ++i) {
      const double t = double(i) * 0.025;
      double v = s.amp.back() * ricker(t - s.t_ground.back(), 1.5) + 0.2 * ricker(t - 0.5, 1.5);
      if (target) {
        const double xt = (x - double(m) / 2) * 0.02, tt = 3.0 + 2 * std::sqrt(0.1 * 0.1 + xt * xt) / 0.12 - 2 * 0.1 / 0.12;
        v += 0.05 * ricker(t - tt, 1.5);
      }
      s.data(i, j) = v;
    }
  }
  return s;
}

}  // namespace

TEST(ClutterGround, TrackingRecoversSubSampleBounceTimes) {
  const auto s = scene(200, 0.08, false);  // bounce wanders by +-3 samples
  GroundTrackOptions o;
  o.search_start_ns = 1.0;  // after the coupling
  const auto p = track_ground<double>(s.data, s.f, o);
  ASSERT_EQ(p.size(), 200u);
  double worst = 0;
  for (std::size_t j = 0; j < p.size(); ++j) worst = std::max(worst, std::abs(p[j] - s.t_ground[j]));
  EXPECT_LT(worst, 0.05 * s.f.dt_ns);  // a twentieth of a sample
  // float data give the same picks to float precision
  const Matrix<float> d = s.data.cast<float>();
  const auto pf = track_ground<float>(d, s.f, o);
  for (std::size_t j = 0; j < p.size(); ++j) EXPECT_NEAR(pf[j], p[j], 1e-3 * s.f.dt_ns);
}

TEST(ClutterGround, OutliersAreReplacedByTheRunningMedian) {
  auto s = scene(120, 0.0, false);
  // trace 60: a strong shallow echo 0.6 ns below the bounce beats it in the raw peak search
  for (Index i = 0; i < 256; ++i) s.data(i, 60) += -3.0 * ricker(double(i) * 0.025 - 2.6, 1.5);
  GroundTrackOptions o;
  o.search_start_ns = 1.0;
  o.refine_iterations = 0;
  const auto p = track_ground<double>(s.data, s.f, o);
  EXPECT_NEAR(p[60], 2.0, 1e-9);
  o.outlier_mads = 0;  // off: the echo wins
  EXPECT_NEAR(track_ground<double>(s.data, s.f, o)[60], 2.6, 0.05);
}

TEST(ClutterGround, FlatteningPutsEveryBounceOnTheReference) {
  const auto s = scene(64, 0.08, false);
  Matrix<double> y(256, 64);
  const double r = flatten<double>(s.data, y, s.f, s.t_ground, 2.0);
  EXPECT_EQ(r, 2.0);
  // after flattening, every trace's bounce is the same wavelet at 2 ns: compare with the formula
  for (Index j = 0; j < 64; ++j)
    for (Index i = 60; i < 100; ++i)
      EXPECT_NEAR(y(i, j), s.amp[std::size_t(j)] * ricker(double(i) * 0.025 - 2.0, 1.5), 2e-3) << i << "," << j;
}

TEST(ClutterGround, AdaptiveRemovalLeavesTheTargetAndLittleBounce) {
  const auto s = scene(160, 0.08, true), bare = scene(160, 0.08, false);
  const Matrix<double> target = s.data - bare.data;
  // without ringing removal: the bounce goes, the coupling at 0.5 ns and everything outside the gate stay
  GroundRemovalOptions o;
  o.remove_ringing = false;
  Matrix<double> out(256, 160);
  const auto fit = remove_ground<double>(s.data, out, s.f, s.t_ground, o);
  double e_bounce = 0, e_res = 0;
  for (Index j = 0; j < 160; ++j)
    for (Index i = 60; i < 110; ++i) {  // 1.5 to 2.75 ns: the bounce's band
      const double b = bare.amp.at(std::size_t(j)) * ricker(double(i) * 0.025 - bare.t_ground[std::size_t(j)], 1.5);
      const double res = out(i, j) - target(i, j) - 0.2 * ricker(double(i) * 0.025 - 0.5, 1.5);
      e_bounce += b * b, e_res += res * res;
    }
  EXPECT_LT(e_res / e_bounce, 1e-3);  // more than 30 dB of the bounce removed
  // below the gate (plus the surface's spread and the 8 taps of the shift back) nothing is touched
  const Index i_out = Index(std::ceil((fit.reference_ns + 0.1 + fit.gate_after_ns) / 0.025)) + 9;
  ASSERT_LT(i_out, 250);
  for (Index j = 0; j < 160; j += 20)  // the amplitude fit follows the known amplitude (up to the template's scale)
    EXPECT_NEAR(fit.amplitude[std::size_t(j)] / fit.amplitude[0], s.amp[std::size_t(j)] / s.amp[0], 0.02);
  for (Index j = 0; j < 160; ++j)
    for (Index i = i_out; i < 256; ++i) EXPECT_EQ(out(i, j), s.data(i, j));
  // with ringing removal (the default) the fixed coupling goes too; the target stays
  remove_ground<double>(s.data, out, s.f, s.t_ground);
  double e_clutter = 0, e_left = 0, peak = target.cwiseAbs().maxCoeff(), worst = 0;
  for (Index j = 0; j < 160; ++j)
    for (Index i = 0; i < 256; ++i) {
      const double c = bare.data(i, j), left = out(i, j) - target(i, j);
      e_clutter += c * c, e_left += left * left;
      if (i >= 140) worst = std::max(worst, std::abs(left));
    }
  EXPECT_LT(e_left / e_clutter, 1e-3);
  // below the gate the rank-3 coupling subspace takes part of this target (it spans a third of the
  // 160-trace profile): measured 0.36 of its peak; bounded so that a regression shows
  EXPECT_LT(worst, 0.4 * peak);
}

TEST(ClutterGround, BadInputNamed) {
  const auto s = scene(8, 0.0, false);
  Matrix<double> out(256, 8);
  std::vector<double> short_picks(7, 2.0), nan_picks(8, 2.0);
  nan_picks[3] = std::nan("");
  EXPECT_THROW(remove_ground<double>(s.data, out, s.f, short_picks), ValueError);
  try {
    remove_ground<double>(s.data, out, s.f, nan_picks);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("ground_ns[3]"), std::string::npos);
  }
  GroundTrackOptions o;
  o.smooth_traces = 0;
  EXPECT_THROW(track_ground<double>(s.data, s.f, o), ValueError);
  TraceFormat bad = s.f;
  bad.dt_ns = 0;
  EXPECT_THROW(track_ground<double>(s.data, bad), ValueError);
}

TEST(ClutterGround, SuppressRemovesBounceUnderAStrongOverlappingCouplingThatDrifts) {
  // bounce (-1 +- 20 %, at 2 ns +- 3 samples) under a coupling 1.5x stronger 0.3 ns earlier (half a
  // period: their lobes overlap), scaled along the profile by 1 + 5 % sin (a rank-1 drift, as real
  // antennas do with temperature); written from the formula, so the clutter is known exactly.
  const Index m = 200, n = 256;
  const auto bare = scene(m, 0.08, false), tgt = scene(m, 0.08, true);
  Matrix<double> clutter(n, m), data(n, m);
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) {
      const double t = double(i) * 0.025, c = (1 + 0.05 * std::sin(0.03 * double(j))) * 1.5 * ricker(t - 1.7, 1.5);
      clutter(i, j) = bare.amp[std::size_t(j)] * ricker(t - bare.t_ground[std::size_t(j)], 1.5) + c;
      data(i, j) = clutter(i, j) + tgt.data(i, j) - bare.data(i, j);  // + the target alone
    }
  const Matrix<double> target = data - clutter;
  GroundTrackOptions to;  // searched from 0: the raw peak is the coupling's
  const auto raw_picks = track_ground<double>(data, bare.f, to);
  double raw_err = 0;
  for (Index j = 0; j < m; ++j) raw_err = std::max(raw_err, std::abs(raw_picks[std::size_t(j)] - bare.t_ground[std::size_t(j)]));
  EXPECT_GT(raw_err, 0.1);  // locked on the coupling (the test would not test re-tracking otherwise)
  Matrix<double> out(n, m);
  const auto left_fraction = [&] {
    double e_c = 0, e_left = 0;
    for (Index j = 0; j < m; ++j)
      for (Index i = 0; i < n; ++i) {
        const double left = out(i, j) - target(i, j);
        e_c += clutter(i, j) * clutter(i, j), e_left += left * left;
      }
    return e_left / e_c;
  };
  GroundRemovalOptions o3;
  o3.ringing_rank = 3;
  const auto fit = suppress_ground<double>(data, out, bare.f, to, o3);
  ASSERT_EQ(fit.ground_ns.size(), std::size_t(m));
  EXPECT_EQ(fit.ringing_rank, 3);
  EXPECT_LT(left_fraction(), 1e-4);  // more than 40 dB of bounce + drifting coupling removed
  // the float path gives the same to float precision
  const Matrix<float> df = data.cast<float>();
  Matrix<float> of(n, m);
  suppress_ground<float>(df, of, bare.f, to, o3);
  EXPECT_LT((of.cast<double>() - out).norm(), 1e-4 * out.norm());
  // the default rank (singular-value gap, <= 3) removes less of this extreme case, still > 30 dB
  const auto fit_auto = suppress_ground<double>(data, out, bare.f, to);
  EXPECT_LT(left_fraction(), 1e-3);
  // bad options are named
  EXPECT_GE(fit_auto.ringing_rank, 1);
  EXPECT_LE(fit_auto.ringing_rank, 3);
  GroundRemovalOptions bad;
  bad.ringing_rank = -1;
  EXPECT_THROW(suppress_ground<double>(data, out, bare.f, to, bad), ValueError);
  bad = {};
  bad.ringing_max_rank = 0;
  EXPECT_THROW(suppress_ground<double>(data, out, bare.f, to, bad), ValueError);
  bad = {};
  bad.iterations = 0;
  EXPECT_THROW(suppress_ground<double>(data, out, bare.f, to, bad), ValueError);
}

TEST(ClutterGround, AutomaticRingingRankIsOneOnFlatGroundAndSparesTheTarget) {
  // Flat ground: the bounce (amplitude drifting 20 %) and a coupling drifting 5 % in scale are one
  // rank-1 component each, written from the formula; a hyperbola over the whole profile is the
  // target. The gap rule must take one ringing component; three fixed components take the target.
  const Index m = 160, n = 256;
  const auto bare = scene(m, 0.0, false), tgt = scene(m, 0.0, true);
  Matrix<double> data(n, m), clutter(n, m);
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) {
      const double t = double(i) * 0.025, c = 0.05 * std::sin(0.03 * double(j)) * 0.2 * ricker(t - 0.5, 1.5);
      clutter(i, j) = bare.data(i, j) + c;
      data(i, j) = clutter(i, j) + tgt.data(i, j) - bare.data(i, j);
    }
  const Matrix<double> target = data - clutter;
  Matrix<double> out(n, m);
  const auto fit = suppress_ground<double>(data, out, bare.f);
  EXPECT_EQ(fit.ringing_rank, 1);
  const double err_auto = (out - target).norm() / target.norm();
  GroundRemovalOptions o3;
  o3.ringing_rank = 3;
  const auto fit3 = suppress_ground<double>(data, out, bare.f, {}, o3);
  EXPECT_EQ(fit3.ringing_rank, 3);
  const double err_3 = (out - target).norm() / target.norm();
  EXPECT_LT(err_auto, 0.3);
  EXPECT_LT(err_auto, 0.7 * err_3);
}

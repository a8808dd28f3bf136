#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <numbers>

#include "sapper/sim/gpr.hpp"

using namespace sapper;
using namespace sapper::sim;

namespace {

constexpr double kC = 0.299792458;

// A quiet scene: no coupling, ringing, drift, roughness or loss; one point scatterer.
GprScene quiet(double height, double eps, double depth) {
  GprScene s;
  s.ground = {eps, 0.0, 0.0, 0.1, {}};
  s.antenna.height_m = height;
  s.antenna.offset_m = 0;
  s.antenna.coupling = 0;
  s.antenna.ringing = 0;
  s.recording = {1024, 16.0, 1.0, 0.01};
  s.lane.length_m = 2.0;
  s.snr_db = 300;
  s.objects.push_back({"point", 1.0, 0.0, depth, 0, 0, 0});
  return s;
}

// Sub-sample time (ns after time zero) of the extremum of x near sample k.
double peak_time(const double* x, Index n, const TraceFormat& f, Index lo, Index hi) {
  Index k = lo;
  for (Index i = lo; i < std::min(hi, n); ++i)
    if (std::abs(x[i]) > std::abs(x[k])) k = i;
  const double a = x[k - 1], b = x[k], c = x[k + 1];
  const double frac = 0.5 * (a - c) / (a - 2 * b + c);
  return (double(k) + frac) * f.dt_ns - f.time_zero_ns;
}

// Brute-force Fermat: one-way time from height h to depth d at horizontal distance rho.
double fermat(double h, double d, double rho, double n) {
  double best = 1e300;
  for (int i = 0; i <= 200000; ++i) {
    const double u = rho * i / 200000.0;
    best = std::min(best, std::hypot(h, u) + n * std::hypot(d, rho - u));
  }
  return best / kC;
}

}  // namespace

TEST(SimGpr, PointTargetHyperbolaMatchesTravelTime) {
  for (double h : {0.0, 0.08}) {
    const double eps = 6, d = 0.2, n = std::sqrt(eps);
    GprScene s = quiet(h, eps, d);
    const auto with = simulate_gpr<double>(s, 1);
    s.objects.clear();
    const auto without = simulate_gpr<double>(s, 1);
    const Matrix<double> echo = with.data - without.data;
    int checked = 0;
    for (Index j = 0; j < with.n_traces(); j += 2) {
      const double x = with.x_m[j] - 1.0;
      if (std::abs(x) > 0.3 || echo.col(j).cwiseAbs().maxCoeff() < 1e-9) continue;  // outside the beam
      ++checked;
      const double expect = h == 0 ? 2 * std::hypot(d, x) / (kC / n) : 2 * fermat(h, d, std::abs(x), n);
      const Index k = Index((expect + with.format.time_zero_ns) / with.format.dt_ns);
      const double t = peak_time(echo.col(j).data(), echo.rows(), with.format, k - 20, k + 20);
      EXPECT_NEAR(t, expect, with.format.dt_ns) << "h = " << h << ", x = " << x;
    }
    EXPECT_GE(checked, 10) << "h = " << h;
  }
}

TEST(SimGpr, ReflectionSignsPlasticOppositeMetalSameAsGround) {
  for (const char* type : {"PMN", "TM-62M"}) {
    GprScene s;
    s.snr_db = 300;
    s.ground.roughness_rms_m = 0;
    s.lane.length_m = 2;
    s.objects.push_back({type, 1.0, 0.0, 0.1, 0, 0, 0});
    const auto lane = simulate_gpr<double>(s, 3, true);
    const Index j = Index(std::lround(1.0 / s.recording.trace_spacing_m));
    const double n = std::sqrt(s.ground.permittivity);
    const double h = s.antenna.height_m, off = 0.5 * s.antenna.offset_m;
    // ground bounce in the twin, target top in data - twin: the sample at each event's time
    const double t_gb = 2 * std::hypot(h, off) / kC;
    const double t_top = 2 * fermat(h, 0.1, off, n);
    auto at = [&](const Matrix<double>& m, double t) {
      return m(Index(std::lround((t + lane.format.time_zero_ns) / lane.format.dt_ns)), j);
    };
    const double ground = at(lane.twin, t_gb) - lane.twin(0, j) * 0;
    const double target = at(lane.data, t_top) - at(lane.twin, t_top);
    EXPECT_LT(ground, 0);  // R = (1 - sqrt(eps)) / (1 + sqrt(eps)) < 0
    if (std::string(type) == "PMN") EXPECT_GT(target, 0) << type;
    else EXPECT_LT(target, 0) << type;
  }
}

TEST(SimGpr, DeterministicForAnyThreadCountAndSeedDependent) {
  GprScene s;
  s.lane = {3.0, 4, 0.1};
  s.random = {2, 1, 4, 0.25, 0.15, 0.3, 0.3};
  const auto a = simulate_gpr<float>(s, 7, true, 1), b = simulate_gpr<float>(s, 7, true, 2);
  EXPECT_TRUE(a.data == b.data);
  EXPECT_TRUE(a.twin == b.twin);
  EXPECT_EQ(a.scene_json, b.scene_json);
  const auto c = simulate_gpr<float>(s, 8, false, 2);
  EXPECT_FALSE(a.data == c.data);
  // the scene as applied replays to the same numbers
  const auto r = simulate_gpr<float>(gpr_scene_from_json(a.scene_json), 7, false, 2);
  EXPECT_TRUE(r.data == a.data);
}

TEST(SimGpr, RandomObjectsInsideTheLaneAndApart) {
  GprScene s;
  s.lane = {10.0, 8, 0.1};
  s.random = {5, 2, 10, 0.5, 0.15, 0.3, 0.3};
  const auto lane = simulate_gpr<float>(s, 11, false, 0);
  ASSERT_EQ(lane.truth.objects.size(), 17u);
  int ap = 0, at = 0;
  for (const auto& o : lane.truth.objects) {
    EXPECT_TRUE(lane.truth.area.contains(o.x, o.y));
    EXPECT_GE(o.depth, 0.01);
    ap += o.label == Label::ApMine, at += o.label == Label::AtMine;
    EXPECT_LE(o.depth, o.label == Label::ApMine ? 0.15 : 0.3);
    for (const auto& p : lane.truth.objects)
      if (&p != &o) EXPECT_GE(std::hypot(p.x - o.x, p.y - o.y), 0.5);
  }
  EXPECT_EQ(ap, 5);
  EXPECT_EQ(at, 2);
  EXPECT_DOUBLE_EQ(lane.truth.area.size_m2(), 10.0 * 0.8);
}

TEST(SimGpr, TwinDiffersOnlyNearTargets) {
  GprScene s;
  s.lane.length_m = 4;
  s.objects.push_back({"PMN", 2.0, 0, 0.05, 0, 0, 0});
  s.objects.push_back({"rock", 1.0, 0, 0.05, 0, 0, 0});
  const auto lane = simulate_gpr<float>(s, 5, true);
  for (Index j = 0; j < lane.n_traces(); ++j) {
    const double diff = (lane.data.col(j) - lane.twin.col(j)).cwiseAbs().maxCoeff();
    if (std::abs(lane.x_m[j] - 2.0) > 1.5) EXPECT_EQ(diff, 0) << j;
    if (std::abs(lane.x_m[j] - 2.0) < 0.05) EXPECT_GT(diff, 0.01) << j;
  }
}

TEST(SimGpr, NoiseLevelFollowsSnr) {
  GprScene s;
  s.lane.length_m = 10;
  s.snr_db = 300;
  const auto clean = simulate_gpr<double>(s, 2);
  s.snr_db = 20;
  const auto noisy = simulate_gpr<double>(s, 2);
  const double n = std::sqrt(s.ground.permittivity), r = (n - 1) / (n + 1);
  const Matrix<double> d = noisy.data - clean.data;
  const double rms = std::sqrt(d.squaredNorm() / double(d.size()));
  EXPECT_NEAR(rms, r * 0.1, 0.02 * r * 0.1);
}

TEST(SimGpr, SurfaceHasTheRequestedRms) {
  GprScene s;
  s.ground.roughness_rms_m = 0.01;
  s.lane = {40.0, 4, 0.25};
  s.recording.n_samples = 8;
  const auto lane = simulate_gpr<float>(s, 4);
  double ss = 0;
  for (double v : lane.surface_m) ss += v * v;
  EXPECT_NEAR(std::sqrt(ss / double(lane.surface_m.size())), 0.01, 0.0025);
}

TEST(SimGpr, SceneJsonRoundTripAndErrors) {
  GprScene s;
  s.ground.layers.push_back({0.4, 12});
  s.objects.push_back({"TS-50", 1.5, 0.02, 0.07, 0, 0, 0});
  const GprScene r = gpr_scene_from_json(to_json(s));
  EXPECT_EQ(to_json(r), to_json(s));
  auto message = [](const char* text) {
    try {
      gpr_scene_from_json(text);
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"({"ground": {"permitivity": 5}})").find("permitivity"), std::string::npos);
  EXPECT_NE(message(R"({"antenna": {"frequency_mhz": -1}})").find("antenna.frequency_mhz"), std::string::npos);
  EXPECT_NE(message(R"({"objects": [{"type": "PMX", "x": 1}]})").find("PMX"), std::string::npos);
  EXPECT_NE(message(R"({"recording": {"n_samples": 1.5}})").find("n_samples"), std::string::npos);
  EXPECT_NE(message("[1, 2").find("not valid JSON"), std::string::npos);
  GprScene crowded;
  crowded.lane.length_m = 1;
  crowded.random.ap_mines = 50;
  EXPECT_THROW(simulate_gpr<float>(crowded, 1), ValueError);
}

TEST(SimGpr, WritesNpyAndJson) {
  GprScene s;
  s.lane.length_m = 0.5;
  s.recording.n_samples = 64;
  s.objects.push_back({"PMN", 0.25, 0, 0.05, 0, 0, 0});
  const auto lane = simulate_gpr<float>(s, 1, true);
  const auto dir = std::filesystem::temp_directory_path() / "sapper_test_sim_gpr";
  write_gpr_lane(dir.string(), lane);
  std::ifstream in(dir / "data.npy", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 128u);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  const std::size_t hlen = std::size_t(std::uint8_t(bytes[8])) | std::size_t(std::uint8_t(bytes[9])) << 8;
  EXPECT_EQ((10 + hlen) % 64, 0u);
  EXPECT_NE(bytes.find("'fortran_order': True, 'shape': (64, 26)"), std::string::npos);
  EXPECT_EQ(bytes.size(), 10 + hlen + 64 * 26 * 4);
  EXPECT_EQ(std::memcmp(bytes.data() + 10 + hlen, lane.data.data(), 64 * 26 * 4), 0);
  EXPECT_TRUE(std::filesystem::exists(dir / "twin.npy"));
  std::ifstream t(dir / "truth.json");
  std::string truth((std::istreambuf_iterator<char>(t)), {});
  EXPECT_EQ(truth_from_json(truth).objects.at(0).type, "PMN");
  std::filesystem::remove_all(dir);
}

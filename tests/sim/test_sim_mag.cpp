#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "sapper/core/error.hpp"
#include "sapper/sim/mag.hpp"

using namespace sapper;
using namespace sapper::sim;

namespace {

/// A scene with every nuisance off and no objects.
MagScene quiet_scene() {
  MagScene s;
  s.nuisances = {0, 1800, 1, 0, {0.0}, 0, 0, 0, 0, 0.5, {0, 0}};
  return s;
}

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

double interp(const std::vector<double>& t, const std::vector<double>& v, double x) {
  const auto k = std::size_t(std::upper_bound(t.begin(), t.end(), x) - t.begin());
  if (k == 0) return v.front();
  if (k == t.size()) return v.back();
  const double w = (x - t[k - 1]) / (t[k] - t[k - 1]);
  return v[k - 1] + w * (v[k] - v[k - 1]);
}

double rms(const std::vector<double>& v) {
  return std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0) / double(v.size()));
}

}  // namespace

TEST(SimMag, GeometryAndTimeStamps) {
  MagScene s = quiet_scene();
  s.survey.x1 = 4, s.survey.y1 = 10;  // 4 lines along north, 101 samples each
  const auto r = simulate_mag(s, 1);
  ASSERT_EQ(r.size(), 4 * 101 * 4);
  const double dt = 0.1, line_time = 10.0 + 5.0;
  for (Index i = 0; i < r.size(); ++i) {
    const auto u = std::size_t(i);
    const Index j = i / (101 * 4), k = (i / 4) % 101, s_ = i % 4;
    const int dir = j % 2 == 0 ? 1 : -1;
    ASSERT_EQ(r.line[u], j);
    ASSERT_EQ(r.sensor[u], s_);
    ASSERT_EQ(r.direction[u], dir);
    ASSERT_NEAR(r.time_s[u], double(j) * line_time + double(k) * dt, 1e-9);
    ASSERT_NEAR(r.y_true_m[u], dir > 0 ? double(k) * 0.1 : 10 - double(k) * 0.1, 1e-9);
    // sensors to the right of travel: east going north, west going south
    ASSERT_NEAR(r.x_true_m[u], 0.5 + double(j) + dir * s.survey.sensor_offsets_m[std::size_t(s_)], 1e-12);
    ASSERT_EQ(r.z_m[u], 0.3);
    ASSERT_EQ(r.total_field_nt[u], s.earth_field.total_nt);
  }
  EXPECT_EQ(r.truth.area.x1, 4);
  EXPECT_GE(r.base_time_s.back(), r.time_s.back());
}

TEST(SimMag, LinesAlongEast) {
  MagScene s = quiet_scene();
  s.survey.lines_along_x = true;
  s.survey.y1 = 2, s.survey.x1 = 3;
  s.nuisances.lag_s = 0.3;
  const auto r = simulate_mag(s, 1);
  ASSERT_EQ(r.size(), 2 * 31 * 4);
  for (Index i = 0; i < r.size(); ++i) {
    const auto u = std::size_t(i);
    const double d = r.direction[u];
    ASSERT_NEAR(r.y_true_m[u], 0.5 + r.line[u] - d * s.survey.sensor_offsets_m[std::size_t(r.sensor[u])], 1e-12);
    ASSERT_NEAR(r.x_m[u], r.x_true_m[u] - 0.3 * 1.0 * d, 1e-12);
    ASSERT_EQ(r.y_m[u], r.y_true_m[u]);
  }
}

TEST(SimMag, PositionLagShiftsAlongTravel) {
  MagScene s = quiet_scene();
  s.survey.speed_m_s = 1.5;
  s.nuisances.lag_s = 0.2;
  const auto r = simulate_mag(s, 2);
  for (Index i = 0; i < r.size(); ++i) {
    const auto u = std::size_t(i);
    ASSERT_NEAR(r.y_m[u], r.y_true_m[u] - 0.2 * 1.5 * r.direction[u], 1e-12);
    ASSERT_EQ(r.x_m[u], r.x_true_m[u]);
  }
}

TEST(SimMag, DiurnalAndHeadingAreRecoverable) {
  MagScene s = default_mag_scene();
  s.nuisances.noise_nt = 0, s.nuisances.base_noise_nt = 0;
  s.nuisances.heading_nt = {1.5, -0.5, 0.25, 2.0};
  const auto r = simulate_mag(s, 3);
  const double f0 = s.earth_field.total_nt;
  double max_drift = 0;
  for (Index i = 0; i < r.size(); ++i) {
    const auto u = std::size_t(i);
    ASSERT_EQ(r.heading_nt[u], r.direction[u] * s.nuisances.heading_nt[std::size_t(r.sensor[u])]);
    const double drift = interp(r.base_time_s, r.base_field_nt, r.time_s[u]) - f0;
    max_drift = std::max(max_drift, std::abs(drift));
    const double corrected = r.total_field_nt[u] - drift - r.heading_nt[u];
    ASSERT_NEAR(corrected, f0 + r.anomaly_nt[u] + r.soil_nt[u] + r.gradient_nt[u], 1e-4) << "reading " << i;
  }
  EXPECT_GT(max_drift, 1.0);  // the drift was on
}

TEST(SimMag, NoiseAndJitterHaveTheirRms) {
  MagScene s = quiet_scene();
  s.nuisances.noise_nt = 0.3, s.nuisances.gps_jitter_m = 0.05;
  const auto r = simulate_mag(s, 4);
  std::vector<double> noise, jx;
  for (Index i = 0; i < r.size(); ++i) {
    noise.push_back(r.total_field_nt[std::size_t(i)] - s.earth_field.total_nt);
    jx.push_back(r.x_m[std::size_t(i)] - r.x_true_m[std::size_t(i)]);
  }
  EXPECT_NEAR(rms(noise), 0.3, 0.3 * 0.03);  // 16,080 readings
  EXPECT_NEAR(rms(jx), 0.05, 0.05 * 0.05);   // 4,020 epochs (shared by the cart's sensors)
  EXPECT_NEAR(jx[0], jx[3], 1e-12);
}

TEST(SimMag, SoilAndGradient) {
  MagScene s = quiet_scene();
  s.nuisances.soil_nt = 3, s.nuisances.soil_correlation_m = 0.4;
  s.nuisances.gradient_nt_m = {0.5, -0.25};
  const auto r = simulate_mag(s, 5);
  EXPECT_NEAR(rms(r.soil_nt), 3.0, 0.5);  // over 400 m^2 >> 0.4 m
  // consecutive samples (0.1 m apart) are correlated as exp(-d^2 / 2 L^2) = 0.97
  double num = 0, den = 0;
  for (std::size_t i = 4; i < r.soil_nt.size(); ++i)
    if (r.line[i] == r.line[i - 4]) num += r.soil_nt[i] * r.soil_nt[i - 4], den += r.soil_nt[i] * r.soil_nt[i];
  EXPECT_NEAR(num / den, std::exp(-0.01 / (2 * 0.16)), 0.03);
  for (Index i = 0; i < r.size(); i += 97) {
    const auto u = std::size_t(i);
    ASSERT_NEAR(r.gradient_nt[u], 0.5 * (r.x_true_m[u] - 10) - 0.25 * (r.y_true_m[u] - 10), 1e-12);
    ASSERT_NEAR(r.total_field_nt[u], s.earth_field.total_nt + r.soil_nt[u] + r.gradient_nt[u], 1e-9);
  }
}

TEST(SimMag, AnomalyOfVerticalDipoleMatchesClosedForm) {
  MagScene s = quiet_scene();
  s.earth_field = {50000, 90, 0};
  const double m = 0.2;
  s.objects.push_back({"at_mine", 10.3, 7.2, 0.1, std::array<double, 3>{0, 0, -m}, 0});
  const auto r = simulate_mag(s, 6);
  const double d = 0.3 + 0.1 + 0.13 / 2;  // sensor height + top depth + half the thickness
  for (Index i = 0; i < r.size(); ++i) {
    const auto u = std::size_t(i);
    const double rho2 = std::pow(r.x_true_m[u] - 10.3, 2) + std::pow(r.y_true_m[u] - 7.2, 2);
    const double r5 = std::pow(rho2 + d * d, 2.5);
    const double down = 1e2 * m * (2 * d * d - rho2) / r5, h = 1e2 * m * 3 * d * std::sqrt(rho2) / r5;
    const double exact = std::sqrt((5e4 + down) * (5e4 + down) + h * h) - 5e4;
    ASSERT_NEAR(r.anomaly_nt[u], exact, 1e-9 * std::abs(exact) + 1e-10);
  }
  ASSERT_EQ(r.truth.objects.size(), 1u);
  EXPECT_EQ(r.truth.objects[0].label, Label::AtMine);
  EXPECT_EQ(r.truth.objects[0].moment[2], -m);
  EXPECT_GT(*std::max_element(r.anomaly_nt.begin(), r.anomaly_nt.end()), 100.0);  // metal AT mine: obvious
}

TEST(SimMag, MinimumMetalApMineIsBelowTheNoise) {
  // A typical minimum-metal mine (the class's geometric-mean moment, mid depth) under the default
  // 0.3 m cart with the default sensor noise: no reading rises above the noise rms.
  MagScene s = quiet_scene();
  const MagClass ap = s.classes[3];
  s.objects.push_back(
      {"ap_mine", 10.5, 10, (ap.depth_min + ap.depth_max) / 2, {}, std::sqrt(ap.moment_min * ap.moment_max)});
  const auto r = simulate_mag(s, 7);
  const double peak = std::max(std::abs(*std::max_element(r.anomaly_nt.begin(), r.anomaly_nt.end())),
                               std::abs(*std::min_element(r.anomaly_nt.begin(), r.anomaly_nt.end())));
  EXPECT_GT(peak, 0.01);
  EXPECT_LT(peak, MagNuisances{}.noise_nt);
  EXPECT_EQ(r.truth.objects[0].label, Label::ApMine);
}

TEST(SimMag, DrawnMomentsFollowTheClass) {
  MagScene s = quiet_scene();
  s.random.counts = {20, 20, 20, 20, 20};
  s.random.min_spacing_m = 0.5;
  const auto r = simulate_mag(s, 8);
  ASSERT_EQ(r.truth.objects.size(), 100u);
  for (const auto& o : r.truth.objects) {
    std::size_t c = 0;
    while (kMagClasses[c] != o.type) ++c;
    const MagClass& k = s.classes[c];
    const double m = std::hypot(o.moment[0], o.moment[1], o.moment[2]);
    // |(1 - q) F^ + q u| lies in [|1 - 2q|, 1]
    EXPECT_LE(m, k.moment_max * (1 + 1e-12));
    EXPECT_GE(m, k.moment_min * std::abs(1 - 2 * k.remanent_fraction) * (1 - 1e-12));
    EXPECT_GE(o.depth, k.depth_min);
    EXPECT_LE(o.depth, k.depth_max);
    EXPECT_TRUE(r.truth.area.contains(o.x, o.y));
    for (const auto& p : r.truth.objects)
      if (&p != &o) EXPECT_GE(std::hypot(p.x - o.x, p.y - o.y), 0.5);
  }
}

TEST(SimMag, DeterministicForAnyThreadCountAndReplayable) {
  const MagScene s = default_mag_scene();
  const auto a = simulate_mag(s, 11, 1), b = simulate_mag(s, 11, 2), c = simulate_mag(s, 12, 2);
  EXPECT_EQ(a.total_field_nt, b.total_field_nt);
  EXPECT_EQ(a.x_m, b.x_m);
  EXPECT_EQ(a.base_field_nt, b.base_field_nt);
  EXPECT_EQ(a.scene_json, b.scene_json);
  EXPECT_EQ(to_json(a.truth), to_json(b.truth));
  EXPECT_NE(a.total_field_nt, c.total_field_nt);
  EXPECT_NE(to_json(a.truth), to_json(c.truth));
  // the scene as applied holds the random objects: replayed with the same seed it gives the same survey
  const MagScene applied = mag_scene_from_json(a.scene_json);
  EXPECT_EQ(applied.objects.size(), 2u + 2 + 1 + 3 + 15);
  EXPECT_EQ(applied.random.counts, (std::array<Index, 5>{}));
  const auto replay = simulate_mag(applied, 11, 2);
  EXPECT_EQ(replay.total_field_nt, a.total_field_nt);
  EXPECT_EQ(replay.scene_json, a.scene_json);
}

TEST(SimMag, SceneJsonRoundTripAndDefaults) {
  const MagScene d = default_mag_scene();
  EXPECT_EQ(to_json(mag_scene_from_json(to_json(d))), to_json(d));
  const MagScene e = mag_scene_from_json("{}");
  EXPECT_EQ(to_json(e), to_json(MagScene{}));
  const MagScene p = mag_scene_from_json(R"({"survey": {"line_direction": "east", "sensor_offsets_m": [0]},
      "nuisances": {"heading_nt": 2}, "objects": [{"type": "shell", "x": 1, "y": 2, "depth": 0.5, "moment": 1.5}]})");
  EXPECT_TRUE(p.survey.lines_along_x);
  EXPECT_EQ(p.nuisances.heading_nt, std::vector<double>{2.0});
  EXPECT_EQ(p.objects[0].moment_am2, 1.5);
  const auto r = simulate_mag(p, 1);
  const auto& o = r.truth.objects[0];
  EXPECT_NEAR(std::hypot(o.moment[0], o.moment[1], o.moment[2]), 1.5, 1.5 * 0.6);
  EXPECT_EQ(o.label, Label::Uxo);
}

TEST(SimMag, SceneErrorsNameTheKeyOrValue) {
  auto msg = [](const char* j) { return message_of([&] { mag_scene_from_json(j); }); };
  EXPECT_NE(msg(R"({"survey": {"speeed_m_s": 1}})").find("survey.speeed_m_s"), std::string::npos);
  EXPECT_NE(msg(R"({"nosuch": 1})").find("nosuch"), std::string::npos);
  EXPECT_NE(msg(R"({"nuisances": {"noise_nt": -1}})").find("nuisances.noise_nt = -1"), std::string::npos);
  EXPECT_NE(msg(R"({"survey": {"sensor_height_m": "high"}})").find("survey.sensor_height_m"), std::string::npos);
  EXPECT_NE(msg(R"({"survey": {"line_direction": "up"}})").find("line_direction"), std::string::npos);
  EXPECT_NE(msg(R"({"objects": [{"type": "tank", "x": 1, "y": 1, "depth": 0}]})").find("\"tank\""), std::string::npos);
  EXPECT_NE(msg(R"({"objects": [{"type": "uxo", "x": 1, "y": 1}]})").find("objects[0]"), std::string::npos);
  EXPECT_NE(msg(R"({"objects": [{"type": "mortar", "x": 30, "y": 1, "depth": 0}]})").find("objects[0].x = 30"),
            std::string::npos);
  EXPECT_NE(msg(R"({"classes": {"fragment": {"moment_max": 1e-9}}})").find("classes.fragment.moment_max"),
            std::string::npos);
  EXPECT_NE(msg(R"({"random": {"ap_mine": 2.5}})").find("random.ap_mine"), std::string::npos);
  EXPECT_NE(msg(R"({"nuisances": {"heading_nt": [1, 2]}})").find("nuisances.heading_nt"), std::string::npos);
  EXPECT_NE(msg(R"({"earth_field": {"inclination_deg": 95}})").find("earth_field.inclination_deg"), std::string::npos);
  EXPECT_NE(msg(R"({"survey": {"x1": 5000, "y1": 5000}})").find("readings"), std::string::npos);
  EXPECT_NE(msg("[1, 2").find("not valid JSON"), std::string::npos);
  const auto crowded = mag_scene_from_json(R"({"random": {"at_mine": 500, "min_spacing_m": 5}})");
  EXPECT_NE(message_of([&] { simulate_mag(crowded, 0); }).find("random.at_mine"), std::string::npos);
  MagScene s;
  s.survey.speed_m_s = NAN;
  EXPECT_NE(message_of([&] { simulate_mag(s, 0); }).find("survey.speed_m_s = nan"), std::string::npos);
}

TEST(SimMag, WritesCsvAndJson) {
  MagScene s = default_mag_scene();
  s.survey.x1 = 3, s.survey.y1 = 4;
  s.random.counts = {1, 0, 0, 1, 2};
  const auto r = simulate_mag(s, 9);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sapper_sim_mag_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  write_mag_survey((dir / "out").string(), r);
  std::ifstream f(dir / "out" / "readings.csv");
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "time_s,line,direction,sensor,x_m,y_m,z_m,total_field_nt");
  Index rows = 0;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> v;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    ASSERT_EQ(v.size(), 8u);
    const auto u = std::size_t(rows++);
    ASSERT_EQ(v[0], r.time_s[u]);  // shortest round-trip formatting
    ASSERT_EQ(v[2], r.direction[u]);
    ASSERT_EQ(v[4], r.x_m[u]);
    ASSERT_EQ(v[7], r.total_field_nt[u]);
  }
  EXPECT_EQ(rows, r.size());
  std::ifstream b(dir / "out" / "base_station.csv");
  std::getline(b, line);
  EXPECT_EQ(line, "time_s,field_nt");
  std::stringstream truth, scene;
  truth << std::ifstream(dir / "out" / "truth.json").rdbuf();
  scene << std::ifstream(dir / "out" / "scene.json").rdbuf();
  EXPECT_EQ(truth_from_json(truth.str()).objects.size(), 4u);
  EXPECT_EQ(to_json(mag_scene_from_json(scene.str())), r.scene_json);
  std::filesystem::remove_all(dir);
}

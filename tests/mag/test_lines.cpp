// Line preprocessing against the simulator's separate noise-free components, direct formulas and
// brute-force references written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/io/mag_file.hpp"
#include "sapper/mag/lines.hpp"
#include "sapper/sim/mag.hpp"

using namespace sapper;
using namespace sapper::mag;

namespace {

const std::string kStn = SAPPER_SOURCE_DIR "/../shared/data/mag/geometrics-g858/data_1.stn";

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a ValueError: ") + e.what();
  }
  return "no exception";
}

#define EXPECT_VALUE_ERROR(expr, piece) EXPECT_NE(message_of([&] { (void)(expr); }).find(piece), std::string::npos) \
    << message_of([&] { (void)(expr); })

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double rms(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s / double(v.size()));
}

double stddev(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(v.size()));
}

/// Every nuisance off: the readings are F + anomaly (+ what a test turns on).
sim::MagScene quiet_scene() {
  sim::MagScene s = sim::default_mag_scene();
  auto& n = s.nuisances;
  n.diurnal_nt = 0, n.heading_nt = {0.0}, n.lag_s = 0, n.noise_nt = 0, n.gps_jitter_m = 0, n.soil_nt = 0;
  n.gradient_nt_m = {0, 0};
  return s;
}

/// The quiet scene with white sensor noise only (noise_nt rms), simulated with `seed`.
Readings noisy_readings(double noise_nt, std::uint64_t seed) {
  auto sc = quiet_scene();
  sc.nuisances.noise_nt = noise_nt;
  return readings_from_survey(sim::simulate_mag(sc, seed, 0));
}

/// The default scene (every nuisance on) without a track that retraces another's ground: sensors
/// (to the right of travel, m), inclination (degrees), lines north (else east), the injected lag.
Readings neighbouring_lines(const std::vector<double>& sensors, double inclination, bool north, double lag,
                            std::uint64_t seed) {
  auto sc = sim::default_mag_scene();
  sc.nuisances.lag_s = lag;
  sc.survey.sensor_offsets_m = sensors;
  sc.survey.lines_along_x = !north;
  sc.earth_field.inclination_deg = inclination;
  return readings_from_survey(sim::simulate_mag(sc, seed, 0));
}

const std::vector<double> kCart{-0.375, -0.125, 0.125, 0.375};  // the default 4-sensor cart

Readings with_values(Readings r, const std::vector<double>& v) {
  r.value_nt = v;
  return r;
}

}  // namespace

TEST(MagLinesTable, FromSurveyKeepsEveryReading) {
  const auto s = sim::simulate_mag(sim::default_mag_scene(), 1, 1);
  const Readings r = readings_from_survey(s);
  ASSERT_EQ(r.size(), s.size());
  EXPECT_EQ(r.value_nt, s.total_field_nt);
  EXPECT_EQ(r.line, s.line);
  EXPECT_EQ(r.sensor, s.sensor);
}

TEST(MagLinesTable, FromG858OneReadingPerSensor) {
  const auto d = io::read_g858(kStn);
  const Readings r = readings_from_line_data(d);
  std::size_t rows = 0;
  for (std::size_t i = 0; i < d.size(); ++i)
    rows += std::isfinite(d.extra.at("line")[i]) && std::isfinite(d.x_m[i]) && std::isfinite(d.y_m[i]);
  ASSERT_EQ(std::size_t(r.size()), 2 * rows);
  ASSERT_GT(rows, 20000u);
  // reading 2k is sensor 0 of a row, 2k + 1 sensor 1 of the same row
  for (Index i = 0; i + 1 < r.size(); i += 2) {
    ASSERT_EQ(r.sensor[i], 0);
    ASSERT_EQ(r.sensor[i + 1], 1);
    ASSERT_EQ(r.time_s[i], r.time_s[i + 1]);
  }
  const auto g = line_geometry(r);
  EXPECT_EQ(g.line.size(), 21u);
  for (std::size_t k = 1; k < g.line.size(); ++k) EXPECT_EQ(g.direction[k], -g.direction[k - 1]) << "line " << g.line[k];
  EXPECT_VALUE_ERROR(readings_from_line_data(d, "lane"), "'lane'");
}

TEST(MagLinesGeometry, DirectionAndHeadingMatchTheSimulator) {
  for (bool along_x : {false, true}) {
    auto sc = sim::default_mag_scene();
    sc.survey.lines_along_x = along_x;
    const auto s = sim::simulate_mag(sc, 2, 1);
    const Readings r = readings_from_survey(s);
    const auto g = line_geometry(r);
    for (Index i = 0; i < r.size(); ++i) ASSERT_EQ(g.reading_direction[i], s.direction[i]) << i;
    EXPECT_NEAR(std::remainder(g.axis_deg - (along_x ? 90.0 : 0.0), 360.0), 0.0, 0.5);
    for (std::size_t k = 0; k < g.line.size(); ++k) {
      const double expect = std::fmod(g.axis_deg + (g.direction[k] > 0 ? 0 : 180), 360);
      EXPECT_NEAR(std::remainder(g.heading_deg[k] - expect, 360.0), 0.0, 0.5);
    }
    const auto v = track_velocity(r);
    std::vector<double> speed;
    for (Index i = 0; i < r.size(); ++i) speed.push_back(std::hypot(v.vx[i], v.vy[i]));
    EXPECT_NEAR(median(speed), sc.survey.speed_m_s, 0.01);
    EXPECT_LT(*std::max_element(speed.begin(), speed.end()), 1.2 * sc.survey.speed_m_s);  // GPS jitter over >= 0.5 m
  }
}

TEST(MagLinesSync, LinearSeriesInterpolatedExactlyAndGapsReported) {
  // f(t) = 3 + 0.5 t sampled every 2 s, one missing sample (a 4 s hole) and nothing before t = 0
  std::vector<double> st, sv;
  for (int i = 0; i <= 50; ++i) st.push_back(2.0 * i), sv.push_back(i == 20 ? NAN : 3 + 0.5 * (2.0 * i));
  std::vector<double> t = {-1, 0, 1.3, 38.5, 40.0, 41, 99.9, 100, 101};
  const Synced s = interpolate_series(st, sv, t, 0, 3.0);
  const std::vector<int> gap = {1, 0, 0, 1, 1, 1, 0, 0, 1};
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(s.gap[i], gap[i]) << t[i];
    if (!gap[i]) EXPECT_NEAR(s.value[i], 3 + 0.5 * t[i], 1e-12) << t[i];
    else EXPECT_TRUE(std::isnan(s.value[i]));
  }
  EXPECT_EQ(s.gaps, 5);
  // default limit: 5 x the median interval (10 s) bridges the hole
  EXPECT_EQ(interpolate_series(st, sv, t).gaps, 2);
  // a clock offset: the series' time + 10 s is on the readings' clock
  const Synced o = interpolate_series(st, sv, std::vector<double>{15.0}, 10.0, 3.0);
  EXPECT_NEAR(o.value[0], 3 + 0.5 * 5.0, 1e-12);
  EXPECT_VALUE_ERROR(interpolate_series(std::vector<double>{0, 1, 1}, std::vector<double>{0, 1, 2}, t), "time[2]");
  EXPECT_VALUE_ERROR(interpolate_series(st, std::vector<double>{1}, t), "values 1");
  EXPECT_VALUE_ERROR(interpolate_series(st, sv, std::vector<double>{NAN}), "reading time[0]");
}

TEST(MagLinesDiurnal, BaseStationRemovesDriftToTheBaseNoise) {
  auto sc = sim::default_mag_scene();
  sc.nuisances.diurnal_nt = 30, sc.nuisances.diurnal_time_scale_s = 600;
  const auto s = sim::simulate_mag(sc, 3, 0);
  const Readings r = readings_from_survey(s);
  const Diurnal d = diurnal_base(r, s.base_time_s, s.base_field_nt);
  EXPECT_EQ(d.gaps, 0);
  EXPECT_NEAR(d.reference_nt, median(s.base_field_nt), 1e-9);
  // what is left of the drift: corrected - (reading without its drift) = reference - F - base noise
  std::vector<double> left(s.time_s.size()), before(s.time_s.size());
  for (std::size_t i = 0; i < left.size(); ++i) {
    left[i] = d.readings.value_nt[i] - (s.total_field_nt[i] - s.diurnal_nt[i]);
    before[i] = s.diurnal_nt[i];
  }
  EXPECT_GT(stddev(before), 5.0);
  EXPECT_LT(stddev(left), 1.2 * sc.nuisances.base_noise_nt);
  EXPECT_NEAR(median(left), d.reference_nt - sc.earth_field.total_nt, 3 * sc.nuisances.base_noise_nt);
  // readings after the base stops are gaps (NaN)
  std::vector<double> bt(s.base_time_s.begin(), s.base_time_s.begin() + Index(s.base_time_s.size() / 2));
  std::vector<double> bv(s.base_field_nt.begin(), s.base_field_nt.begin() + Index(bt.size()));
  const Diurnal h = diurnal_base(r, bt, bv);
  for (Index i = 0; i < r.size(); ++i) {
    const bool out = r.time_s[i] > bt.back();
    ASSERT_EQ(h.gap[i], out) << i;
    ASSERT_EQ(std::isnan(h.readings.value_nt[i]), out) << i;
  }
  EXPECT_EQ(r.value_nt, s.total_field_nt);  // the input is untouched
}

TEST(MagLinesDiurnal, RobustTrendRecoversAPolynomialDrift) {
  auto sc = quiet_scene();
  sc.nuisances.noise_nt = 0.2;
  const auto s = sim::simulate_mag(sc, 4, 0);
  Readings r = readings_from_survey(s);
  const double t0 = r.time_s.front(), t1 = r.time_s.back();
  std::vector<double> drift(r.value_nt.size());
  for (Index i = 0; i < r.size(); ++i) {
    const double u = (r.time_s[i] - t0) / (t1 - t0);
    drift[i] = 15 * u - 25 * u * u;
    r.value_nt[i] += drift[i];
  }
  const Diurnal d = diurnal_trend(r, 2);
  // the anomalies are outliers of the trend: the fitted drift follows the injected one to a constant
  std::vector<double> err(drift.size());
  for (std::size_t i = 0; i < err.size(); ++i) err[i] = d.correction_nt[i] - drift[i];
  EXPECT_LT(stddev(err), 0.15);  // of a drift of 10 nT; the anomalies' tails are what is left
  EXPECT_VALUE_ERROR(diurnal_trend(r, 6), "order = 6");
}

TEST(MagLinesDiurnal, LineMedianRemovesPerLineLevels) {
  Readings r = noisy_readings(0.1, 5);
  const Diurnal clean = diurnal_line_median(r);
  std::map<int, double> shift;
  for (Index i = 0; i < r.size(); ++i) r.value_nt[i] += (shift[r.line[i]] = 7.0 * std::sin(1.3 * r.line[i]));
  const Diurnal d = diurnal_line_median(r);
  // each line's correction = its injected shift + the clean survey's own line level + one constant
  const double c = d.correction_nt[0] - shift[r.line[0]] - clean.correction_nt[0];
  for (Index i = 0; i < r.size(); ++i) {
    ASSERT_NEAR(d.correction_nt[i] - shift[r.line[i]] - clean.correction_nt[i], c, 1e-9) << i;
    ASSERT_NEAR(d.readings.value_nt[i], r.value_nt[i] - d.correction_nt[i], 1e-9);
  }
}

TEST(MagLinesHampel, MatchesABruteForceReference) {
  std::mt19937_64 g(7);
  std::normal_distribution<double> n(0, 1);
  Readings r;
  for (int i = 0; i < 400; ++i) {
    r.time_s.push_back(i % 200), r.x_m.push_back(0), r.y_m.push_back(i % 200), r.line.push_back(i / 200);
    r.sensor.push_back(0), r.value_nt.push_back(i % 37 == 5 ? 30 : (i == 77 ? NAN : n(g)));
  }
  HampelOptions o;
  o.half_window = 4, o.k = 2.5, o.min_deviation_nt = 0;
  const Despiked d = despike_hampel(r, o, 3);
  for (int i = 0; i < 400; ++i) {
    if (std::isnan(r.value_nt[i])) {
      EXPECT_FALSE(d.spike[i]);
      continue;
    }
    const int line = i / 200, j = i % 200;
    std::vector<double> w;
    for (int q = std::max(0, j - 4); q <= std::min(199, j + 4); ++q)
      if (!std::isnan(r.value_nt[line * 200 + q])) w.push_back(r.value_nt[line * 200 + q]);
    const double med = median(w);
    std::vector<double> dev;
    for (double v : w) dev.push_back(std::abs(v - med));
    const bool spike = std::abs(r.value_nt[i] - med) > 2.5 * 1.4826 * median(dev);
    ASSERT_EQ(bool(d.spike[i]), spike) << i;
    ASSERT_EQ(d.readings.value_nt[i], spike ? med : r.value_nt[i]) << i;
    if (i % 37 == 5) EXPECT_TRUE(spike) << i;
  }
  o.replace = false;
  const Despiked f = despike_hampel(r, o, 1);
  EXPECT_EQ(f.spike, d.spike);
  for (int i = 0; i < 400; ++i)
    if (f.spike[i]) EXPECT_TRUE(std::isnan(f.readings.value_nt[i]));
  EXPECT_VALUE_ERROR(despike_hampel(r, {.half_window = 0}), "half_window = 0");
  EXPECT_VALUE_ERROR(despike_hampel(r, {.k = -1}), "k = -1");
}

TEST(MagLinesHampel, FlagsInjectedSpikesNotObjects) {
  const auto sc = sim::default_mag_scene();  // every nuisance at its default, objects of every class
  const auto s = sim::simulate_mag(sc, 8, 0);
  Readings r = readings_from_survey(s);
  std::mt19937_64 g(9);
  std::vector<std::uint8_t> injected(r.value_nt.size(), 0);
  for (Index i = 5; i < r.size(); i += 97 + Index(g() % 50)) {
    r.value_nt[i] += (g() % 2 ? 1 : -1) * (20.0 + double(g() % 200));
    injected[i] = 1;
  }
  const Despiked d = despike_hampel(r);
  // every spike on ground without a steep anomaly is found (on a steep flank a spike can hide in
  // the window's own spread); no reading over an object is taken for a spike
  Index found = 0, clear = 0, on_objects = 0, objects = 0;
  for (Index i = 0; i < r.size(); ++i) {
    if (injected[i] && std::abs(s.anomaly_nt[i]) < 10) ++clear, found += d.spike[i];
    if (!injected[i] && std::abs(s.anomaly_nt[i]) > 2.0) {
      ++objects;
      on_objects += d.spike[i];
    }
  }
  EXPECT_GT(clear, 100);
  EXPECT_EQ(found, clear);
  EXPECT_GT(objects, 500);
  EXPECT_EQ(on_objects, 0) << "of " << objects << " readings over objects";
  // threads do not change the result
  EXPECT_EQ(despike_hampel(r, {}, 1).spike, d.spike);
}

TEST(MagLinesLag, RecoversTheSimulatorsLag) {
  for (double lag : {0.1, 0.0, 0.25}) {
    auto sc = sim::default_mag_scene();  // every nuisance on
    sc.nuisances.lag_s = lag;
    // lines 1 m apart, sensors 0.25 m apart: the outer sensor retraces the ground of the next line's
    sc.survey.sensor_offsets_m = {-0.5, -0.25, 0.25, 0.5};
    const auto s = sim::simulate_mag(sc, 10, 0);
    const Readings r = readings_from_survey(s);
    const LagEstimate e = estimate_lag(r);
    EXPECT_GT(e.pairs, 10);
    EXPECT_NEAR(e.lag_s, lag, 0.02) << "lag " << lag;
    EXPECT_EQ(estimate_lag(r, {}, 1).lag_s, e.lag_s);
    // corrected positions: recorded + lag v, within the GPS jitter of the true ones
    const Readings c = correct_lag(r, e.lag_s);
    std::vector<double> before, after;
    for (Index i = 0; i < r.size(); ++i) {
      before.push_back(std::hypot(r.x_m[i] - s.x_true_m[i], r.y_m[i] - s.y_true_m[i]));
      after.push_back(std::hypot(c.x_m[i] - s.x_true_m[i], c.y_m[i] - s.y_true_m[i]));
    }
    EXPECT_LT(rms(after), 2 * sc.nuisances.gps_jitter_m * std::sqrt(2.0) * 0.5 + 0.02);
    if (lag > 0) EXPECT_LT(rms(after), rms(before));
  }
}

TEST(MagLinesLag, RecoversTheLagFromNeighbouringLines) {
  // ordinary back-and-forth surveys, no track retracing another: the default 4-sensor cart (the
  // nearest opposite tracks 0.25 m apart) and one sensor on lines 1 m apart, lines north and east.
  // Simulator seed 10; tolerances = the measured error (docs/mag_lines.md) + ~0.005 s. At I = 58
  // the error is that of this seed's objects (each pulls the lag by up to +-0.08 s depending on
  // whether it lies under a forward or a back line), not a bias: see ...ErrorAveragesOutOverSeeds.
  struct Case {
    std::vector<double> sensors;
    double inclination;
    bool north;
    double tol;
  };
  for (const Case& c : {Case{kCart, 58, true, 0.035}, Case{{0.0}, 58, true, 0.07}, Case{kCart, 58, false, 0.02},
                        Case{kCart, 90, true, 0.015}, Case{{0.0}, 90, true, 0.015}, Case{kCart, 90, false, 0.01}})
    for (double lag : {0.0, 0.2}) {
      const Readings r = neighbouring_lines(c.sensors, c.inclination, c.north, lag, 10);
      EXPECT_TRUE(std::isnan(estimate_lag(r, {.neighbour_separation_m = 0}).lag_s));  // the old behaviour
      const LagEstimate e = estimate_lag(r);
      EXPECT_TRUE(e.neighbours);
      EXPECT_GE(e.pairs, 10);
      EXPECT_NEAR(e.lag_s, lag, c.tol) << c.sensors.size() << " sensors, I = " << c.inclination
                                       << (c.north ? ", lines north" : ", lines east") << ", lag " << lag;
      EXPECT_EQ(estimate_lag(r, {}, 1).lag_s, e.lag_s);
    }
}

TEST(MagLinesLag, NeighbouringLinesErrorAveragesOutOverSeeds) {
  // the 4-sensor cart, lines north, lag 0.2 s, 6 random object layouts: at I = 58 the errors take
  // both signs (mean near 0, spread ~0.02 s: measured mean +0.012, max 0.030); at the pole all small
  std::vector<double> err58, err90;
  for (std::uint64_t seed : {10, 2, 3, 4, 5, 6}) {
    err58.push_back(estimate_lag(neighbouring_lines(kCart, 58, true, 0.2, seed)).lag_s - 0.2);
    err90.push_back(estimate_lag(neighbouring_lines(kCart, 90, true, 0.2, seed)).lag_s - 0.2);
  }
  double mean58 = 0, max58 = 0, max90 = 0;
  for (std::size_t k = 0; k < err58.size(); ++k)
    mean58 += err58[k] / double(err58.size()), max58 = std::max(max58, std::abs(err58[k])),
        max90 = std::max(max90, std::abs(err90[k]));
  EXPECT_LT(std::abs(mean58), 0.02);
  EXPECT_LT(max58, 0.035);
  EXPECT_LT(*std::min_element(err58.begin(), err58.end()), -0.01);  // errors of both signs
  EXPECT_GT(*std::max_element(err58.begin(), err58.end()), 0.01);
  EXPECT_LT(max90, 0.015);
}

TEST(MagLinesLag, NoOppositePairsGivesNaN) {
  Readings r;
  for (int i = 0; i < 50; ++i)
    r.time_s.push_back(i), r.x_m.push_back(0), r.y_m.push_back(i), r.line.push_back(0), r.sensor.push_back(0),
        r.value_nt.push_back(i);
  const auto e = estimate_lag(r);
  EXPECT_TRUE(std::isnan(e.lag_s));
  EXPECT_EQ(e.pairs, 0);
  EXPECT_VALUE_ERROR(estimate_lag(r, {.max_lag_s = -1}), "max_lag_s = -1");
}

TEST(MagLinesLagDipoles, RecoversTheLagWithoutRetracingOnACart) {
  // the default 4-sensor cart (no track retraces another), every nuisance on, I = 58 and 90,
  // lines north and east, 6 object layouts, lag 0.2 s. Measured (docs/mag_lines.md, lags 0 and
  // 0.2 s): max error 0.017 s, rms per case <= 0.0082 s; profiles of neighbouring tracks: up to 0.024 s
  struct Case {
    double inclination;
    bool north;
  };
  for (const Case& c : {Case{58, true}, Case{58, false}, Case{90, true}, Case{90, false}}) {
    std::vector<double> err, err_profiles;
    for (std::uint64_t seed : {10, 2, 3, 4, 5, 6})
      for (double lag : {0.2}) {  // the error hardly depends on the lag (docs/mag_lines.md: 0 and 0.2 s)
        const Readings r = neighbouring_lines(kCart, c.inclination, c.north, lag, seed);
        LagOptions o;
        o.method = LagMethod::dipoles;
        o.field.inclination_deg = c.inclination;
        const LagEstimate e = estimate_lag(r, o);
        ASSERT_GE(e.anomalies, 1) << "seed " << seed;
        EXPECT_FALSE(e.neighbours);
        EXPECT_NEAR(e.lag_s, lag, 0.022) << "I = " << c.inclination << (c.north ? ", lines north" : ", lines east")
                                         << ", seed " << seed << ", lag " << lag;
        err.push_back(e.lag_s - lag);
        err_profiles.push_back(estimate_lag(r).lag_s - lag);
        if (seed == 10 && lag > 0 && c.north && c.inclination < 90) {
          EXPECT_EQ(estimate_lag_dipoles(r, o, 1).lag_s, e.lag_s);  // any thread count, same numbers
          EXPECT_EQ(estimate_lag_dipoles(r, o, 3).lag_s, e.lag_s);
        }
      }
    EXPECT_LT(rms(err), 0.011) << "I = " << c.inclination << (c.north ? ", lines north" : ", lines east");
    if (c.inclination < 90) {
      EXPECT_LT(rms(err), 0.5 * rms(err_profiles));  // the layout effect is gone
    }
  }
}

TEST(MagLinesLagDipoles, FitsTheSimulatorsObjects) {
  // every anomaly used is a real object: its fitted position within 0.1 m of a simulated one
  auto sc = sim::default_mag_scene();
  sc.nuisances.lag_s = 0.2;
  const auto s = sim::simulate_mag(sc, 10, 0);
  LagOptions o;
  o.method = LagMethod::dipoles;
  const LagEstimate e = estimate_lag(readings_from_survey(s), o);
  ASSERT_GE(e.anomalies, 3);
  ASSERT_EQ(e.anomaly_x_m.size(), std::size_t(e.anomalies));
  EXPECT_DOUBLE_EQ(e.radius_m, 1.0);  // tracks 0.25 m apart
  EXPECT_GT(e.points, 50 * e.anomalies);
  for (std::size_t a = 0; a < e.anomaly_x_m.size(); ++a) {
    double nearest = INFINITY;
    for (const auto& t : s.truth.objects) nearest = std::min(nearest, std::hypot(t.x - e.anomaly_x_m[a], t.y - e.anomaly_y_m[a]));
    EXPECT_LT(nearest, 0.1) << "anomaly " << a << " at (" << e.anomaly_x_m[a] << ", " << e.anomaly_y_m[a] << ")";
  }
}

TEST(MagLinesLagDipoles, NoStrongAnomalyGivesNaN) {
  auto sc = sim::default_mag_scene();
  sc.random.counts = {};  // soil, noise, no object
  const Readings quiet = readings_from_survey(sim::simulate_mag(sc, 3, 0));
  LagOptions o;
  o.method = LagMethod::dipoles;
  for (const Readings& r : {quiet, neighbouring_lines(kCart, 58, true, 0.1, 10)}) {
    LagOptions strict = o;
    if (&r != &quiet) strict.min_anomaly_nt = 1e6;
    const LagEstimate e = estimate_lag(r, strict);
    EXPECT_TRUE(std::isnan(e.lag_s));
    EXPECT_EQ(e.anomalies, 0);
  }
  // one line: no reading of the other direction
  Readings one;
  for (int i = 0; i < 50; ++i)
    one.time_s.push_back(i), one.x_m.push_back(0), one.y_m.push_back(0.1 * i), one.line.push_back(0),
        one.sensor.push_back(0), one.value_nt.push_back(i == 25 ? 500 : 0);
  EXPECT_TRUE(std::isnan(estimate_lag(one, o).lag_s));
  EXPECT_VALUE_ERROR(estimate_lag(one, {.method = LagMethod::dipoles, .min_anomaly_nt = 0}), "min_anomaly_nt = 0");
  EXPECT_VALUE_ERROR(estimate_lag(one, {.method = LagMethod::dipoles, .radius_m = -1}), "radius_m = -1");
  EXPECT_VALUE_ERROR(estimate_lag(one, {.method = LagMethod::dipoles, .max_anomalies = 0}), "max_anomalies = 0");
  EXPECT_VALUE_ERROR(estimate_lag(one, {.method = LagMethod::dipoles, .sensor_height_m = 0}), "sensor_height_m = 0");
  EXPECT_VALUE_ERROR(estimate_lag_dipoles(one, {.max_lag_s = 0}), "max_lag_s = 0");
  EXPECT_VALUE_ERROR(estimate_lag(one, {.method = LagMethod(7)}), "method = 7");
}

TEST(MagLinesHeading, PerSensorOffsetsRecovered) {
  auto sc = sim::default_mag_scene();
  sc.nuisances.heading_nt = {0.5, 1.0, -0.7, 2.0};
  const auto s = sim::simulate_mag(sc, 11, 0);
  const Readings r = readings_from_survey(s);
  const Diurnal d = diurnal_base(r, s.base_time_s, s.base_field_nt);
  // this cart's tracks never retrace the next line's, so the lag is not estimated: it is known (a calibration)
  const Readings l = correct_lag(d.readings, sc.nuisances.lag_s);
  const HeadingEstimate h = estimate_heading(l);
  EXPECT_EQ(h.method, "coincident");
  ASSERT_EQ(h.offset_nt.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(h.offset_nt[k], sc.nuisances.heading_nt[k], 0.1) << "sensor " << k;
  // removal: what is left of the heading term is below 0.1 nT
  const Readings c = correct_heading(l, h);
  for (Index i = 0; i < r.size(); ++i)
    ASSERT_NEAR(l.value_nt[i] - c.value_nt[i], s.heading_nt[i], 0.1) << i;
  // line medians (no coincident readings needed) also get within 0.3 nT
  const HeadingEstimate m = estimate_heading(l, {.coincident = false});
  EXPECT_EQ(m.method, "line_medians");
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(m.offset_nt[k], sc.nuisances.heading_nt[k], 0.3) << "sensor " << k;
}

TEST(MagLinesGeometry, SensorOffsetsRotateWithHeading) {
  // direct formula: heading 0 (north): right = east; heading 90 (east): right = south
  auto p = offset_position(10, 20, 0, 0.5, 0.2);
  EXPECT_NEAR(p[0], 10.5, 1e-12);
  EXPECT_NEAR(p[1], 20.2, 1e-12);
  p = offset_position(10, 20, 90, 0.5, 0.2);
  EXPECT_NEAR(p[0], 10.2, 1e-12);
  EXPECT_NEAR(p[1], 19.5, 1e-12);
  p = offset_position(0, 0, 30, 1.0, 0.0);
  EXPECT_NEAR(p[0], std::cos(std::numbers::pi / 6), 1e-12);
  EXPECT_NEAR(p[1], -0.5, 1e-12);
  // the simulator's sensors: readings put at the cart centre, then moved by their offsets
  for (bool along_x : {false, true}) {
    auto sc = quiet_scene();
    sc.survey.lines_along_x = along_x;
    const auto s = sim::simulate_mag(sc, 12, 1);
    Readings r = readings_from_survey(s);
    const std::size_t ns = sc.survey.sensor_offsets_m.size();
    for (std::size_t e = 0; e < r.value_nt.size(); e += ns) {
      double cx = 0, cy = 0;
      for (std::size_t k = 0; k < ns; ++k) cx += s.x_true_m[e + k], cy += s.y_true_m[e + k];
      for (std::size_t k = 0; k < ns; ++k) r.x_m[e + k] = cx / double(ns), r.y_m[e + k] = cy / double(ns);
    }
    const std::vector<double> along(ns, 0.0);
    const Readings m = apply_sensor_offsets(r, sc.survey.sensor_offsets_m, along);
    for (Index i = 0; i < r.size(); ++i) {
      ASSERT_NEAR(m.x_m[i], s.x_true_m[i], 1e-6) << i;
      ASSERT_NEAR(m.y_m[i], s.y_true_m[i], 1e-6) << i;
    }
    EXPECT_VALUE_ERROR(apply_sensor_offsets(r, std::vector<double>{0.1}, std::vector<double>{0.0}), "sensor 1");
  }
}

TEST(MagLinesLevel, MedianLevellingRecoversLineOffsets) {
  Readings r = noisy_readings(0.2, 13);
  const Levelled clean = level_median(r);
  std::map<int, double> shift;
  for (Index i = 0; i < r.size(); ++i) r.value_nt[i] += (shift[r.line[i]] = 4.0 * std::cos(2.1 * r.line[i]));
  const Levelled l = level_median(r);
  // offsets = injected shift + the clean survey's own line offsets - a common constant
  std::vector<double> e;
  for (std::size_t k = 0; k < l.line.size(); ++k) e.push_back(l.offset_nt[k] - shift[l.line[k]] - clean.offset_nt[k]);
  EXPECT_LT(stddev(e), 0.05);
  // after levelling every line's median is the same
  const auto again = level_median(l.readings);
  for (double o : again.offset_nt) EXPECT_NEAR(o, 0.0, 1e-9);
}

TEST(MagLinesLevel, TieLinesRecoverLineOffsets) {
  // traverse lines north, tie lines east over the same ground (a second pass of the simulator)
  auto sc = quiet_scene();
  sc.nuisances.noise_nt = 0.1;
  sc.survey.sensor_offsets_m = {0.0};
  const auto a = sim::simulate_mag(sc, 14, 0);
  const std::string scene = a.scene_json;
  auto sb = sim::mag_scene_from_json(scene);
  sb.survey.lines_along_x = true, sb.survey.line_spacing_m = 5;
  sb.random.counts = {};
  const auto b = sim::simulate_mag(sb, 14, 0);
  Readings r = readings_from_survey(a);
  const Readings tie = readings_from_survey(b);
  std::vector<std::int32_t> tie_ids;
  for (Index i = 0; i < tie.size(); ++i) {
    r.time_s.push_back(tie.time_s[i] + 1e4), r.x_m.push_back(tie.x_m[i]), r.y_m.push_back(tie.y_m[i]);
    r.line.push_back(1000 + tie.line[i]), r.sensor.push_back(0), r.value_nt.push_back(tie.value_nt[i]);
    if (tie_ids.empty() || tie_ids.back() != 1000 + tie.line[i]) tie_ids.push_back(1000 + tie.line[i]);
  }
  std::map<int, double> shift;
  for (Index i = 0; i < r.size(); ++i)
    r.value_nt[i] += (shift[r.line[i]] = r.line[i] >= 1000 ? 0.0 : 6.0 * std::sin(0.7 * r.line[i]));
  const Levelled l = level_tie_lines(r, tie_ids, 0.1);
  EXPECT_GT(l.crossovers, 50);
  for (std::size_t k = 0; k < l.line.size(); ++k) EXPECT_NEAR(l.offset_nt[k], shift[l.line[k]], 0.2) << l.line[k];
  EXPECT_VALUE_ERROR(level_tie_lines(r, std::vector<std::int32_t>{99999}), "tie line 99999");
}

TEST(MagLinesRegional, PolynomialSurfaceRecoversGradient) {
  auto sc = quiet_scene();
  sc.nuisances.gradient_nt_m = {0.35, -0.2};
  sc.nuisances.noise_nt = 0.2;
  sc.objects.clear(), sc.random.counts = {};
  const auto s = sim::simulate_mag(sc, 15, 0);
  Readings r = readings_from_survey(s);
  for (Index i = 0; i < r.size(); i += 20) r.value_nt[i] += 300;  // 5% gross outliers
  const Regional g = remove_regional(r, 1);
  auto gr = g.surface.gradient(10, 10);
  EXPECT_NEAR(gr[0], 0.35, 0.002);
  EXPECT_NEAR(gr[1], -0.2, 0.002);
  EXPECT_NEAR(g.surface(10, 10) - g.surface(0, 0), 0.35 * 10 - 0.2 * 10, 0.1);
  // with the objects of the default scene: their big anomalies get no weight, only their tails bias
  sc = quiet_scene();
  sc.nuisances.gradient_nt_m = {0.35, -0.2};
  gr = remove_regional(readings_from_survey(sim::simulate_mag(sc, 15, 0)), 1).surface.gradient(10, 10);
  EXPECT_NEAR(gr[0], 0.35, 0.03);
  EXPECT_NEAR(gr[1], -0.2, 0.03);
  // exact quadratic with 5% gross outliers: recovered (Huber)
  std::vector<double> x, y, v;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-50, 50);
  for (int i = 0; i < 2000; ++i) {
    x.push_back(u(rng) + 300), y.push_back(u(rng) - 100);
    const double dx = x.back() - 300, dy = y.back() + 100;
    v.push_back(5 + 0.1 * dx - 0.3 * dy + 0.002 * dx * dx + 0.001 * dx * dy - 0.003 * dy * dy + (i % 20 == 0 ? 500 : 0));
  }
  const PolySurface p = fit_poly_surface(x, y, v, 2);
  for (int i = 0; i < 2000; i += 7) {
    const double dx = x[i] - 300, dy = y[i] + 100;
    EXPECT_NEAR(p(x[i], y[i]), 5 + 0.1 * dx - 0.3 * dy + 0.002 * dx * dx + 0.001 * dx * dy - 0.003 * dy * dy, 1e-6);
  }
  EXPECT_VALUE_ERROR(fit_poly_surface(x, y, v, 4), "order = 4");
  EXPECT_NEAR(remove_main_field(r, 49800).value_nt[3], r.value_nt[3] - 49800, 1e-9);
}

TEST(MagLinesPipeline, RealG858FileEndToEnd) {
  const Readings r = readings_from_line_data(io::read_g858(kStn));
  const Despiked d = despike_hampel(r);
  EXPECT_LT(d.spikes, r.size() / 50);
  const Diurnal t = diurnal_trend(d.readings, 2);  // no base station
  const LagEstimate lag = estimate_lag(t.readings);  // lines 5 m apart: no pair of tracks over the same ground
  const Readings l = std::isfinite(lag.lag_s) ? correct_lag(t.readings, lag.lag_s) : t.readings;
  const HeadingEstimate h = estimate_heading(l);
  EXPECT_EQ(h.method, "line_medians");
  const Readings c = correct_heading(l, h);
  const Regional reg = remove_regional(c, 1);
  const Levelled lv = level_median(reg.readings);
  for (double v : lv.readings.value_nt) ASSERT_TRUE(std::isfinite(v));
  // the offsets levelling applied are modest once trend and regional field are gone, and none is left
  for (double o : lv.offset_nt) EXPECT_LT(std::abs(o), 20.0);
  for (double o : level_median(lv.readings).offset_nt) EXPECT_LT(std::abs(o), 1e-9);
  // the heading step left no level difference between the directions (per sensor, line medians)
  for (double o : estimate_heading(c, {.coincident = false}).offset_nt) EXPECT_LT(std::abs(o), 1e-9);
  // the main field (~49,300 nT) is gone: what is left is geology and objects, tens of nT
  std::vector<double> a;
  for (double v : lv.readings.value_nt) a.push_back(std::abs(v));
  EXPECT_LT(median(a), 20.0);
}

TEST(MagLinesErrors, BadInputNamesTheValue) {
  Readings r;
  r.time_s = {0, 1}, r.x_m = {0, 0}, r.y_m = {0, 1}, r.line = {0, 0}, r.sensor = {0, 0}, r.value_nt = {1, 2};
  Readings bad = r;
  bad.x_m.pop_back();
  EXPECT_VALUE_ERROR(level_median(bad), "x_m has length 1");
  bad = r, bad.time_s[1] = NAN;
  EXPECT_VALUE_ERROR(despike_hampel(bad), "time_s[1]");
  bad = r, bad.value_nt[0] = INFINITY;
  EXPECT_VALUE_ERROR(line_geometry(bad), "value_nt[0]");
  EXPECT_VALUE_ERROR(correct_lag(r, NAN), "lag_s = nan");
  EXPECT_VALUE_ERROR(remove_main_field(r, INFINITY), "field_nt = inf");
  EXPECT_VALUE_ERROR(diurnal_base(r, std::vector<double>{0}, std::vector<double>{1}), "at least 2");
  // empty readings are fine where nothing is estimated
  const Readings empty;
  EXPECT_EQ(level_median(empty).readings.size(), 0);
  EXPECT_EQ(despike_hampel(empty).spikes, 0);
  EXPECT_VALUE_ERROR(remove_regional(empty, 1), "needs at least 3");
}

// The table of docs/mag_lines.md (Lag, dipoles): run with --gtest_also_run_disabled_tests. Prints, no checks.
TEST(MagLinesLagDipoles, DISABLED_MeasureTable) {
  struct Case {
    std::vector<double> sensors;
    double inclination;
    bool north;
  };
  for (const Case& c : {Case{kCart, 58, true}, Case{kCart, 58, false}, Case{kCart, 90, true}, Case{kCart, 90, false},
                        Case{{0.0}, 58, true}, Case{{0.0}, 58, false}, Case{{0.0}, 90, true}, Case{{0.0}, 90, false}}) {
    std::vector<double> err, err_profiles;
    int nan = 0;
    for (std::uint64_t seed : {10, 2, 3, 4, 5, 6})
      for (double lag : {0.0, 0.2}) {
        const Readings r = neighbouring_lines(c.sensors, c.inclination, c.north, lag, seed);
        LagOptions o;
        o.method = LagMethod::dipoles;
        o.field.inclination_deg = c.inclination;
        const double e = estimate_lag(r, o).lag_s - lag;
        if (std::isnan(e)) ++nan;
        else err.push_back(e);
        err_profiles.push_back(estimate_lag(r).lag_s - lag);
      }
    const auto max_abs = [](const std::vector<double>& v) {
      double m = 0;
      for (double x : v) m = std::max(m, std::abs(x));
      return m;
    };
    double mean = 0;
    for (double x : err) mean += x / double(err.size());
    std::printf("%zu sensor(s), I = %g, lines %s: dipoles mean %+.4f rms %.4f max %.4f (%d NaN) | profiles rms %.4f max %.4f\n",
                c.sensors.size(), c.inclination, c.north ? "north" : "east", mean, rms(err), max_abs(err), nan,
                rms(err_profiles), max_abs(err_profiles));
  }
}

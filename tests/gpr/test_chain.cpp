// Time zero, background windows, Chain (batch = stream for any block split), JSON, and
// the no-allocation guarantee of Stream::process/flush.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>

#include "sapper/sapper.hpp"
#include "support/alloc_counter.hpp"

using namespace sapper;
using namespace sapper::gpr;


namespace {

double ricker(double t_ns, double f_ghz) {
  const double a = M_PI * f_ghz * t_ns;
  return (1 - 2 * a * a) * std::exp(-a * a);
}

/// A B-scan of direct waves with per-trace delays, a flat reflector, a hyperbola and noise.
template <class T>
Matrix<T> scene(Index n, Index m, double dt, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.01);
  std::uniform_real_distribution<double> jitter(-0.15, 0.15);
  Matrix<T> x(n, m);
  for (Index j = 0; j < m; ++j) {
    const double d = 1.0 + jitter(rng);  // direct-wave delay, ns
    const double th = 3.0 + 2 * std::sqrt(0.01 + std::pow(0.01 * double(j - m / 2), 2)) / 0.12;
    for (Index i = 0; i < n; ++i) {
      const double t = double(i) * dt;
      x(i, j) = T(ricker(t - d, 1.5) - 0.5 * ricker(t - d - 1.0, 1.5) + 0.1 * ricker(t - d - th, 1.5) + 0.2 +
                  0.02 * t + noise(rng));
    }
  }
  return x;
}

Chain full_chain(bool causal_bg, Statistic bg_stat, bool causal_bp) {
  return Chain({RemoveDc{}, Dewow{1.5}, TimeZero{0.2, 1.0}, Background{21, bg_stat, causal_bg},
                Gain{1.0, 0.05, 1e3}, Agc{4.0, 1e3}, Bandpass{300, 3000, kUnset, causal_bp, 4}});
}

/// Feeds x through s in blocks of `block` traces and flushes; returns all output traces.
template <class T>
Matrix<T> run_stream(Stream<T>& s, const Matrix<T>& x, Index block) {
  Matrix<T> y(s.output_format().n_samples, x.cols()), buf(s.output_format().n_samples, std::max(block, s.latency()));
  Index got = 0;
  for (Index j = 0; j < x.cols(); j += block) {
    const Index k = s.process(x.middleCols(j, std::min(block, x.cols() - j)), buf);
    y.middleCols(got, k) = buf.leftCols(k);
    got += k;
  }
  const Index k = s.flush(buf);
  y.middleCols(got, k) = buf.leftCols(k);
  EXPECT_EQ(got + k, x.cols());
  return y;
}

}  // namespace

TEST(TimeZero, FractionallyShiftedRickerLandsWhereTheFormulaSays) {
  const Index n = 400;
  const double dt = 0.05;  // 13 samples per period at 1.5 GHz
  Matrix<double> x(n, 3), y(n, 3);
  for (Index i = 0; i < n; ++i) x.col(0)(i) = x.col(1)(i) = x.col(2)(i) = ricker(double(i) * dt - 8.0, 1.5);
  const std::vector<double> shifts = {0.37 * dt, -2.71 * dt, 5.0 * dt};
  shift_traces<double>(x, y, {n, dt, 0}, shifts);
  for (Index j = 0; j < 3; ++j)
    for (Index i = 0; i < n; ++i)
      EXPECT_NEAR(y(i, j), ricker(double(i) * dt - 8.0 - shifts[j], 1.5), 2e-3) << i << " " << j;
  EXPECT_EQ(y(10, 2), x(5, 2));  // a whole number of samples is an exact copy
}

TEST(TimeZero, FirstBreakInterpolatesTheThresholdCrossing) {
  Matrix<float> x = Matrix<float>::Zero(50, 2);
  for (Index i = 10; i < 50; ++i) x(i, 0) = float(i - 10);  // ramp from sample 10, max 39
  x(20, 1) = -4.f;                                          // a negative first arrival counts
  std::vector<double> picks(2);
  first_break<float>(x, {50, 0.5, 0}, 0.25, 0, picks);
  EXPECT_NEAR(picks[0], (10 + 0.25 * 39) * 0.5, 1e-6);  // |x| reaches 9.75 at sample 19.75
  EXPECT_NEAR(picks[1], 19.25 * 0.5, 1e-6);              // 0.25*4 = 1 is a quarter of the way
  Matrix<float> zero = Matrix<float>::Zero(50, 1);
  std::vector<double> p1(1);
  first_break<float>(zero, {50, 0.5, 0}, 0.25, 0, p1);
  EXPECT_TRUE(std::isnan(p1[0]));
}

TEST(TimeZero, AlignsEveryTraceAndCrops) {
  const Index n = 300, m = 40;
  const double dt = 0.05;
  Matrix<double> x(n, m);
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) x(i, j) = ricker(double(i) * dt - 2.0 - 0.013 * double(j), 1.5);
  const TraceFormat f{n, dt, 0};
  const TimeZero p = resolve_time_zero<double>(x, f, TimeZero{});
  std::vector<double> picks(m);
  first_break<double>(x, f, 0.2, 0, picks);
  std::vector<double> sorted = picks;
  std::nth_element(sorted.begin(), sorted.begin() + m / 2, sorted.end());
  EXPECT_NEAR(p.target_ns, std::round(0.5 * (sorted[m / 2] + *std::max_element(sorted.begin(), sorted.begin() + m / 2)) / dt) * dt, 1e-12);
  const TraceFormat g = time_zero_format(f, p);
  const Index k0 = std::lround(p.target_ns / dt);
  EXPECT_EQ(g.n_samples, n - k0);
  Matrix<double> y(g.n_samples, m);
  time_zero<double>(x, y, f, p);
  // every trace is now the same wavelet, with its first break at time zero (sample 0)
  for (Index j = 0; j < m; ++j) {
    const double delay = 2.0 + 0.013 * double(j) - picks[j];  // wavelet centre after its first break
    for (Index i = 0; i < g.n_samples; ++i) EXPECT_NEAR(y(i, j), ricker(double(i) * dt - delay, 1.5), 3e-3);
  }
}

TEST(Background, CausalWindowAndInPlaceMatchTheDirectFormula) {
  const Index n = 5, m = 30, w = 7;
  Matrix<double> x = Matrix<double>::Random(n, m), y(n, m);
  for (bool causal : {false, true}) {
    for (Statistic s : {Statistic::mean, Statistic::median}) {
      moving_background<double>(x, y, w, s, 1, causal);
      Matrix<double> z = x;
      moving_background<double>(z, z, w, s, 2, causal);
      for (Index j = 0; j < m; ++j) {
        const Index a = std::max<Index>(0, causal ? j - w + 1 : j - w / 2);
        const Index b = std::min<Index>(m, causal ? j + 1 : j + w / 2 + 1);
        for (Index i = 0; i < n; ++i) {
          std::vector<double> v;
          for (Index k = a; k < b; ++k) v.push_back(x(i, k));
          std::sort(v.begin(), v.end());
          double c = 0;
          if (s == Statistic::mean) {
            for (double e : v) c += e;
            c /= double(v.size());
          } else {
            c = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
          }
          EXPECT_NEAR(y(i, j), x(i, j) - c, 1e-12);
          EXPECT_NEAR(z(i, j), y(i, j), 1e-12);
        }
      }
    }
  }
}

TEST(Chain, BatchEqualsTheOperationsOneByOne) {
  const Index n = 256, m = 120;
  const double dt = 0.05;
  const Matrix<float> x = scene<float>(n, m, dt);
  const Chain c({RemoveDc{}, Dewow{1.5}, TimeZero{}, Background{21}, Gain{1.0, 0.05, 1e3}, Bandpass{300, 3000}});
  const Processed<float> r = c.apply<float>(x, {n, dt, 0});

  const TraceFormat f{n, dt, 0};
  Matrix<float> a(n, m);
  remove_dc<float>(x, a, f);
  dewow<float>(a, a, f, 1.5);
  const TimeZero tz = resolve_time_zero<float>(a, f, TimeZero{});
  const TraceFormat g = time_zero_format(f, tz);
  Matrix<float> b(g.n_samples, m);
  time_zero<float>(a, b, f, tz);
  moving_background<float>(b, b, 21);
  sec_gain<float>(b, b, g, 1.0, 0.05, 1e3);
  bandpass<float>(b, b, g, 300, 3000, 0.25 * 2700);
  ASSERT_EQ(r.format.n_samples, g.n_samples);
  EXPECT_EQ(r.format.time_zero_ns, 0.0);
  EXPECT_LE((r.data() - b).cwiseAbs().maxCoeff(), 1e-5f * b.cwiseAbs().maxCoeff());
  // the record of what was applied has the resolved target and taper, and replays exactly
  ASSERT_EQ(r.steps.size(), 6u);
  EXPECT_DOUBLE_EQ(std::get<TimeZero>(r.steps[2]).target_ns, tz.target_ns);
  EXPECT_DOUBLE_EQ(std::get<Bandpass>(r.steps[5]).taper_mhz, 675.0);
  const Processed<float> again = Chain::from_json(Chain(r.steps).to_json()).apply<float>(x, {n, dt, 0});
  EXPECT_EQ(again.data(), r.data());
}

TEST(Chain, StreamEqualsBatchForAnyBlockSplit) {
  const Index n = 200, m = 150;
  const double dt = 0.05;
  for (bool causal_bg : {false, true})
    for (Statistic st : {Statistic::mean, Statistic::median})
      for (bool causal_bp : {false, true}) {
        const Chain c = full_chain(causal_bg, st, causal_bp);
        const Matrix<double> x = scene<double>(n, m, dt, 7);
        const Processed<double> batch = c.apply<double>(x, {n, dt, 0}, 2);
        for (Index block : {1, 7, 64}) {
          Stream<double> s = c.stream<double>({n, dt, 0}, block);
          EXPECT_EQ(s.latency(), causal_bg ? 0 : 10);
          const Matrix<double> y = run_stream(s, x, block);
          EXPECT_LE((y - batch.data()).cwiseAbs().maxCoeff(), 1e-9) << block << causal_bg << causal_bp;
          const Matrix<double> y2 = run_stream(s, x, block);  // flush leaves the stream ready to reuse
          EXPECT_EQ(y2, y);
        }
      }
}

TEST(Chain, StreamProcessAndFlushDoNotAllocate) {
  const Index n = 512, m = 100;
  const double dt = 0.025;
  const Matrix<float> x = scene<float>(n, m, dt);
  for (bool causal_bp : {false, true}) {
    Stream<float> s = full_chain(false, Statistic::median, causal_bp).stream<float>({n, dt, 0}, 16);
    Matrix<float> out(s.output_format().n_samples, 16);
    const long before = test::allocation_count();
    for (Index j = 0; j + 16 <= m; j += 16) s.process(x.middleCols(j, 16), out);
    s.flush(out);
    EXPECT_EQ(test::allocation_count() - before, 0);
  }
}

TEST(Chain, JsonRoundTripAndErrors) {
  const Chain c = Chain::from_json(R"({"steps": [{"op": "dewow", "window_ns": 3},
      {"op": "background", "window_traces": 11, "method": "median", "causal": true},
      {"op": "time_zero", "target_ns": null}, {"op": "bandpass", "low_mhz": 100, "high_mhz": 900}]})");
  ASSERT_EQ(c.steps().size(), 4u);
  EXPECT_EQ(std::get<Dewow>(c.steps()[0]).window_ns, 3.0);
  EXPECT_EQ(std::get<Background>(c.steps()[1]).method, Statistic::median);
  EXPECT_TRUE(std::isnan(std::get<TimeZero>(c.steps()[2]).target_ns));
  EXPECT_EQ(Chain::from_json(c.to_json()).to_json(), c.to_json());

  auto message = [](auto&& f) {
    try {
      f();
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] { Chain::from_json(R"([{"op": "dewoww"}])"); }).find("dewoww"), std::string::npos);
  EXPECT_NE(message([] { Chain::from_json(R"([{"op": "dewow", "windw_ns": 2}])"); }).find("windw_ns"), std::string::npos);
  EXPECT_NE(message([] { Chain::from_json(R"([{"op": "dewow", "window_ns": "2"}])"); }).find("window_ns"), std::string::npos);
  EXPECT_NE(message([] { Chain::from_json("[{"); }).find("JSON"), std::string::npos);
  const Matrix<float> x = Matrix<float>::Random(64, 8);
  EXPECT_NE(message([&] { Chain({Dewow{-1}}).apply<float>(x, {64, 0.1, 0}); }).find("window_ns = -1"), std::string::npos);
  EXPECT_NE(message([&] { Chain({TimeZero{}}).stream<float>({64, 0.1, 0}, 8); }).find("target_ns"), std::string::npos);
  EXPECT_NE(message([&] { Chain({Background{0}}).stream<float>({64, 0.1, 0}, 8); }).find("global"), std::string::npos);
  EXPECT_NE(message([&] { Chain({Background{4}}).apply<float>(x, {64, 0.1, 0}); }).find("window_traces = 4"), std::string::npos);
  EXPECT_NE(message([&] { Chain({Bandpass{100, 9000}}).apply<float>(x, {64, 0.1, 0}); }).find("Nyquist"), std::string::npos);
}

TEST(Chain, BScanMetadataIsValidatedAndCarried) {
  BScan<float> b{Matrix<float>::Random(64, 10), {64, 0.1, 0}, {}};
  b.axes.position_m.resize(10);
  for (int j = 0; j < 10; ++j) b.axes.position_m[j] = 0.02 * j;
  b.axes.antenna_mhz = 1500;
  const Processed<float> r = Chain({Dewow{1.0}}).apply(b);
  EXPECT_EQ(r.axes.position_m, b.axes.position_m);
  EXPECT_EQ(r.axes.antenna_mhz, 1500);
  b.axes.position_m.pop_back();
  EXPECT_THROW(Chain({Dewow{1.0}}).apply(b), ValueError);
  b.axes.position_m.clear();
  b.format.n_samples = 63;
  EXPECT_THROW(b.validate(), ValueError);
}

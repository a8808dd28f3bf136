// Checks of the GPR prescreeners: CFAR scores against a direct reference, false-alarm rates
// against the analytic CA/OS-CFAR formulas, lone targets in noise, stream == batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "sapper/detect/prescreen.hpp"
#include "support/alloc_counter.hpp"

using namespace sapper;
using namespace sapper::detect;

namespace {
Eigen::MatrixXd exponential(Index n, Index nc, unsigned seed) {
  std::mt19937_64 g(seed);
  std::exponential_distribution<double> d(1.0);
  Eigen::MatrixXd s(n, nc);
  for (Index j = 0; j < n; ++j)
    for (Index c = 0; c < nc; ++c) s(j, c) = d(g);
  return s;
}

/// Direct reference of window + CFAR (+ suppression) on the whole statistic.
struct Ref {
  Eigen::MatrixXd stat, score;
  std::vector<std::pair<Index, Index>> alarms;  // (trace, channel)
};
Ref reference(const Eigen::MatrixXd& raw, const CfarOptions& o) {
  const Index n = raw.rows(), nc = raw.cols(), h = o.window / 2;
  Ref r;
  r.stat.resize(n, nc), r.score.resize(n, nc);
  for (Index j = 0; j < n; ++j)
    for (Index c = 0; c < nc; ++c) {
      double s = 0, m = 0;
      for (Index k = j - h; k <= j + h; ++k)
        if (k >= 0 && k < n) s += raw(k, c), ++m;
      r.stat(j, c) = s / m;
    }
  for (Index j = 0; j < n; ++j)
    for (Index c = 0; c < nc; ++c) {
      std::vector<double> cells;
      for (Index k = 0; k < n; ++k) {
        const Index off = k - j;
        const bool lead = off < -o.guard && off >= -o.guard - o.train;
        const bool trail = !o.causal && off > o.guard && off <= o.guard + o.train;
        if (!lead && !trail) continue;
        for (Index d = std::max<Index>(0, c - o.train_channels); d <= std::min(nc - 1, c + o.train_channels); ++d)
          cells.push_back(r.stat(k, d));
      }
      double bg = 0;
      if (o.cfar == Cfar::cell_average) {
        for (double v : cells) bg += v / double(cells.size());
      } else if (!cells.empty()) {
        std::sort(cells.begin(), cells.end());
        const auto k = std::size_t(std::ceil(o.os_rank * double(cells.size()) - 1e-9));
        bg = cells[std::max<std::size_t>(k, 1) - 1];
      }
      r.score(j, c) = cells.empty() ? 0 : r.stat(j, c) / bg;
    }
  for (Index j = 0; j < n; ++j)
    for (Index c = 0; c < nc; ++c) {
      const double q = r.score(j, c);
      bool peak = q >= o.threshold;
      for (Index k = std::max<Index>(0, j - o.separation); peak && k <= std::min(n - 1, j + o.separation); ++k)
        for (Index d = std::max<Index>(0, c - o.separation_channels);
             d <= std::min(nc - 1, c + o.separation_channels); ++d)
          if (r.score(k, d) > q || (r.score(k, d) == q && std::make_pair(k, d) < std::make_pair(j, c))) peak = false;
      if (peak) r.alarms.emplace_back(j, c);
    }
  return r;
}

double ricker(double t, double f) {
  const double a = M_PI * f * t;
  return (1 - 2 * a * a) * std::exp(-a * a);
}

/// White noise (sd 1) plus a hyperbola with apex at (trace j0, time t0_ns), amplitude `amp`
/// tapered along track, in channel `target_ch` (and half of it in its neighbours).
std::vector<Matrix<double>> lane(Index m, Index n, Index nc, double dt, Index j0, double t0, double amp,
                                 Index target_ch, unsigned seed, double layer = 0) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> noise;
  std::vector<Matrix<double>> out;
  for (Index c = 0; c < nc; ++c) {
    Matrix<double> x(m, n);
    const double a = c == target_ch ? amp : std::abs(c - target_ch) == 1 ? amp / 2 : 0;
    for (Index j = 0; j < n; ++j) {
      const double dx = 0.02 * double(j - j0), th = std::sqrt(t0 * t0 + std::pow(2 * dx / 0.12, 2));
      for (Index i = 0; i < m; ++i) {
        const double t = double(i) * dt;
        x(i, j) = noise(g) + a * std::exp(-dx * dx / 0.01) * ricker(t - th, 1.0) + layer * ricker(t - 4.0, 1.0);
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<ConstView<double>> views(const std::vector<Matrix<double>>& v) {
  std::vector<ConstView<double>> r;
  for (const auto& m : v) r.emplace_back(m);
  return r;
}
}  // namespace

TEST(DetectPrescreen, CfarMatchesDirectReference) {
  const Eigen::MatrixXd raw = exponential(300, 4, 3);
  for (Cfar kind : {Cfar::cell_average, Cfar::order_statistic})
    for (bool causal : {false, true}) {
      CfarOptions o;
      o.cfar = kind, o.causal = causal, o.window = 3, o.guard = 2, o.train = 5, o.train_channels = 1;
      o.threshold = 1.5, o.separation = 3, o.separation_channels = 1;
      const Prescreen p = cfar(raw, o);
      const Ref r = reference(raw, o);
      for (Index j = 0; j < raw.rows(); ++j)
        for (Index c = 0; c < raw.cols(); ++c) {
          ASSERT_NEAR(p.statistic(j, c), r.stat(j, c), 1e-12);
          ASSERT_NEAR(p.score(j, c), r.score(j, c), 1e-12 * (1 + r.score(j, c))) << j << " " << c;
        }
      ASSERT_EQ(p.alarms.size(), r.alarms.size());
      ASSERT_GT(p.alarms.size(), 3u);
      for (std::size_t i = 0; i < r.alarms.size(); ++i) {
        EXPECT_EQ(p.alarms[i].trace, r.alarms[i].first);
        EXPECT_EQ(p.alarms[i].channel, r.alarms[i].second);
        EXPECT_DOUBLE_EQ(p.alarms[i].score, r.score(r.alarms[i].first, r.alarms[i].second));
      }
    }
}

// Exponential cells: CA-CFAR Pfa = (1 + T/N)^-N; OS-CFAR Pfa = prod_{i<k} (N - i) / (N - i + T).
TEST(DetectPrescreen, FalseAlarmRateMatchesTheory) {
  const Index n = 200000, half = 16, N = 2 * half;
  const Eigen::MatrixXd raw = exponential(n, 1, 11);
  for (Cfar kind : {Cfar::cell_average, Cfar::order_statistic}) {
    CfarOptions o;
    o.cfar = kind, o.guard = 2, o.train = half, o.separation = 0, o.separation_channels = 0, o.threshold = 0;
    const Prescreen p = cfar(raw, o);
    for (double thr : {3.0, 8.0}) {
      double pfa = std::pow(1 + thr / double(N), -double(N));
      if (kind == Cfar::order_statistic) {
        pfa = 1;
        for (Index i = 0; i < 24; ++i) pfa *= double(N - i) / (double(N - i) + thr);
      }
      Index hits = 0, cells = 0;
      for (Index j = 20; j < n - 20; ++j, ++cells) hits += p.score(j, 0) >= thr;
      const double expect = pfa * double(cells), sd = std::sqrt(expect);
      EXPECT_NEAR(double(hits), expect, 5 * sd) << int(kind) << " T = " << thr;
    }
  }
}

// Energy in a 2-sample gate of white Gaussian noise is exponential: the whole energy prescreener
// with a CA-CFAR keeps the analytic false-alarm rate.
TEST(DetectPrescreen, EnergyOnNoiseKeepsCaRate) {
  const Index n = 100000, half = 16;
  std::mt19937_64 g(5);
  std::normal_distribution<double> d(0, 3);
  Matrix<double> x(4, n);
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < 4; ++i) x(i, j) = d(g);
  PrescreenOptions o;
  o.gate_start_ns = 1, o.gate_end_ns = 2;  // samples 1 and 2 at dt = 1 ns
  o.cfar.guard = 1, o.cfar.train = half, o.cfar.separation = 0, o.cfar.separation_channels = 0;
  o.cfar.threshold = 2 * half * (std::pow(0.01, -1.0 / double(2 * half)) - 1);  // Pfa = 0.01
  const Prescreen p = prescreen<double>(x, {4, 1.0, 0.0}, o);
  Index inside = 0;
  for (const auto& a : p.alarms) {
    inside += a.trace >= 20 && a.trace < n - 20;
    EXPECT_TRUE(a.sample == 1 || a.sample == 2);
  }
  const double expect = 0.01 * double(n - 40);
  EXPECT_NEAR(double(inside), expect, 5 * std::sqrt(expect));
}

TEST(DetectPrescreen, EachStatisticFindsALoneTarget) {
  const Index m = 200, n = 300, j0 = 140;
  const double dt = 0.05, t0 = 6.0;  // apex at sample 120
  for (Index nc : {1, 5}) {
    const auto data = lane(m, n, nc, dt, j0, t0, 8.0, nc / 2, 7);
    const auto v = views(data);
    for (Statistic st : {Statistic::energy, Statistic::lms})
      for (Cfar kind : {Cfar::cell_average, Cfar::order_statistic}) {
        PrescreenOptions o;
        o.statistic = st, o.gate_start_ns = 4, o.gate_end_ns = 8;
        o.cfar.cfar = kind, o.cfar.train_channels = nc > 1 ? 1 : 0, o.cfar.threshold = 3;
        o.lms_channels = nc > 1 ? 1 : 0;
        const Prescreen p = prescreen<double>(v, {m, dt, 0.0}, o);
        ASSERT_EQ(p.alarms.size(), 1u) << int(st) << " " << int(kind) << " nc " << nc;
        const GprAlarm& a = p.alarms[0];
        EXPECT_NEAR(double(a.trace), double(j0), 2);
        EXPECT_EQ(a.channel, nc / 2);
        EXPECT_NEAR(a.time_ns, t0, 2 * dt);
        EXPECT_NEAR(double(a.sample), t0 / dt, 2);
        EXPECT_GT(a.score, 3);
        EXPECT_DOUBLE_EQ(a.score, p.score(a.trace, a.channel));
      }
  }
}

// A strong flat layer in the gate: the LMS predictor learns and cancels it, energy cannot.
TEST(DetectPrescreen, LmsCancelsAFlatLayer) {
  const Index m = 200, n = 400, j0 = 300;
  const auto data = lane(m, n, 1, 0.05, j0, 6.0, 8.0, 0, 9, 40.0);
  PrescreenOptions o;
  o.gate_start_ns = 3, o.gate_end_ns = 8, o.cfar.threshold = 3;
  const Prescreen e = prescreen<double>(data[0], {m, 0.05, 0.0}, o);
  o.statistic = Statistic::lms;
  const Prescreen l = prescreen<double>(data[0], {m, 0.05, 0.0}, o);
  EXPECT_TRUE(e.alarms.empty());
  ASSERT_EQ(l.alarms.size(), 1u);
  EXPECT_NEAR(double(l.alarms[0].trace), double(j0), 2);
}

TEST(DetectPrescreen, StreamingInBlocksEqualsBatch) {
  const Index m = 64, n = 157, nc = 3;
  const auto data = lane(m, n, nc, 0.1, 80, 3.0, 6.0, 1, 13);
  std::vector<Matrix<float>> f;
  for (const auto& d : data) f.push_back(d.cast<float>());
  for (Statistic st : {Statistic::energy, Statistic::lms})
    for (Cfar kind : {Cfar::none, Cfar::cell_average, Cfar::order_statistic})
      for (bool causal : {false, true}) {
        PrescreenOptions o;
        o.statistic = st, o.gate_start_ns = 1, o.lms_channels = 1, o.cfar.window = 3;
        o.cfar.cfar = kind, o.cfar.causal = causal, o.cfar.train_channels = 1, o.cfar.threshold = 1.2;
        o.cfar.separation = 4, o.cfar.separation_channels = 1;
        const TraceFormat fmt{m, 0.1, 0.5};
        std::vector<ConstView<float>> all;
        for (const auto& x : f) all.emplace_back(x);
        const Prescreen b = prescreen<float>(all, fmt, o);
        ASSERT_FALSE(b.alarms.empty());
        for (Index block : {Index(1), Index(7), n}) {
          PrescreenStream<float> s(fmt, nc, o);
          std::vector<GprAlarm> alarms;
          Eigen::MatrixXd score(nc, n + s.delay());
          Index done = 0;
          for (Index j0 = 0; j0 < n; j0 += block) {
            const Index w = std::min(block, n - j0);
            std::vector<ConstView<float>> blk;
            for (const auto& x : f) blk.emplace_back(x.middleCols(j0, w));
            done += s.process(blk, alarms, {nullptr, score.data() + done * nc, nullptr});
            EXPECT_EQ(done, std::max<Index>(0, j0 + w - s.delay()));  // bounded latency
          }
          done += s.flush(alarms, {nullptr, score.data() + done * nc, nullptr});
          ASSERT_EQ(done, n);
          ASSERT_EQ(alarms.size(), b.alarms.size()) << "block " << block;
          for (std::size_t i = 0; i < alarms.size(); ++i) {
            EXPECT_EQ(alarms[i].trace, b.alarms[i].trace);
            EXPECT_EQ(alarms[i].channel, b.alarms[i].channel);
            EXPECT_EQ(alarms[i].sample, b.alarms[i].sample);
            EXPECT_EQ(alarms[i].score, b.alarms[i].score);
            EXPECT_EQ(alarms[i].time_ns, b.alarms[i].time_ns);
          }
          for (Index j = 0; j < n; ++j)
            for (Index c = 0; c < nc; ++c) ASSERT_EQ(score(c, j), b.score(j, c));
        }
      }
}

TEST(DetectPrescreen, Positions) {
  std::vector<GprAlarm> a(2);
  a[0].trace = 2, a[0].channel = 1, a[1].trace = 0;
  const std::vector<double> x{0.0, 0.5, 1.0}, y{-0.1, 0.1};
  set_positions(a, x, y);
  EXPECT_EQ(a[0].x_m, 1.0);
  EXPECT_EQ(a[0].y_m, 0.1);
  EXPECT_EQ(a[1].x_m, 0.0);
  a[0].trace = 3;
  EXPECT_THROW(set_positions(a, x, {}), ValueError);
}

TEST(DetectPrescreen, Errors) {
  Matrix<double> x = Matrix<double>::Random(32, 40);
  const TraceFormat fmt{32, 0.1, 0.0};
  auto bad = [&](auto edit) {
    PrescreenOptions o;
    edit(o);
    EXPECT_THROW(prescreen<double>(x, fmt, o), ValueError);
  };
  bad([](PrescreenOptions& o) { o.cfar.window = 2; });
  bad([](PrescreenOptions& o) { o.cfar.train = 0; });
  bad([](PrescreenOptions& o) { o.cfar.guard = -1; });
  bad([](PrescreenOptions& o) { o.cfar.os_rank = 0; });
  bad([](PrescreenOptions& o) { o.cfar.threshold = NAN; });
  bad([](PrescreenOptions& o) { o.cfar.separation = -1; });
  bad([](PrescreenOptions& o) { o.gate_start_ns = 5, o.gate_end_ns = 9; });  // after the record
  bad([](PrescreenOptions& o) { o.gate_start_ns = 2, o.gate_end_ns = 1; });
  bad([](PrescreenOptions& o) { o.statistic = Statistic::lms, o.lms_step = 2; });
  bad([](PrescreenOptions& o) { o.statistic = Statistic::lms, o.lms_traces = 0; });
  bad([](PrescreenOptions& o) { o.statistic = Statistic::lms, o.lms_channels = 1; });  // one channel
  EXPECT_THROW(prescreen<double>(x, {31, 0.1, 0.0}, {}), ValueError);
  EXPECT_THROW(prescreen<double>(x, {32, 0.0, 0.0}, {}), ValueError);
  x(3, 7) = NAN;
  EXPECT_THROW(prescreen<double>(x, fmt, {}), ValueError);
  Eigen::MatrixXd s = Eigen::MatrixXd::Ones(10, 1);
  s(2, 0) = -1;
  EXPECT_THROW(cfar(s, {}), ValueError);
  EXPECT_THROW(cfar(Eigen::MatrixXd(0, 1), {}), ValueError);
}

TEST(DetectPrescreen, StreamProcessAllocatesNothing) {
  const Index m = 64, n = 96;
  const auto data = lane(m, n, 2, 0.1, 40, 3.0, 6.0, 1, 5);
  const Matrix<float> a = data[0].cast<float>(), b = data[1].cast<float>();
  for (Statistic st : {Statistic::energy, Statistic::lms}) {
    PrescreenOptions o;
    o.statistic = st, o.lms_channels = 1, o.cfar.train_channels = 1;
    PrescreenStream<float> s({m, 0.1, 0.5}, 2, o);
    std::vector<GprAlarm> alarms;
    alarms.reserve(std::size_t(s.max_alarms(n)));
    std::vector<double> score(std::size_t((n + s.delay()) * 2));
    const long before = test::allocation_count();
    Index done = 0;
    for (Index j0 = 0; j0 < n; j0 += 16) {
      const std::array<ConstView<float>, 2> blk{ConstView<float>(a.middleCols(j0, 16)),
                                                ConstView<float>(b.middleCols(j0, 16))};
      done += s.process(blk, alarms, {nullptr, score.data() + done * 2, nullptr});
    }
    s.flush(alarms, {nullptr, score.data() + done * 2, nullptr});
    EXPECT_EQ(test::allocation_count() - before, 0);
  }
}

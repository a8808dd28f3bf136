// Line preprocessing on 1,024,000 readings: 160 lines 160 m long, alternating, 4 sensors 0.25 m
// apart (outer sensors retracing the next line), 10 samples/m at 1 m/s, noise + 200 Gaussian
// bumps + a 0.1 s lag, and a 1 Hz base station. Times per step: docs/mag_lines.md.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "sapper/mag/lines.hpp"

using namespace sapper;

namespace {

struct Survey {
  mag::Readings r;
  std::vector<double> base_t, base_v;
  Survey() {
    std::mt19937_64 g(1);
    std::normal_distribution<double> n(0, 0.2);
    std::uniform_real_distribution<double> u(0, 160);
    std::vector<std::array<double, 3>> bumps(200);
    for (auto& b : bumps) b = {u(g), u(g), 5 + u(g)};
    const double offs[4] = {-0.5, -0.25, 0.25, 0.5}, lag = 0.1;
    double t = 0;
    for (int line = 0; line < 160; ++line) {
      const int dir = line % 2 ? -1 : 1;
      for (int k = 0; k < 1600; ++k, t += 0.1) {
        const double yt = dir > 0 ? 0.1 * k : 160 - 0.1 * k;
        for (int s = 0; s < 4; ++s) {
          const double x = line + 0.5 + dir * offs[s];
          double v = 49800 + 10 * std::sin(t / 900) + n(g);
          for (const auto& b : bumps) {
            const double d2 = (x - b[0]) * (x - b[0]) + (yt - b[1]) * (yt - b[1]);
            if (d2 < 4) v += b[2] * std::exp(-d2 / 0.18);
          }
          r.time_s.push_back(t), r.x_m.push_back(x), r.y_m.push_back(yt - dir * lag);
          r.line.push_back(line), r.sensor.push_back(s), r.value_nt.push_back(v);
        }
      }
    }
    for (double b = -1; b < t + 2; b += 1) base_t.push_back(b), base_v.push_back(49800 + 10 * std::sin(b / 900));
  }
};

const Survey& survey() {
  static const Survey s;
  return s;
}

void rate(benchmark::State& st) {
  st.counters["readings/s"] =
      benchmark::Counter(double(survey().r.size()), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

static void BM_MagLinesDiurnalBase(benchmark::State& st) {
  const auto& s = survey();
  for (auto _ : st) benchmark::DoNotOptimize(mag::diurnal_base(s.r, s.base_t, s.base_v, 0, 0, NAN, int(st.range(0))));
  rate(st);
}
static void BM_MagLinesDespike(benchmark::State& st) {
  const auto& s = survey();
  for (auto _ : st) benchmark::DoNotOptimize(mag::despike_hampel(s.r, {}, int(st.range(0))));
  rate(st);
}
static void BM_MagLinesLag(benchmark::State& st) {
  const auto& s = survey();
  for (auto _ : st) benchmark::DoNotOptimize(mag::estimate_lag(s.r, {}, int(st.range(0))));
  rate(st);
}
static void BM_MagLinesHeading(benchmark::State& st) {
  const auto& s = survey();
  for (auto _ : st) benchmark::DoNotOptimize(mag::estimate_heading(s.r));
  rate(st);
}
static void BM_MagLinesLevelMedian(benchmark::State& st) {
  const auto& s = survey();
  for (auto _ : st) benchmark::DoNotOptimize(mag::level_median(s.r));
  rate(st);
}
static void BM_MagLinesRegional(benchmark::State& st) {
  const auto& s = survey();
  for (auto _ : st) benchmark::DoNotOptimize(mag::remove_regional(s.r, int(st.range(0))));
  rate(st);
}
BENCHMARK(BM_MagLinesDiurnalBase)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagLinesDespike)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagLinesLag)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagLinesHeading)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagLinesLevelMedian)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagLinesRegional)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

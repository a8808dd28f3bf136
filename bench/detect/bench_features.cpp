// Features per second for a 64 x 32 window around an alarm (one thread): the whole vector
// (HOG 756 + EHD 80 + hyperbola 9 + energy 3 + spectral 2), each group alone, and the hyperbola
// fit (41-trace window). The B-scan: 512 samples x 256 traces, a Ricker hyperbola plus noise.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "sapper/detect/features.hpp"

using namespace sapper;
using namespace sapper::detect;

namespace {
struct Scene {
  TraceFormat f{512, 0.025, 1.0};
  Matrix<float> x;
  GprAlarm a;
  Scene() : x(512, 256) {
    std::mt19937 g(1);
    std::normal_distribution<double> noise(0, 0.02);
    for (Index j = 0; j < 256; ++j)
      for (Index i = 0; i < 512; ++i) {
        const double t = double(i) * f.dt_ns - f.time_zero_ns, xp = 0.01 * double(j - 128);
        const double u = M_PI * 1.5 * (t - 2 * std::sqrt(0.01 + xp * xp) / 0.1);
        x(i, j) = float((1 - 2 * u * u) * std::exp(-u * u) + noise(g));
      }
    a.trace = 128, a.sample = Index(std::lround(3.0 / f.dt_ns));
  }
};
const Scene& scene() {
  static const Scene s;
  return s;
}

void run(benchmark::State& st, FeatureOptions o) {
  const Scene& s = scene();
  o.hyperbola.trace_spacing_m = 0.01;
  FeatureExtractor<float> fx(s.f, o);
  std::vector<double> v(std::size_t(fx.size()));
  for (auto _ : st) {
    benchmark::DoNotOptimize(fx.compute(s.x, {}, s.a, v));
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations());  // alarms
  st.counters["features"] = double(fx.size());
}

FeatureOptions only(bool hog, bool ehd, bool hyp, bool energy, bool spectral) {
  FeatureOptions o;
  o.use_hog = hog, o.use_ehd = ehd, o.use_hyperbola = hyp, o.use_energy = energy, o.use_spectral = spectral;
  return o;
}
}  // namespace

static void BM_FeaturesAll(benchmark::State& st) { run(st, {}); }
static void BM_FeaturesHog(benchmark::State& st) { run(st, only(true, false, false, false, false)); }
static void BM_FeaturesEhd(benchmark::State& st) { run(st, only(false, true, false, false, false)); }
static void BM_FeaturesHyperbola(benchmark::State& st) { run(st, only(false, false, true, false, false)); }
static void BM_FeaturesEnergySpectral(benchmark::State& st) { run(st, only(false, false, false, true, true)); }
BENCHMARK(BM_FeaturesAll);
BENCHMARK(BM_FeaturesHog);
BENCHMARK(BM_FeaturesEhd);
BENCHMARK(BM_FeaturesHyperbola);
BENCHMARK(BM_FeaturesEnergySpectral);

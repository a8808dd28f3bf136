// Grid transforms on an n x n total-field grid (taper padding to 1.5 n): reduction to the pole
// (one forward + one inverse 2-D FFT), the total gradient amplitude (one forward + three inverse)
// and target picking. Args: n, threads (0 = all cores).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sapper/mag/dipole.hpp"
#include "sapper/mag/transform.hpp"

using namespace sapper;

namespace {

/// 0.1 m grid with 40 induced dipoles and 0.1 nT of noise.
mag::Grid survey(Index n) {
  const mag::GridSpec s{0, 0, 0.1, 0.1, n, n};
  const mag::EarthField f{};
  std::mt19937_64 g(3);
  std::uniform_real_distribution<double> u(0, 0.1 * double(n)), dep(0.2, 1.0), m(0.01, 0.5);
  std::vector<mag::Dipole> d;
  for (int k = 0; k < 40; ++k) {
    const auto mo = mag::induced_moment(m(g) / 1194.0, f);  // 1 litre ~ 1.19 A m^2
    d.push_back({u(g), u(g), -dep(g), mo[0], mo[1], mo[2]});
  }
  std::vector<double> x, y, z, t(std::size_t(n * n));
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < n; ++i) x.push_back(s.x(i)), y.push_back(s.y(j)), z.push_back(0.3);
  mag::total_field_anomaly(d, {x, y, z}, f, t);
  std::normal_distribution<double> noise(0, 0.1);
  mag::Grid r{s, mag::GridValues(n, n)};
  for (Index q = 0; q < n * n; ++q) r.values.data()[q] = t[std::size_t(q)] + noise(g);
  return r;
}

void counters(benchmark::State& st, Index n) {
  st.counters["cells/s"] = benchmark::Counter(double(n * n), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["bytes/s"] = benchmark::Counter(double(n * n * 16), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

static void BM_MagRtp(benchmark::State& st) {
  const Index n = st.range(0);
  const mag::Grid g = survey(n);
  mag::TransformOptions o;
  o.threads = int(st.range(1));
  mag::reduction_to_pole(g, 58, 6, 58, 6, 20, o);  // plans FFTW (FFTW_MEASURE) outside the timing
  for (auto _ : st) {
    const mag::Grid r = mag::reduction_to_pole(g, 58, 6, 58, 6, 20, o);
    benchmark::DoNotOptimize(r.values.data());
  }
  counters(st, n);
}

static void BM_MagTotalGradient(benchmark::State& st) {
  const Index n = st.range(0);
  const mag::Grid g = survey(n);
  mag::TransformOptions o;
  o.threads = int(st.range(1));
  mag::total_gradient_amplitude(g, o);
  for (auto _ : st) {
    const mag::Grid r = mag::total_gradient_amplitude(g, o);
    benchmark::DoNotOptimize(r.values.data());
  }
  counters(st, n);
}

static void BM_MagPickTargets(benchmark::State& st) {
  const Index n = st.range(0);
  const mag::Grid g = survey(n);
  mag::TransformOptions o;
  o.threads = int(st.range(1));
  mag::pick_targets(g, {}, o);
  for (auto _ : st) {
    const auto p = mag::pick_targets(g, {}, o);
    benchmark::DoNotOptimize(p.data());
  }
  counters(st, n);
}

BENCHMARK(BM_MagRtp)->Args({1024, 1})->Args({1024, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagTotalGradient)->Args({1024, 1})->Args({1024, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MagPickTargets)->Args({512, 1})->Args({512, 0})->UseRealTime()->Unit(benchmark::kMillisecond);

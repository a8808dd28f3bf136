// Throughput of the ground methods on one thread, 512 samples x 2,000 traces float32 (dt 0.025 ns):
// a bounce drifting over rough ground, a coupling drifting in scale, noise. Items = traces.
#include <benchmark/benchmark.h>

#include <cmath>

#include "sapper/clutter.hpp"

using namespace sapper;
using namespace sapper::clutter;

namespace {
constexpr Index kN = 512, kM = 2000;
const TraceFormat kF{kN, 0.025, 0};

float ricker(double t) {
  const double a = 3.14159265358979 * 1.5 * t;
  return float((1 - 2 * a * a) * std::exp(-a * a));
}

const Matrix<float>& input() {
  static const Matrix<float> x = [] {
    Matrix<float> r = Matrix<float>::Random(kN, kM) * 0.01f;
    for (Index j = 0; j < kM; ++j) {
      const double tg = 2.0 + 0.1 * std::sin(double(j) / 60) + 0.03 * std::sin(0.9 * double(j));
      for (Index i = 0; i < kN; ++i) {
        const double t = double(i) * kF.dt_ns;
        r(i, j) += -ricker(t - tg) + float(0.6 * (1 + 0.05 * std::sin(0.03 * double(j)))) * ricker(t - 0.8);
      }
    }
    return r;
  }();
  return x;
}
}  // namespace

/// GroundSuppressStream fed blocks of range(0) traces, the ringing subspace re-estimated every
/// range(1) traces (defaults otherwise: template 128, window 256, rank 3, power_iters 0).
static void BM_ClutterGroundStream(benchmark::State& st) {
  const Index b = st.range(0);
  GroundStreamOptions o;
  o.search_start_ns = 1.3;
  o.ringing_update = st.range(1);
  GroundSuppressStream<float> s(kF, o);
  Matrix<float> y(kN, b);
  for (auto _ : st) {
    s.reset();
    for (Index j = 0; j + b <= kM; j += b) s.process(input().middleCols(j, b), y);
    benchmark::DoNotOptimize(y.data());
  }
  st.SetItemsProcessed(st.iterations() * (kM / b) * b);
}
/// The batch suppress_ground on one thread, for the ratio.
static void BM_ClutterSuppressGroundBatch(benchmark::State& st) {
  GroundTrackOptions t;
  t.search_start_ns = 1.3;
  Matrix<float> y(kN, kM);
  for (auto _ : st) {
    suppress_ground<float>(input(), y, kF, t, {}, 1);
    benchmark::DoNotOptimize(y.data());
  }
  st.SetItemsProcessed(st.iterations() * kM);
}
BENCHMARK(BM_ClutterGroundStream)->Args({1, 1})->Args({16, 1})->Args({1, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClutterSuppressGroundBatch)->Unit(benchmark::kMillisecond);

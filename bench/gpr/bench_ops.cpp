// Throughput of the GPR operations on a 512-sample x 10,000-trace float32 B-scan.
#include <benchmark/benchmark.h>

#include "sapper/sapper.hpp"

using namespace sapper;
using namespace sapper::gpr;

namespace {
constexpr Index kN = 512, kM = 10000;
const TraceFormat kF{kN, 0.025, 0};

Matrix<float>& input() {
  static Matrix<float> x = Matrix<float>::Random(kN, kM);
  return x;
}

template <class F>
void run(benchmark::State& st, F&& f) {
  Matrix<float> y(kN, kM);
  const int threads = int(st.range(0));
  f(input(), y, threads);  // warm up: FFT plans, page faults
  for (auto _ : st) {
    f(input(), y, threads);
    benchmark::DoNotOptimize(y.data());
  }
  st.SetItemsProcessed(st.iterations() * kM);
  st.SetBytesProcessed(st.iterations() * kM * kN * Index(sizeof(float)));
  st.counters["traces/s"] = benchmark::Counter(double(kM), benchmark::Counter::kIsIterationInvariantRate);
}
}  // namespace

static void BM_Copy(benchmark::State& st) {  // reference kernel for regression ratios
  run(st, [](auto& x, auto& y, int) { y = x; });
}
static void BM_RemoveDC(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { remove_dc<float>(x, y, kF, Statistic::mean, 0, 0, t); }); }
static void BM_Dewow(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { dewow<float>(x, y, kF, 1.0, Statistic::mean, t); }); }
static void BM_SecGain(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { sec_gain<float>(x, y, kF, 1.0, 0.1, 1e3, t); }); }
static void BM_Agc(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { agc<float>(x, y, kF, 1.0, 1e6, t); }); }
static void BM_Bandpass(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { bandpass<float>(x, y, kF, 500, 3000, 500, t); }); }
static void BM_Envelope(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { envelope<float>(x, y, t); }); }
static void BM_MovingBackground(benchmark::State& st) { run(st, [](auto& x, auto& y, int t) { moving_background<float>(x, y, 51, Statistic::mean, t); }); }
static void BM_Chain(benchmark::State& st) {
  run(st, [](auto& x, auto& y, int t) {
    remove_dc<float>(x, y, kF, Statistic::mean, 0, 0, t);
    dewow<float>(y, y, kF, 1.0, Statistic::mean, t);
    moving_background<float>(y, y, 51, Statistic::mean, t);
    sec_gain<float>(y, y, kF, 1.0, 0.1, 1e3, t);
    bandpass<float>(y, y, kF, 500, 3000, 500, t);
  });
}
#define SAPPER_BENCH(B) BENCHMARK(B)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()
SAPPER_BENCH(BM_Copy);
SAPPER_BENCH(BM_RemoveDC);
SAPPER_BENCH(BM_Dewow);
SAPPER_BENCH(BM_SecGain);
SAPPER_BENCH(BM_Agc);
SAPPER_BENCH(BM_Bandpass);
SAPPER_BENCH(BM_Envelope);
SAPPER_BENCH(BM_MovingBackground);
SAPPER_BENCH(BM_Chain);

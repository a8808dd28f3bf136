// Throughput of the GPR operations on a 512-sample x 10,000-trace float32 B-scan.
#include <benchmark/benchmark.h>

#include <cmath>

#include "sapper/sapper.hpp"

using namespace sapper;
using namespace sapper::gpr;

namespace {
constexpr Index kN = 512, kM = 10000;
const TraceFormat kF{kN, 0.025, 0};

/// Noise plus a direct wave at sample 40 in every trace, so that time zero has a first break.
Matrix<float>& input() {
  static Matrix<float> x = [] {
    Matrix<float> r = Matrix<float>::Random(kN, kM) * 0.1f;
    for (Index j = 0; j < kM; ++j)
      for (Index i = 36; i < 48; ++i) r(i, j) += std::sin(0.5f * float(i - 36)) * (1.f + 0.01f * float(j % 7));
    return r;
  }();
  return x;
}

/// The default chain of the issue: DC, dewow, time zero (fixed target), moving background, SEC gain, band-pass.
Chain chain() {
  return Chain({RemoveDc{}, Dewow{1.0}, TimeZero{0.2, 1.0}, Background{51}, Gain{1.0, 0.1, 1e3},
                Bandpass{500, 3000, 500}});
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
static void BM_TimeZero(benchmark::State& st) {
  run(st, [](auto& x, auto& y, int t) { time_zero<float>(x, y.topRows(kN - 40), kF, TimeZero{0.2, 1.0}, t); });
}
static void BM_CausalBandpass(benchmark::State& st) {
  const auto sos = butterworth_bandpass(4, 500, 3000, kF.dt_ns);
  run(st, [&](auto& x, auto& y, int t) { sosfilt<float>(sos, x, y, t); });
}
static void BM_Chain(benchmark::State& st) {  // batch: Chain::apply allocates its output
  const Chain c = chain();
  const int threads = int(st.range(0));
  Matrix<float>& x = input();
  c.apply<float>(x, kF, threads);
  for (auto _ : st) benchmark::DoNotOptimize(c.apply<float>(x, kF, threads).storage.data());
  st.SetItemsProcessed(st.iterations() * kM);
  st.SetBytesProcessed(st.iterations() * kM * kN * Index(sizeof(float)));
  st.counters["traces/s"] = benchmark::Counter(double(kM), benchmark::Counter::kIsIterationInvariantRate);
}
static void BM_ChainStream(benchmark::State& st) {  // one stream, blocks of range(1) traces, one thread
  const Index block = st.range(1);
  Stream<float> s = chain().stream<float>(kF, block);
  Matrix<float>& x = input();
  Matrix<float> out(s.output_format().n_samples, std::max(block, s.latency()));
  for (auto _ : st) {
    for (Index j = 0; j + block <= kM; j += block) s.process(x.middleCols(j, block), out);
    s.flush(out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations() * kM);
  st.SetBytesProcessed(st.iterations() * kM * kN * Index(sizeof(float)));
  st.counters["traces/s"] = benchmark::Counter(double(kM), benchmark::Counter::kIsIterationInvariantRate);
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
SAPPER_BENCH(BM_TimeZero);
SAPPER_BENCH(BM_CausalBandpass);
SAPPER_BENCH(BM_Chain);
BENCHMARK(BM_ChainStream)->Args({1, 1})->Args({1, 16})->Args({1, 100})->Unit(benchmark::kMillisecond)->UseRealTime();

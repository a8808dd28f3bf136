// Synthesis throughput of a 1 m x 20 m, 16-channel GPR lane (16,016 traces of 512 samples).
#include <benchmark/benchmark.h>

#include "sapper/sim/gpr.hpp"

using namespace sapper;

namespace {

sim::GprScene lane_1x20() {
  sim::GprScene s;
  s.lane = {20.0, 16, 1.0 / 16};
  s.ground.roughness_rms_m = 0.01;
  s.random = {10, 3, 30, 0.4, 0.15, 0.3, 0.3};
  return s;
}

void BM_SimGprLane(benchmark::State& st) {
  const auto scene = lane_1x20();
  const int threads = int(st.range(0));
  Index traces = 0;
  for (auto _ : st) {
    auto lane = sim::simulate_gpr<float>(scene, 1, false, threads);
    traces = lane.data.cols();
    benchmark::DoNotOptimize(lane.data.data());
  }
  st.counters["traces/s"] = benchmark::Counter(double(traces), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_SimGprLane)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

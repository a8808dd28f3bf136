// The whole GPR chain (preprocess, prescreen, features, shipped model, merge) on one simulated
// 10 m, 8-channel float32 lane (512 samples x 501 traces per channel, 2 AT/AP mines, a mortar and
// clutter); items = traces x channels, so items/s / 8 is lane traces per second.
// Names: BM_GprChainLane/threads:<n> (0 = all cores; kept out of the 1-thread regression gate).
#include <benchmark/benchmark.h>

#include "sapper/pipeline.hpp"
#include "sapper/sim/gpr.hpp"

using namespace sapper;

namespace {

const sim::GprLane<float>& lane() {
  static const auto l = [] {
    sim::GprScene s;
    s.lane.length_m = 10, s.lane.channels = 8, s.lane.channel_spacing_m = 0.1;
    s.random.ap_mines = 3, s.random.at_mines = 1, s.random.uxo = 1, s.random.clutter = 8;
    return sim::simulate_gpr<float>(s, 4100);
  }();
  return l;
}

void BM_GprChainLane(benchmark::State& st) {
  const auto& l = lane();
  const Index nt = l.n_traces(), nc = Index(l.y_m.size());
  std::vector<ConstView<float>> ch;
  for (Index c = 0; c < nc; ++c) ch.emplace_back(l.data.middleCols(c * nt, nt));
  pipeline::GprChainOptions o;
  o.antenna_height_m = 0.07, o.offset_m = 0.05, o.threads = int(st.range(0));
  const pipeline::GprChain<float> chain(SAPPER_SOURCE_DIR "/python/sapper/classify/models/gpr_default.json",
                                        {l.format.n_samples, l.format.dt_ns, l.format.time_zero_ns, l.x_m, l.y_m}, o);
  std::size_t alarms = 0;
  for (auto _ : st) {
    const auto r = chain.alarms(ch);
    alarms = r.candidates.prescreen.alarms.size();
    benchmark::DoNotOptimize(r.alarms.data());
  }
  st.SetItemsProcessed(st.iterations() * nt * nc);
  st.counters["lane_traces_per_s"] = benchmark::Counter(double(st.iterations() * nt), benchmark::Counter::kIsRate);
  st.counters["candidates"] = double(alarms);
}

}  // namespace

BENCHMARK(BM_GprChainLane)->ArgName("threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

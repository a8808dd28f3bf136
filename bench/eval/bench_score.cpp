// Scoring throughput: 10,000 alarms against 1,000 targets (+ 1,000 clutter objects) on 1,000 m^2.
#include <benchmark/benchmark.h>

#include <random>

#include "sapper/sapper.hpp"

using namespace sapper;

namespace {

struct Scene {
  sim::Truth truth{{0, 100, 0, 10}, {}};
  std::vector<eval::Alarm> alarms;
};

/// Half the alarms near a target (some hits, some just outside the halo), half anywhere.
const Scene& scene(int n_targets, int n_alarms) {
  static Scene s = [&] {
    Scene r;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> ux(0, 100), uy(0, 10), u(0, 1);
    std::normal_distribution<double> jitter(0, 0.2);
    for (int i = 0; i < 2 * n_targets; ++i) {
      sim::TruthObject o;
      o.id = i;
      o.label = i % 2 ? sim::Label::Clutter : static_cast<sim::Label>((i / 2) % 3);
      o.type = "t";
      o.x = ux(rng);
      o.y = uy(rng);
      o.depth = 0.3 * u(rng);
      o.size = 0.1 + 0.3 * u(rng);
      r.truth.objects.push_back(o);
    }
    for (int k = 0; k < n_alarms; ++k) {
      const auto& o = r.truth.objects[std::size_t(2 * (k % n_targets))];
      if (k % 2)
        r.alarms.push_back({ux(rng), uy(rng), u(rng), ""});
      else
        r.alarms.push_back({o.x + jitter(rng), o.y + jitter(rng), u(rng), "ap_mine"});
    }
    return r;
  }();
  return s;
}

void BM_Score(benchmark::State& state) {
  const Scene& s = scene(1000, 10000);
  for (auto _ : state) {
    auto r = eval::score(s.alarms, s.truth);
    benchmark::DoNotOptimize(r.pauc);
  }
  state.SetItemsProcessed(state.iterations() * Index(s.alarms.size()));
  state.SetBytesProcessed(state.iterations() * Index(s.alarms.size() * sizeof(eval::Alarm)));
}
BENCHMARK(BM_Score)->Unit(benchmark::kMillisecond);

}  // namespace

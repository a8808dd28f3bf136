// Gridding cost against the number of readings: survey tracks 0.25 m apart sampled every 0.1 m
// (a 4-sensor cart at 10 Hz and 1 m/s), over a square that grows with the count, gridded at
// 0.125 m (so nodes grow with readings too: 1.6 nodes per reading). Near-linear time shows as a
// flat items/s over 1e4, 1e5 and 1e6 readings.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "sapper/mag/gridding.hpp"

using namespace sapper;

namespace {

struct Survey {
  std::vector<double> x, y, v;
  mag::GridSpec spec;
  mag::Scattered view() const { return {x, y, v}; }
};

const Survey& survey(Index n) {
  static std::map<Index, std::unique_ptr<Survey>> cache;
  auto& s = cache[n];
  if (s) return *s;
  s = std::make_unique<Survey>();
  const double side = std::sqrt(double(n) * 0.25 * 0.1);
  std::mt19937_64 g(1);
  std::normal_distribution<double> jitter(0, 0.02);
  for (double x = 0; x <= side && Index(s->x.size()) < n; x += 0.25)
    for (double y = 0; y <= side && Index(s->x.size()) < n; y += 0.1) {
      const double xx = x + jitter(g), yy = y + jitter(g);
      s->x.push_back(xx), s->y.push_back(yy);
      s->v.push_back(30 * std::sin(1.3 * xx) * std::cos(0.9 * yy) + 5 * std::sin(3.1 * xx + 2.3 * yy));
    }
  s->spec = mag::grid_spec_for(s->view(), 0.125, 0.125);
  return *s;
}

void counters(benchmark::State& st, const Survey& s) {
  st.SetItemsProcessed(st.iterations() * Index(s.x.size()));
  st.SetBytesProcessed(st.iterations() * Index(s.x.size()) * Index(3 * sizeof(double)));
  st.counters["nodes"] = double(s.spec.nx * s.spec.ny);
}

}  // namespace

// args: readings, threads
static void BM_MagGriddingMinimumCurvature(benchmark::State& st) {
  const Survey& s = survey(st.range(0));
  mag::MinimumCurvatureOptions o;
  o.threads = int(st.range(1));
  mag::MinimumCurvatureReport rep;
  for (auto _ : st) {
    auto g = mag::minimum_curvature(s.spec, s.view(), o, &rep);
    benchmark::DoNotOptimize(g.values.data());
  }
  counters(st, s);
  st.counters["cycles"] = double(rep.cycles);
  st.counters["levels"] = double(rep.levels);
}
BENCHMARK(BM_MagGriddingMinimumCurvature)
    ->Args({10'000, 1})
    ->Args({100'000, 1})
    ->Args({1'000'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

static void BM_MagGriddingBlockMedian(benchmark::State& st) {
  const Survey& s = survey(st.range(0));
  for (auto _ : st) {
    auto b = mag::block_reduce(s.spec, s.view(), mag::BlockStatistic::median, mag::BlockLocation::data, 1);
    benchmark::DoNotOptimize(b.value.data());
  }
  counters(st, s);
}
BENCHMARK(BM_MagGriddingBlockMedian)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

static void BM_MagGriddingDistanceMask(benchmark::State& st) {
  const Survey& s = survey(st.range(0));
  mag::Grid g{s.spec, mag::GridValues::Zero(s.spec.ny, s.spec.nx)};
  for (auto _ : st) {
    benchmark::DoNotOptimize(mag::distance_mask(g, s.view(), 0.375, 1));
  }
  counters(st, s);
}
BENCHMARK(BM_MagGriddingDistanceMask)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

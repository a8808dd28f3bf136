// Streaming prescreener throughput on one thread: 512-sample float32 traces (noise, a ground
// bounce and hyperbolas) fed in blocks of 64 traces, gate over the whole trace; items = traces.
// Names: BM_Prescreen<Statistic>/<channels>/<cfar: 0 none, 1 CA, 2 OS>.
#include <benchmark/benchmark.h>

#include <cmath>

#include "sapper/detect/prescreen.hpp"

using namespace sapper;
using namespace sapper::detect;

namespace {
constexpr Index kN = 512, kM = 4096, kBlock = 64;

const Matrix<float>& input() {
  static const Matrix<float> x = [] {
    Matrix<float> r = Matrix<float>::Random(kN, kM) * 0.01f;
    for (Index j = 0; j < kM; ++j) {
      for (Index i = 36; i < 48; ++i) r(i, j) += std::sin(0.5f * float(i - 36));
      const float dx = float(j % 500 - 250) / 10, i0 = std::sqrt(10000.f + 100 * dx * dx);
      if (i0 < kN - 8)
        for (Index i = Index(i0); i < Index(i0) + 6; ++i) r(i, j) += 0.05f * std::sin(float(i) - i0);
    }
    return r;
  }();
  return x;
}

void run(benchmark::State& st, Statistic stat) {
  const Index nc = st.range(0);
  PrescreenOptions o;
  o.statistic = stat, o.lms_channels = nc > 1 ? 1 : 0;
  o.cfar.cfar = Cfar(st.range(1)), o.cfar.train_channels = nc > 1 ? 1 : 0;
  PrescreenStream<float> s({kN, 0.025, 1.0}, nc, o);
  std::vector<GprAlarm> alarms;
  alarms.reserve(std::size_t(s.max_alarms(kM)));
  std::vector<ConstView<float>> blk;
  for (Index c = 0; c < nc; ++c) blk.emplace_back(input().middleCols(0, kBlock));
  Index j = 0;
  for (auto _ : st) {
    blk.clear();  // keeps its capacity
    for (Index c = 0; c < nc; ++c) blk.emplace_back(input().middleCols((j + 97 * c) % (kM - kBlock), kBlock));
    s.process(blk, alarms);
    j = (j + kBlock) % (kM - kBlock);
    if (alarms.size() > alarms.capacity() / 2) alarms.clear();
  }
  st.SetItemsProcessed(st.iterations() * kBlock * nc);
  st.SetBytesProcessed(st.iterations() * kBlock * nc * kN * Index(sizeof(float)));
}

void BM_PrescreenEnergy(benchmark::State& st) { run(st, Statistic::energy); }
void BM_PrescreenLms(benchmark::State& st) { run(st, Statistic::lms); }
}  // namespace

BENCHMARK(BM_PrescreenEnergy)->Args({1, 0})->Args({1, 1})->Args({1, 2})->Args({8, 1});
BENCHMARK(BM_PrescreenLms)->Args({1, 1})->Args({8, 1});

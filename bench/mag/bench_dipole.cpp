// Throughput of the dipole forward model (100k points x 10 dipoles) and of a survey synthesis
// (20 m x 20 m, 4 sensors at 10 Hz, default nuisances and objects: 16,080 readings).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sapper/mag/dipole.hpp"
#include "sapper/sim/mag.hpp"

using namespace sapper;

namespace {
constexpr std::size_t kPoints = 100'000, kDipoles = 10;

struct Problem {
  std::vector<double> x, y, z, out;
  std::vector<mag::Dipole> dipoles;
  Problem() {
    std::mt19937_64 g(1);
    std::uniform_real_distribution<double> u(0, 20), m(-1, 1);
    for (std::size_t i = 0; i < kPoints; ++i) x.push_back(u(g)), y.push_back(u(g)), z.push_back(0.3);
    for (std::size_t k = 0; k < kDipoles; ++k) dipoles.push_back({u(g), u(g), -0.2, m(g), m(g), m(g)});
    out.resize(kPoints);
  }
};

const Problem& problem() {
  static const Problem p;
  return p;
}
}  // namespace

static void BM_DipoleAnomaly(benchmark::State& st) {
  const Problem& p = problem();
  std::vector<double> out(kPoints);
  for (auto _ : st) {
    mag::total_field_anomaly(p.dipoles, {p.x, p.y, p.z}, {}, out, int(st.range(0)));
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["points/s"] = benchmark::Counter(double(kPoints), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["dipole_evals/s"] =
      benchmark::Counter(double(kPoints * kDipoles), benchmark::Counter::kIsIterationInvariantRate);
}

static void BM_DipoleField(benchmark::State& st) {
  const Problem& p = problem();
  std::vector<double> bx(kPoints), by(kPoints), bz(kPoints);
  for (auto _ : st) {
    mag::dipole_field(p.dipoles, {p.x, p.y, p.z}, bx, by, bz, int(st.range(0)));
    benchmark::DoNotOptimize(bx.data());
  }
  st.counters["points/s"] = benchmark::Counter(double(kPoints), benchmark::Counter::kIsIterationInvariantRate);
}

static void BM_SimMagSurvey(benchmark::State& st) {
  const sim::MagScene scene = sim::default_mag_scene();
  Index n = 0;
  for (auto _ : st) {
    const auto r = sim::simulate_mag(scene, 1, int(st.range(0)));
    n = r.size();
    benchmark::DoNotOptimize(r.total_field_nt.data());
  }
  st.counters["readings/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_DipoleAnomaly)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DipoleField)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimMagSurvey)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

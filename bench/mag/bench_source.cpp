// Dipole fit on a 1,701-reading cart window (AT mine at 0.35 m, 0.3 nT noise) and moving-window
// Euler deconvolution on a 256 x 256 grid (window 10): see docs/mag_source.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "sapper/mag/dipole.hpp"
#include "sapper/mag/source.hpp"

using namespace sapper;

namespace {

struct FitProblem {
  std::vector<double> x, y, z, dt;
  FitProblem() {
    const auto u = mag::field_direction({});
    const mag::Dipole d{0.12, -0.07, -0.35, 0.3 * u[0] + 0.05, 0.3 * u[1], 0.3 * u[2] - 0.03};
    for (int t = 0; t < 21; ++t)
      for (int k = 0; k <= 80; ++k) x.push_back(-2.5 + 0.25 * t), y.push_back(-2.0 + 0.05 * k), z.push_back(0.3);
    dt.resize(x.size());
    mag::total_field_anomaly(std::vector<mag::Dipole>{d}, {x, y, z}, {}, dt, 1);
    std::mt19937_64 g(1);
    std::normal_distribution<double> n(0, 0.3);
    for (auto& v : dt) v += n(g);
  }
};

struct EulerProblem {
  mag::Grid t;
  mag::GridValues dx, dy, dz;
  EulerProblem() {
    const Index n = 256;
    t.spec = {0, 0, 0.1, 0.1, n, n};
    t.values.resize(n, n), dx.resize(n, n), dy.resize(n, n), dz.resize(n, n);
    std::mt19937_64 g(2);
    std::normal_distribution<double> nz(0, 1);
    for (Index j = 0; j < n; ++j)
      for (Index i = 0; i < n; ++i) {
        // a smooth field with structure everywhere (the solver's cost does not depend on it)
        const double x = 0.1 * double(i), y = 0.1 * double(j);
        t.values(j, i) = std::sin(x) * std::cos(0.7 * y) + 0.01 * nz(g);
        dx(j, i) = std::cos(x) * std::cos(0.7 * y), dy(j, i) = -0.7 * std::sin(x) * std::sin(0.7 * y);
        dz(j, i) = -std::hypot(dx(j, i), dy(j, i)) + 0.01 * nz(g);
      }
  }
};

}  // namespace

static void BM_MagDipoleFit(benchmark::State& st) {
  static const FitProblem p;
  mag::DipoleFitOptions o;
  o.loss = st.range(0) ? mag::Loss::huber : mag::Loss::l2;
  o.exact = st.range(1) != 0;
  int it = 0;
  for (auto _ : st) {
    const auto f = mag::fit_dipole({p.x, p.y, p.z}, p.dt, o);
    it = f.iterations;
    benchmark::DoNotOptimize(f.x);
  }
  st.counters["iterations"] = it;
  st.counters["fits/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MagDipoleFit)->ArgNames({"robust", "exact"})->Args({0, 0})->Args({1, 0})->Args({1, 1})->Unit(benchmark::kMicrosecond);

static void BM_MagEuler(benchmark::State& st) {
  static const EulerProblem p;
  mag::EulerOptions o;
  o.window = 10, o.threads = int(st.range(0));
  for (auto _ : st) {
    const auto s = mag::euler_deconvolution(p.t, p.dx, p.dy, p.dz, o);
    benchmark::DoNotOptimize(s.data());
  }
  st.counters["windows/s"] = benchmark::Counter(247.0 * 247.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MagEuler)->ArgName("threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

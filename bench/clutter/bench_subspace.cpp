// Throughput of the clutter subspace methods on a 512-sample x 2,000-trace float32 B-scan:
// a ground bounce with slowly varying amplitude, a few hyperbolas and noise.
#include <benchmark/benchmark.h>

#include <cmath>

#include "sapper/clutter.hpp"

using namespace sapper;
using namespace sapper::clutter;

namespace {
constexpr Index kN = 512, kM = 2000;

Matrix<float>& input() {
  static Matrix<float> x = [] {
    Matrix<float> r = Matrix<float>::Random(kN, kM) * 0.01f;
    for (Index j = 0; j < kM; ++j) {
      const float a = 1.f + 0.1f * std::sin(float(j) / 50);
      for (Index i = 36; i < 48; ++i) r(i, j) += a * std::sin(0.5f * float(i - 36));
      for (Index t = 0; t < 4; ++t) {  // hyperbolas at traces 250, 750, ...
        const float dx = float(j - 250 - 500 * t) / 10, i0 = std::sqrt(10000.f + 100 * dx * dx);
        if (i0 < kN - 8) for (Index i = Index(i0); i < Index(i0) + 6; ++i) r(i, j) += 0.05f * std::sin(1.f * float(i) - i0);
      }
    }
    return r;
  }();
  return x;
}

template <class F>
void run(benchmark::State& st, F&& f) {
  Matrix<float> y(kN, kM);
  f(input(), y, int(st.range(0)));
  for (auto _ : st) {
    f(input(), y, int(st.range(0)));
    benchmark::DoNotOptimize(y.data());
  }
  st.SetItemsProcessed(st.iterations() * kN * kM);
  st.SetBytesProcessed(st.iterations() * kN * kM * Index(sizeof(float)));
}
}  // namespace

static void BM_ClutterTruncatedSvd(benchmark::State& st) {
  run(st, [](const Matrix<float>& x, Matrix<float>& y, int th) {
    auto r = truncated_svd<float>(x, 5, {10, 2, 0, th});
    y(0, 0) = r.s(0);
  });
}
static void BM_ClutterEigenimage(benchmark::State& st) {
  run(st, [](const Matrix<float>& x, Matrix<float>& y, int th) {
    EigenimageOptions o;
    o.rank.rank = 1, o.svd.threads = th;
    eigenimage<float>(x, y, o);
  });
}
static void BM_ClutterEigenimageBlocks(benchmark::State& st) {
  run(st, [](const Matrix<float>& x, Matrix<float>& y, int th) {
    EigenimageOptions o;
    o.block = 256, o.svd.threads = th;  // automatic rank
    eigenimage<float>(x, y, o);
  });
}
static void BM_ClutterRpca(benchmark::State& st) {  // 30 iterations of rank <= 5
  Matrix<float> s(kN, kM);
  run(st, [&](const Matrix<float>& x, Matrix<float>& y, int th) {
    RpcaOptions o;
    o.rank = 5, o.max_iter = 30, o.tol = 1e-12, o.threads = th;
    rpca<float>(x, y, s, o);
  });
}
static void BM_ClutterWhiten(benchmark::State& st) {
  run(st, [](const Matrix<float>& x, Matrix<float>& y, int th) { whiten<float>(x, y, 51, false, 0, th); });
}
BENCHMARK(BM_ClutterTruncatedSvd)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClutterEigenimage)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClutterEigenimageBlocks)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClutterRpca)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClutterWhiten)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

// Prediction throughput of the classifiers (items = samples), and training time for scale.
#include <benchmark/benchmark.h>

#include "sapper/classify.hpp"
#include "sapper/sim/random.hpp"

namespace {
using namespace sapper;
using namespace sapper::classify;

// 4 Gaussian classes in d dimensions.
void data(Index n, Index d, RowMatrix& X, std::vector<std::string>& y) {
  static const char* names[] = {"ap_mine", "at_mine", "uxo", "clutter"};
  sim::Rng rng(1);
  X.resize(n, d);
  y.resize(n);
  for (Index i = 0; i < n; ++i) {
    const Index k = i % 4;
    for (Index j = 0; j < d; ++j) X(i, j) = rng.normal() + (j % 4 == k ? 1.0 : 0.0);
    y[i] = names[k];
  }
}

void BM_LogisticPredict(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(20000, s.range(0), X, y);
  const auto m = LogisticRegression::fit(X, y);
  RowMatrix p(X.rows(), 4);
  for (auto _ : s) {
    m.predict_proba(X, p, 1);
    benchmark::DoNotOptimize(p.data());
  }
  s.SetItemsProcessed(s.iterations() * X.rows());
}
BENCHMARK(BM_LogisticPredict)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_ForestPredict(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, s.range(0), X, y);
  ForestOptions o;
  o.n_trees = 100;
  const auto f = RandomForest::fit(X, y, o);
  RowMatrix p(X.rows(), 4);
  for (auto _ : s) {
    f.predict_proba(X, p, 1);
    benchmark::DoNotOptimize(p.data());
  }
  s.SetItemsProcessed(s.iterations() * X.rows());
}
BENCHMARK(BM_ForestPredict)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_ForestFit(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, 16, X, y);
  ForestOptions o;
  o.n_trees = 20, o.threads = 1;
  for (auto _ : s) benchmark::DoNotOptimize(RandomForest::fit(X, y, o).trees().size());
  s.SetItemsProcessed(s.iterations() * X.rows() * o.n_trees);
}
BENCHMARK(BM_ForestFit)->Unit(benchmark::kMillisecond);

void BM_LogisticFit(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, 16, X, y);
  for (auto _ : s) benchmark::DoNotOptimize(LogisticRegression::fit(X, y).n_iter());
  s.SetItemsProcessed(s.iterations() * X.rows());
}
BENCHMARK(BM_LogisticFit)->Unit(benchmark::kMillisecond);

// Gradient boosting (the GPR setting: 300 rounds x 4 classes, 31 leaves) beside a random forest
// of 40 trees of depth 10, on the same 5000 x 32 data, one thread.
ForestOptions forest40() {
  ForestOptions o;
  o.n_trees = 40, o.max_depth = 10, o.min_samples_leaf = 3, o.threads = 1;
  return o;
}
BoostingOptions boosting300() {
  BoostingOptions o;
  o.threads = 1;
  return o;
}

void BM_Forest40Fit(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, 32, X, y);
  for (auto _ : s) benchmark::DoNotOptimize(RandomForest::fit(X, y, forest40()).trees().size());
  s.SetItemsProcessed(s.iterations() * X.rows());
}
BENCHMARK(BM_Forest40Fit)->Unit(benchmark::kMillisecond);

void BM_BoostingFit(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, 32, X, y);
  for (auto _ : s) benchmark::DoNotOptimize(GradientBoosting::fit(X, y, boosting300()).trees().size());
  s.SetItemsProcessed(s.iterations() * X.rows());
}
BENCHMARK(BM_BoostingFit)->Unit(benchmark::kMillisecond);

template <class M>
void predict(benchmark::State& s, const M& m, const RowMatrix& X) {
  RowMatrix p(X.rows(), 4);
  for (auto _ : s) {
    m.predict_proba(X, p, 1);
    benchmark::DoNotOptimize(p.data());
  }
  s.SetItemsProcessed(s.iterations() * X.rows());
}

void BM_Forest40Predict(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, 32, X, y);
  predict(s, RandomForest::fit(X, y, forest40()), X);
}
BENCHMARK(BM_Forest40Predict)->Unit(benchmark::kMillisecond);

void BM_BoostingPredict(benchmark::State& s) {
  RowMatrix X;
  std::vector<std::string> y;
  data(5000, 32, X, y);
  predict(s, GradientBoosting::fit(X, y, boosting300()), X);
}
BENCHMARK(BM_BoostingPredict)->Unit(benchmark::kMillisecond);

}  // namespace

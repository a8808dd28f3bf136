// Read throughput of the DZT reader against a plain ifstream read of the same bytes (the
// reference: read_dzt should reach at least half of it). A ~50 MB synthetic 16-bit DZT
// (512 samples x 48,000 traces) is written once to the temp dir with write_dzt.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sapper/io/gpr_file.hpp"

using namespace sapper;

namespace {

constexpr Index kN = 512, kM = 48000;

struct TempDzt {
  std::string path;
  std::size_t bytes = 0;
  TempDzt() {
    path = (std::filesystem::temp_directory_path() / ("sapper_bench_io_" + std::to_string(::getpid()) + ".dzt")).string();
    io::GprFile<float> f;
    BScan<float> b;
    b.data.resize(kN, kM);
    for (Index k = 0; k < kM; ++k)
      for (Index i = 0; i < kN; ++i) b.data(i, k) = std::round(20000.f * std::sin(0.1f * float(i) + 0.01f * float(k)));
    b.format = {kN, 0.025, 0};
    f.channels.push_back(std::move(b));
    io::write_dzt(path, f, 16);
    bytes = std::filesystem::file_size(path);
  }
  ~TempDzt() { std::remove(path.c_str()); }
};

const TempDzt& file() {
  static TempDzt t;
  return t;
}

void BM_ReadDzt(benchmark::State& state) {
  const auto& t = file();
  for (auto _ : state) {
    auto f = io::read_dzt<float>(t.path);
    benchmark::DoNotOptimize(f.channels[0].data.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(t.bytes));
}
BENCHMARK(BM_ReadDzt)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReadRaw(benchmark::State& state) {
  const auto& t = file();
  for (auto _ : state) {
    std::ifstream in(t.path, std::ios::binary);
    std::vector<char> v(t.bytes);
    in.read(v.data(), std::streamsize(v.size()));
    benchmark::DoNotOptimize(v.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(t.bytes));
}
BENCHMARK(BM_ReadRaw)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

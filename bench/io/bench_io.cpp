// Read throughput of the DZT and SEG-Y readers against a plain ifstream read of the DZT's bytes
// (the reference: a reader should reach at least half of it, in bytes/s). The same synthetic
// 16-bit B-scan (512 samples x 48,000 traces) is written once to the temp dir as a ~50 MB DZT
// and as a ~61 MB int16 SEG-Y (240-byte trace headers).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sapper/io/gpr_file.hpp"
#include "sapper/io/segy.hpp"

using namespace sapper;

namespace {

constexpr Index kN = 512, kM = 48000;

struct TempFile {
  std::string path;
  std::size_t bytes = 0;
  explicit TempFile(const std::string& ext) {
    path = (std::filesystem::temp_directory_path() / ("sapper_bench_io_" + std::to_string(::getpid()) + ext)).string();
    io::GprFile<float> f;
    BScan<float> b;
    b.data.resize(kN, kM);
    for (Index k = 0; k < kM; ++k)
      for (Index i = 0; i < kN; ++i) b.data(i, k) = std::round(20000.f * std::sin(0.1f * float(i) + 0.01f * float(k)));
    b.format = {kN, 0.025, 0};
    f.channels.push_back(std::move(b));
    if (ext == ".dzt")
      io::write_dzt(path, f, 16);
    else
      io::write_segy(path, f, {3, true, false});
    bytes = std::filesystem::file_size(path);
  }
  ~TempFile() { std::remove(path.c_str()); }
};

const TempFile& file() {
  static TempFile t(".dzt");
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

void BM_ReadSegy(benchmark::State& state) {
  static TempFile t(".sgy");
  for (auto _ : state) {
    auto f = io::read_segy<float>(t.path);
    benchmark::DoNotOptimize(f.channels[0].data.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(t.bytes));
}
BENCHMARK(BM_ReadSegy)->Unit(benchmark::kMillisecond)->UseRealTime();

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

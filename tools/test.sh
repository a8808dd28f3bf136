#!/usr/bin/env bash
# Installs what sapper needs on Debian 12 (as root) and runs every test: C++ (release and
# ASan/UBSan builds, ctest, install + find_package consumer), Python (pytest), the readers under
# libFuzzer and the benchmark regression check.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
export CTEST_PARALLEL_LEVEL=2
for preset in release asan-ubsan; do
  cmake --preset $preset -DSAPPER_BUILD_TESTS=ON >/dev/null
  cmake --build --preset $preset
  ctest --preset $preset
done
# the installed tree works for a consumer project through find_package(sapper)
rm -rf build/install build/consumer
cmake --install build/release --prefix build/install >/dev/null
cmake -S tests/consumer -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/consumer
./build/consumer/consumer
.venv/bin/python -m pytest -q tests/python
# the file readers under libFuzzer (clang, ASan + UBSan), seeded with the real files: bounded run
bash tools/fuzz.sh 20000
# the hot path never gets slower: 1-thread benchmarks as ratios to a copy, against bench/baseline.json.
# These VMs have host-level slow phases of up to 2x on unchanged code (seen: +49% confirmed by
# reruns), so CI fails on a doubling; run `bash tools/bench_check.sh` for the 25% check.
bash tools/bench_check.sh --tolerance 1.0

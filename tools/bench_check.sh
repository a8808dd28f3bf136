#!/usr/bin/env bash
# Benchmark regression check: builds the `bench` preset and compares the 1-thread benchmarks, as
# ratios to BM_Copy/1, with bench/baseline.json (more than 25% slower, confirmed by a rerun: exit 1;
# build or run error: exit 2). Extra arguments go to bench/regress.py (--tolerance 0.3, --json
# out.json, --update, ...). The run part takes 10-25 s on a 2-core machine, up to ~75 s when
# other processes keep both CPUs busy.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet() {  # runs "$@" silently; shows the end of its output if it fails
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" | tail -n 40 >&2
    echo "bench_check.sh: failed: $*" >&2
    exit 2
  fi
}
quiet cmake --preset bench
quiet cmake --build --preset bench
python3 bench/regress.py build/bench/bench/sapper_bench "$@"

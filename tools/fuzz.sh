#!/usr/bin/env bash
# Builds the libFuzzer harness of the readers (clang, ASan + UBSan), seeds it with the real files
# of ../shared/data (their first 8 KiB: the headers and the first traces) and valid header texts,
# and runs it for a bounded number of inputs: exit 0 when no input crashed the readers.
# Usage: bash tools/fuzz.sh [runs]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}
cmake -S tests/fuzz -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz
seeds=build/fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds"
seed() {  # seed NAME SELECTOR FILE: the selector byte, then the file's first 8 KiB
  [ -f "$3" ] || return 0
  { printf "\\x$(printf %02x "$2")"; head -c 8192 "$3"; } > "$seeds/$1"
}
data=../shared/data/gpr
seed dzt 0 "$data/gssi/FILE____032.DZT"
seed dt1 1 "$data/sensors-software/XLINE00.DT1"
seed hd 2 "$data/sensors-software/XLINE00.HD"
seed rd3 3 "$data/mala/DAT_1251_A1.rd3"
seed rad 4 "$data/mala/DAT_1251_A1.rad"
printf '\x05$GNGGA,133753.000,5651.737132,N,02406.816782,E,2,12,0.79,8.366,M,23.853,M,,*7E' > "$seeds/gga"
printf '\x05$GNRMC,133753.000,A,5651.737132,N,02406.816782,E,0.29,252.26,280920,,,D*78' > "$seeds/rmc"
./build/fuzz/sapper_fuzz -runs="$runs" -max_len=9000 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
  "$seeds" 2>&1 | tail -n 12

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
python3 -c '
import struct, sys
t = b"C 1 SAPPER FUZZ SEED".ljust(3200, b" ")
b = bytearray(400)
struct.pack_into(">H", b, 16, 100)       # sample interval (ps), bytes 3217-3218
struct.pack_into(">H", b, 20, 8)         # samples per trace, bytes 3221-3222
struct.pack_into(">h", b, 24, 3)         # format code: int16
struct.pack_into(">Hh", b, 300, 0x0100, 1)
tr = b""
for k in range(2):
    h = bytearray(240)
    struct.pack_into(">i", h, 0, k + 1)
    struct.pack_into(">hhii", h, 68, -100, -100, 1000 + k, 2000)
    struct.pack_into(">HH", h, 114, 8, 100)
    tr += bytes(h) + struct.pack(">8h", *range(8))
sys.stdout.buffer.write(b"\x06" + t + bytes(b) + tr)' > "$seeds/segy"
seed magarrow 7 ../shared/data/mag/magarrow/MagArrow.csv
seed magdrone 7 ../shared/data/mag/magdrone/Magdrone.csv
seed g858 9 ../shared/data/mag/geometrics-g858/data_1.stn
seed g858config 12 ../shared/data/mag/geometrics-g858/data_1.config
printf '\x08Format                 IAGA-2002                                    |\nDATE       TIME         DOY     ABCX      ABCY      ABCZ      ABCF   |\n2020-09-28 00:00:00.000 272     1234.56   -20.00   45000.00  99999.00\n' > "$seeds/iaga"
printf '\x05$GNGGA,133753.000,5651.737132,N,02406.816782,E,2,12,0.79,8.366,M,23.853,M,,*7E' > "$seeds/gga"
printf '\x05$GNRMC,133753.000,A,5651.737132,N,02406.816782,E,0.29,252.26,280920,,,D*78' > "$seeds/rmc"
printf '\x0a$GSSIS,0,0.0\n$GPGGA,120000.00,5651.6000000,N,02406.6000000,E,1,08,0.9,8.000,M,10.000,M,,\n$GSSIS,3,0.3\n$GPRMC,120001.00,A,5651.6100000,N,02406.6000000,E,0.5,10.0,280920,,,A\n' > "$seeds/dzg"
printf '\x0b<DZX><File><Profile><WayPt><scan>2</scan><mark>User</mark></WayPt></Profile></File><TargetGroup><TargetWayPt><scanSampChanProp>4,1,0</scanSampChanProp></TargetWayPt></TargetGroup></DZX>' > "$seeds/dzx"
./build/fuzz/sapper_fuzz -runs="$runs" -max_len=9000 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
  "$seeds" 2>&1 | tail -n 12

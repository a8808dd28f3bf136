#!/usr/bin/env python3
"""Read throughput of sapper.io.read against a plain numpy read of the same bytes, in one run.

For each format a ~50 MB file of the same 16-bit B-scan (512 samples x 48,000 traces) is made
(DZT and SEG-Y with sapper's writers; DT1 + HD and RD3 + RAD written here with numpy), then read
with sapper.io.read (float32) and with numpy.fromfile (int16, no conversion: the cheapest
possible read), and numpy.fromfile followed by astype(float32) (the same output as sapper's).
Best of --repeat, MB/s of file bytes; the target is sapper >= 50% of the plain numpy read.

  python bench/io/compare_numpy_read.py [--traces 48000] [--repeat 5]
"""
import argparse
import os
import tempfile
import sys

import numpy as np

import sapper
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--traces", type=int, default=48000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    n, m = 512, a.traces
    rng = np.random.default_rng(0)
    data = np.asfortranarray(rng.integers(-20000, 20000, size=(n, m)).astype(np.float64))
    with tempfile.TemporaryDirectory() as d:
        files = {}
        files["DZT"] = os.path.join(d, "a.dzt")
        sapper.io.write_dzt(files["DZT"], data, 0.025, bits=16)
        files["SEG-Y"] = os.path.join(d, "a.sgy")
        sapper.io.write_segy(files["SEG-Y"], data, 0.025, format="int16")
        files["MALA RD3"] = os.path.join(d, "a.rd3")
        data.astype("<i2").T.tofile(files["MALA RD3"])
        with open(os.path.join(d, "a.rad"), "w") as f:
            f.write(f"SAMPLES:{n}\nFREQUENCY:40000\nDISTANCE FLAG:1\nDISTANCE INTERVAL:0.02\nANTENNAS:1500 MHz\n")
        files["DT1"] = os.path.join(d, "a.dt1")
        rec = np.zeros(m, dtype=[("h", "<f4", 32), ("s", "<i2", n)])
        rec["h"][:, 0] = np.arange(1, m + 1)
        rec["h"][:, 1] = np.arange(m) * 0.02
        rec["h"][:, 2] = n
        rec["h"][:, 5] = 2
        rec["h"][:, 6] = 12.8
        rec["s"] = data.astype("<i2").T
        rec.tofile(files["DT1"])
        with open(os.path.join(d, "a.hd"), "w") as f:
            f.write(f"1234\nbench\nNUMBER OF TRACES = {m}\nNUMBER OF PTS/TRC = {n}\nTIMEZERO AT POINT = 1\n"
                    f"TOTAL TIME WINDOW = 12.8\nSTARTING POSITION = 0\nFINAL POSITION = {0.02 * (m - 1)}\n"
                    "STEP SIZE USED = 0.02\nPOSITION UNITS = m\nNOMINAL FREQUENCY = 1500\n")
        print(f"{'format':<10} {'MB':>6} {'sapper MB/s':>12} {'numpy MB/s':>11} {'ratio':>6} "
              f"{'numpy+f32 MB/s':>15} {'ratio':>6}")
        for name, path in files.items():
            size = os.path.getsize(path)
            got = sapper.io.read(path).data
            assert got.shape == (n, m) and got[5, 7] == data[5, 7], name
            ts = best(lambda: sapper.io.read(path), a.repeat)[0]
            tn = best(lambda: np.fromfile(path, dtype="<i2"), a.repeat)[0]
            tf = best(lambda: np.fromfile(path, dtype="<i2").astype(np.float32), a.repeat)[0]
            print(f"{name:<10} {size / 1e6:6.1f} {size / ts / 1e6:12.0f} {size / tn / 1e6:11.0f} {tn / ts:6.2f} "
                  f"{size / tf / 1e6:15.0f} {tf / ts:6.2f}")


if __name__ == "__main__":
    main()

"""Peak memory of Chain.apply (the issue's target: <= 1.5x the input B-scan), from the growth
of the process's peak RSS during one call on a 512 x 100,000 float32 B-scan.

    python bench/peak_memory.py [--threads 1] [--traces 100000]
"""
import argparse
import os
import resource
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import compare_numpy as c  # noqa: E402  (the same scene and chain)
from sapper import gpr  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--traces", type=int, default=100_000)
    a = ap.parse_args()
    s = c.scene(512, 2000)
    x = np.empty((512, a.traces), np.float32, order="F")  # filled in place: no temporary of its size
    for j in range(0, a.traces, 2000):
        x[:, j:j + 2000] = s[:, :min(2000, a.traces - j)]
    chain = gpr.Chain(c.STEPS)
    chain.apply(x[:, :10], c.DT)                            # FFT plans and imports before the baseline
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    y = chain.apply(x, c.DT, threads=a.threads, check_finite=False).data
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    print(f"input {x.nbytes / 1e6:.0f} MB, output {y.nbytes / 1e6:.0f} MB; peak RSS grew {grew / 1e6:.0f} MB "
          f"= {grew / x.nbytes:.2f} x the input (threads={a.threads})")


if __name__ == "__main__":
    main()

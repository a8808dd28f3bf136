"""Time sapper's GPR prescreeners against the same computation in numpy/scipy, side by side in one
run, after checking that both give the same numbers.

- energy + 2-D CA-CFAR: numpy's best version is fully vectorised (gate energy by one reduction,
  training sums by cumulative sums along track and a sum over neighbouring channels);
- LMS (NLMS prediction error): each trace depends on the weights the previous one left, so numpy
  loops over traces and vectorises over samples and channels.

    python bench/detect/compare_prescreen.py [--traces 4000] [--channels 8] [--samples 512] [--reps 3]

Prints traces/s (traces x channels per second) and sapper / numpy speed ratios.
"""
import argparse
import os
import sys

import numpy as np

from sapper.detect import prescreen as ps
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402

DT, GATE, GUARD, TRAIN, TC = 0.025, (1.0, 8.0), 4, 16, 1
K, GAP, DEPTH, STEP = 4, 4, 1, 0.05


def gate_rows(m):
    return int(np.ceil(GATE[0] / DT - 1e-9)), min(m, int(np.floor(GATE[1] / DT + 1e-9)) + 1)


def window_sums(s, lo, hi):
    """sum_{k=j+lo..j+hi, 0<=k<n} s[k] and the count, for every j (cumulative sums along axis 0)."""
    n = s.shape[0]
    c = np.concatenate([np.zeros((1,) + s.shape[1:]), np.cumsum(s, axis=0)])
    j = np.arange(n)
    a, b = np.clip(j + lo, 0, n), np.clip(j + hi + 1, 0, n)
    return c[b] - c[a], (b - a).astype(float)


def numpy_ca_cfar(stat):
    """2-D CA-CFAR score: training cells GUARD < |k-j| <= GUARD+TRAIN, |d-c| <= TC, truncated."""
    s1, n1 = window_sums(stat, -GUARD - TRAIN, -GUARD - 1)
    s2, n2 = window_sums(stat, GUARD + 1, GUARD + TRAIN)
    sums, cnt = s1 + s2, (n1 + n2)[:, None] * np.ones(stat.shape[1])
    nc = stat.shape[1]
    tot, num = np.zeros_like(sums), np.zeros_like(cnt)
    for d in range(-TC, TC + 1):  # neighbouring channels, truncated at the array's edges
        lo, hi = max(0, -d), min(nc, nc - d)
        tot[:, lo:hi] += sums[:, lo + d:hi + d]
        num[:, lo:hi] += cnt[:, lo + d:hi + d]
    b = np.where(num > 0, tot / np.maximum(num, 1), 0.0)
    return np.where(b > 0, stat / np.where(b > 0, b, 1), 0.0)


def numpy_energy(x):
    g0, g1 = gate_rows(x.shape[0])
    stat = np.mean(x[g0:g1] ** 2, axis=0)
    return numpy_ca_cfar(stat), g0 + np.argmax(x[g0:g1] ** 2, axis=0)


def numpy_lms(x):
    """NLMS prediction error per channel: reference traces j-GAP-1 .. j-GAP-K, samples +-DEPTH."""
    g0, g1 = gate_rows(x.shape[0])
    m, n, nc = x.shape
    lg, slots = g1 - g0, K + GAP
    pad = np.zeros((lg + 2 * DEPTH, n, nc))
    rows = np.arange(g0 - DEPTH, g1 + DEPTH)
    ok = (rows >= 0) & (rows < m)
    pad[ok] = x[rows[ok]]
    w = np.zeros((K, 2 * DEPTH + 1, lg, nc))
    w[:, DEPTH] = 1.0 / K
    hist = np.repeat(pad[:, :1], slots, axis=1)  # the first trace stands in for earlier ones
    stat, peak = np.empty((n, nc)), np.empty((n, nc), dtype=np.int64)
    for j in range(n):
        u = np.stack([np.stack([hist[DEPTH + dd:DEPTH + dd + lg, (j - GAP - k) % slots]
                                for dd in range(-DEPTH, DEPTH + 1)]) for k in range(1, K + 1)])
        e = x[g0:g1, j] - np.einsum("kdic,kdic->ic", w, u)
        uu = np.einsum("kdic,kdic->ic", u, u)
        w += (np.where(uu > 0, STEP * e / np.where(uu > 0, uu, 1), 0.0))[None, None] * u
        hist[:, j % slots] = pad[:, j]
        stat[j], peak[j] = np.mean(e ** 2, axis=0), g0 + np.argmax(e ** 2, axis=0)
    return numpy_ca_cfar(stat), peak


def scene(m, n, nc, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(m)[:, None] * DT
    x = 0.1 * rng.standard_normal((m, n, nc))
    for j0 in rng.integers(50, n - 50, size=max(1, n // 200)):  # targets every ~4 m
        dx = 0.01 * (np.arange(n) - j0)
        arg = (np.pi * 1.5 * (t - np.sqrt(3.0 ** 2 + (2 * dx / 0.1) ** 2))) ** 2
        x[:, :, int(rng.integers(nc))] += np.exp(-dx ** 2 / 0.02) * (1 - 2 * arg) * np.exp(-arg)
    return np.asfortranarray(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--traces", type=int, default=4000)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--samples", type=int, default=512)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    x = scene(a.samples, a.traces, a.channels)
    kw = dict(gate_ns=GATE, guard=GUARD, train=TRAIN, train_channels=TC, separation=0, threshold=0.0)
    cells = a.traces * a.channels
    print(f"{a.samples} samples x {a.traces} traces x {a.channels} channels, float64, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    for name, ours, theirs in (
            ("energy + 2-D CA-CFAR", lambda: ps.energy(x, DT, **kw), lambda: numpy_energy(x)),
            (f"LMS (K={K}, gap={GAP}, depth={DEPTH}) + CFAR",
             lambda: ps.lms(x, DT, traces=K, gap=GAP, depth=DEPTH, step=STEP, **kw), lambda: numpy_lms(x))):
        t_s, r = best(ours, a.reps)
        t_n, (score, peak) = best(theirs, 1 if "LMS" in name else a.reps)
        err = float(np.max(np.abs(r.score - score)) / np.max(np.abs(score)))
        same_peak = float(np.mean(r.sample == peak))
        print(f"{name:34s} sapper {cells / t_s:12,.0f} traces/s   numpy {cells / t_n:10,.0f} traces/s   "
              f"ratio {t_n / t_s:6.1f}x   (score rel. diff {err:.1e}, same peak sample {same_peak:.4f})")
        if err > 1e-6:
            sys.exit(f"{name}: sapper and numpy disagree (relative difference {err:.2e})")


if __name__ == "__main__":
    main()

"""Grid the same survey with sapper.mag.grid (minimum curvature, block median, distance mask)
and scipy.interpolate.griddata (cubic, Clough-Tocher on a Delaunay triangulation), side by side
in one run. Prints times, the ratio, and each one's error against the true anomaly at the nodes.

The survey: tracks 0.25 m apart (a 4-sensor cart; --track) sampled every 0.1 m (--step) with 2 cm position jitter,
over a square that grows with the number of readings, with dipoles (1 per 20 m^2, 0.3-1 m deep,
0.05-1 A m^2; --seed) seen at 0.3 m; grid 0.125 m. Errors are rms and max over the nodes where both
grids have a value, in nT, for sapper at the timed tension (--tension) and refinement (--refine)
and at the other of 0 and 0.25, and for scipy. The time ratio per decade of readings shows the scaling.

    python bench/mag/compare_gridding.py [--readings 10000 100000 1000000] [--threads 0] [--tension 0.25]
        [--refine 1] [--seed 0] [--track 0.25] [--step 0.1]
"""
import argparse
import os
import sys

import numpy as np
from scipy.interpolate import griddata

from sapper import mag
from sapper.sim.mag import dipole_anomaly
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402


def survey(n, seed=0, track=0.25, step=0.1):
    rng = np.random.default_rng(seed)
    side = np.sqrt(n * track * step)
    gx, gy = np.meshgrid(np.arange(0, side, track), np.arange(0, side, step), indexing="ij")
    x = (gx + rng.normal(0, 0.02, gx.shape)).ravel()[:n]
    y = (gy + rng.normal(0, 0.02, gy.shape)).ravel()[:n]
    k = max(1, int(side * side / 20))
    d = np.c_[rng.uniform(0, side, (k, 2)), -rng.uniform(0.3, 1.0, k),
              rng.normal(size=(k, 3)) * rng.uniform(0.05, 1.0, (k, 1)) / np.sqrt(3)]
    return x, y, d, side


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--readings", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--tension", type=float, default=0.25)
    ap.add_argument("--spacing", type=float, default=0.125)
    ap.add_argument("--refine", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--track", type=float, default=0.25)
    ap.add_argument("--step", type=float, default=0.1)
    a = ap.parse_args()
    other = 0.25 if a.tension == 0 else 0.0
    print(f"{'readings':>9} {'nodes':>9} {'cycles':>6} | {'sapper s':>9} {'scipy s':>9} {'ratio':>6} | "
          f"{'rms T=' + str(a.tension):>10} {'rms T=' + str(other):>10} {'rms scipy':>10} "
          f"{'max T=' + str(a.tension):>10} {'max T=' + str(other):>10} {'max scipy':>10}  (nT; peak)")
    for n in a.readings:
        x, y, d, side = survey(n, a.seed, a.track, a.step)
        v = dipole_anomaly(d, x, y, 0.3)
        region = (0.0, side - a.track, 0.0, side - a.step)
        reps = 3 if n <= 100_000 else 1
        t_s, (g, rep) = best(lambda: mag.grid(x, y, v, a.spacing, region=region, tension=a.tension,
                                             refine=a.refine, threads=a.threads, report=True), reps)
        g2 = mag.grid(x, y, v, a.spacing, region=region, tension=other, refine=a.refine, threads=a.threads)
        gx, gy = np.meshgrid(g.x, g.y)
        t_c, ref = best(lambda: griddata((x, y), v, (gx, gy), method="cubic"), reps)
        truth = dipole_anomaly(d, gx, gy, 0.3)
        ok = np.isfinite(g.values) & np.isfinite(ref) & np.isfinite(g2.values)
        es, ec, e2 = g.values[ok] - truth[ok], ref[ok] - truth[ok], g2.values[ok] - truth[ok]
        peak = np.abs(truth).max()
        print(f"{n:>9} {g.values.size:>9} {rep['cycles']:>6} | {t_s:>9.3f} {t_c:>9.3f} {t_c / t_s:>5.1f}x | "
              f"{np.sqrt(np.mean(es**2)):>10.4f} {np.sqrt(np.mean(e2**2)):>10.4f} {np.sqrt(np.mean(ec**2)):>10.4f} "
              f"{np.abs(es).max():>10.3f} {np.abs(e2).max():>10.3f} {np.abs(ec).max():>10.3f}  ({peak:.0f})")


if __name__ == "__main__":
    main()

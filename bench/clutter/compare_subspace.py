"""Time sapper.clutter against the same methods written with numpy, side by side in one run, on a
simulated 512 x 2,000 float32 B-scan (sapper.sim.gpr, 40 m lane, AP/AT mines and clutter), and
print the ratios:

- eigen-image removal of the leading component: sapper (randomised truncated SVD) vs
  np.linalg.svd(full_matrices=False) minus the same component;
- robust PCA: sapper.clutter.rpca vs a numpy inexact ALM (Lin, Chen & Ma 2010, Alg. 5) with
  the same rank limit (np.linalg.svd truncated to the rank), lambda, mu_0, rho, tolerance and
  iteration cap, in float64 like sapper; both objectives are printed and compared.

    python bench/clutter/compare_subspace.py [--threads 0] [--reps 3] [--rank 5] [--max-iter 100]
"""
import argparse
import os
import sys

import numpy as np

from sapper import clutter
from sapper.sim import gpr as simgpr
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402


def numpy_eigenimage(x, first=0, k=1):
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    return x - (u[:, first:first + k] * s[first:first + k]) @ vt[first:first + k]


def numpy_rpca(m, rank, lam=None, tol=1e-7, max_iter=500, rho=1.5):
    """Inexact ALM, rank-limited singular value thresholding; returns L, S, iterations, objective."""
    d = np.asarray(m, dtype=np.float64)
    lam = 1 / np.sqrt(max(d.shape)) if lam is None else lam
    norm_two = np.linalg.norm(d, 2)
    y = d / max(norm_two, np.abs(d).max() / lam)
    a = np.zeros_like(d)
    mu = 1.25 / norm_two
    mu_bar = mu * 1e7
    dnorm = np.linalg.norm(d)
    nuc = 0.0
    for it in range(1, max_iter + 1):
        t = d - a + y / mu
        e = np.sign(t) * np.maximum(np.abs(t) - lam / mu, 0)
        u, s, vt = np.linalg.svd(d - e + y / mu, full_matrices=False)
        s = s[:rank]
        svp = int((s > 1 / mu).sum())
        a = (u[:, :svp] * (s[:svp] - 1 / mu)) @ vt[:svp]
        nuc = float((s[:svp] - 1 / mu).sum())
        z = d - a - e
        y += mu * z
        mu = min(mu * rho, mu_bar)
        if np.linalg.norm(z) / dnorm < tol:
            break
    return a, e, it, nuc + lam * np.abs(e).sum()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--rank", type=int, default=5)
    p.add_argument("--max-iter", type=int, default=100)
    a = p.parse_args()
    lane = simgpr.simulate({"lane": {"length_m": 40.0}, "ground": {"roughness_rms_m": 0.005},
                            "random": {"ap_mines": 12, "at_mines": 4, "clutter": 20}}, seed=3)
    x = np.asfortranarray(lane.data[:, :2000])
    print(f"B-scan {x.shape} {x.dtype}, threads={a.threads}")

    ts, ys = best(lambda: clutter.eigenimage(x, rank=1, threads=a.threads), a.reps)
    tn, yn = best(lambda: numpy_eigenimage(x), a.reps)
    err = np.linalg.norm(ys - yn) / np.linalg.norm(yn)
    print(f"eigenimage rank 1: sapper {ts * 1e3:8.1f} ms  numpy full SVD {tn * 1e3:8.1f} ms  "
          f"ratio {tn / ts:6.1f}x  rel. difference {err:.1e}")

    kw = dict(rank=a.rank, tol=1e-7, max_iter=a.max_iter)
    ts, (ls, ss, info) = best(lambda: clutter.rpca(x, threads=a.threads, **kw), a.reps)
    tn, (ln, sn, itn, objn) = best(lambda: numpy_rpca(x, **kw), 1)
    print(f"rpca rank<={a.rank}: sapper {ts * 1e3:8.1f} ms ({info.iterations} it, residual {info.residual:.1e}) "
          f" numpy {tn * 1e3:8.1f} ms ({itn} it)  ratio {tn / ts:6.1f}x  "
          f"per iteration {(tn / itn) / (ts / info.iterations):6.1f}x")
    print(f"  objective sapper {info.objective:.6g}  numpy {objn:.6g}  "
          f"relative difference {abs(info.objective - objn) / objn:.2e}")
    print(f"  ||L_sapper - L_numpy|| / ||L_numpy|| = {np.linalg.norm(ls - ln) / np.linalg.norm(ln):.2e}")


if __name__ == "__main__":
    main()

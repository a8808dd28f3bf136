"""SCR change (dB) of the clutter suppression methods on simulated lanes at three ground
roughnesses, with the documented defaults of every method (nothing tuned to these scenes).

Each lane (sapper.sim.gpr, default scene plus random AP/AT mines and clutter objects, 10 m,
one channel) comes with its target-free twin. A method is an operator derived from the data;
the same operator is applied to the twin (frozen where it is explicit: the data's mean trace,
the data's removed singular vectors, RPCA's low-rank part of the data, the data's window
means and deviations; the causal eigen-image remover is run on the twin on its own). Then, as
docs/eval.md defines, SCR(Y, M) = 10 log10(mean_M Y^2 / mean_notM Y^2) with
M = target_mask(op(data), op(twin)) (-20 dB), over all samples, and the table gives
SCR(op(data)) - SCR(raw data), averaged over the seeds (min..max in brackets).

    python bench/clutter/scr_table.py [--seeds 4] [--threads 0]
"""
import argparse

import numpy as np

from sapper import clutter, gpr
from sapper import eval as ev
from sapper.sim import gpr as simgpr

ROUGHNESS = (0.0, 0.005, 0.01)
OBJECTS = {"ap_mines": 6, "at_mines": 2, "clutter": 6}


def window_stats(x, w):
    """Centred window mean and population deviation per row (truncated at the ends), as whiten."""
    x = x.astype(np.float64)
    n, h = x.shape[1], w // 2
    c1 = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, 1)], 1)
    c2 = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x * x, 1)], 1)
    j = np.arange(n)
    a, b = np.maximum(0, j - h), np.minimum(n, j + h + 1)
    cnt = b - a
    mu = (c1[:, b] - c1[:, a]) / cnt
    sd = np.sqrt(np.maximum(0, (c2[:, b] - c2[:, a]) / cnt - mu * mu))
    return mu, sd


def methods(threads):
    """name -> f(data, twin) returning (op(data), op(twin)), defaults only."""
    def mean_trace(d, t):
        m = d.mean(1, keepdims=True)
        return gpr.remove_mean_trace(d, threads=threads), t - m

    def eigen(d, t):
        y, r = clutter.eigenimage(d, threads=threads, return_rank=True)
        # the same SVD as eigenimage's default (gap rule: max_rank + 1 = 9 components, same seed)
        u = clutter.truncated_svd(d, 9, threads=threads)[0][:, :r[0]]
        return y, t - u @ (u.T @ t)

    def eigen_causal(d, t):
        return clutter.eigenimage_causal(d, threads=threads), clutter.eigenimage_causal(t, threads=threads)

    def rpca(d, t):
        low, sparse, _ = clutter.rpca(d, threads=threads)
        return sparse, t - low

    def whiten(d, t):
        mu, sd = window_stats(d, 51)
        return clutter.whiten(d, threads=threads), np.where(sd > 0, (t - mu) / np.where(sd > 0, sd, 1), 0)

    return {"mean trace (sapper.gpr)": mean_trace, "eigenimage": eigen, "eigenimage_causal": eigen_causal,
            "rpca (sparse part)": rpca, "whiten": whiten}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    ms = methods(a.threads)
    gains = {k: {r: [] for r in ROUGHNESS} for k in ms}
    for r in ROUGHNESS:
        for seed in range(a.seeds):
            lane = simgpr.simulate({"ground": {"roughness_rms_m": r}, "random": OBJECTS}, seed=seed, twin=True)
            d, t = np.asfortranarray(lane.data), np.asfortranarray(lane.twin)
            raw = ev.scr(d, ev.target_mask(d, t))
            for k, f in ms.items():
                yd, yt = f(d, t)
                gains[k][r].append(ev.scr(yd, ev.target_mask(yd, yt)) - raw)
    print(f"SCR change, dB (mean over {a.seeds} seeds, [min, max])")
    print("| method | " + " | ".join(f"{r * 100:g} cm rms" for r in ROUGHNESS) + " |")
    print("|---|" + "---|" * len(ROUGHNESS))
    for k in ms:
        cells = [f"{np.mean(g):+.1f} [{np.min(g):+.1f}, {np.max(g):+.1f}]" for g in (gains[k][r] for r in ROUGHNESS)]
        print(f"| {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""SCR gain and Pd at 0.01 FA/m^2 of the clutter suppression methods on simulated lanes, in one
convention, at three ground roughnesses (docs/clutter.md, "Measured: SCR and Pd by method").

Lanes: sapper.sim.gpr, 10 m x `--channels` channels 0.1 m apart, 6 AP + 2 AT mines and 6 clutter
objects at random, seeds 1..`--lanes`, everything else the simulator's default (1.5 GHz, 7 cm up).
Every method at its documented defaults runs on each channel's B-scan on its own.

SCR (one convention for every method): per lane, the channels' B-scans side by side; mask
M = target_mask(raw, twin) (-20 dB of the mines' own signature raw - twin, the same M for every
method); rows [0, i_last + 1 ns), i_last the deepest row of M; gain = SCR(op(raw), M) - SCR(raw, M)
(docs/eval.md); mean over the lanes, [min, max].

Pd: the fixed energy prescreener `prescreen` below on every method's output, alarms of all lanes
pooled (lane k shifted by 10 k m along x) and scored by sapper.eval.score (one detection per
mine, halos 0.25 m AP / 0.5 m AT, duplicates are false alarms); Pd at 0.01 FA/m^2.

    python bench/clutter/clutter_table.py [--lanes 12] [--channels 8] [--methods ...]
"""
import argparse
import time

import numpy as np

from sapper import clutter, gpr
from sapper import eval as ev
from sapper.sim import gpr as simgpr

ROUGHNESS = (0.0, 0.005, 0.01)
SEARCH_NS = (0.8, 6.0)   # the bounce search of the ground methods (0.8 ns: from the direct coupling on)
GATE_NS = (0.0, 5.0)     # prescreener gate, ns after the ground pick (0.3 m at eps 6 is 4.9 ns two-way)

METHODS = {
    "mean trace (sapper.gpr)": lambda d, dt: gpr.remove_mean_trace(d),
    "eigenimage": lambda d, dt: clutter.eigenimage(d),
    "eigenimage_causal": lambda d, dt: clutter.eigenimage_causal(d),
    "rpca (sparse part)": lambda d, dt: clutter.rpca(d)[1],
    "whiten": lambda d, dt: clutter.whiten(d),
    "suppress_ground (default)": lambda d, dt: clutter.suppress_ground(d, dt, search_ns=SEARCH_NS)[0],
}


def prescreen(y, picks_ns, dt_ns, x_m, y_m, traces=5, radius_m=0.25):
    """Fixed depth-gated energy prescreener on one lane (list of channel B-scans).

    Per channel and trace, E = sum of y^2 over [pick + GATE_NS[0], pick + GATE_NS[1]] (pick = the
    ground time of the raw data, the same for every method), averaged over `traces` traces; an
    alarm at every local maximum of E(x, channel) over +-radius_m along x and channels within
    +-radius_m across, confidence E. Returns (x, y, confidence) arrays."""
    n = y[0].shape[0]
    i = np.arange(n)[:, None] * dt_ns
    e = []
    for yc, p in zip(y, picks_ns):
        g = (i >= p[None, :] + GATE_NS[0]) & (i <= p[None, :] + GATE_NS[1])
        e.append(np.convolve((yc.astype(np.float64) ** 2 * g).sum(0), np.ones(traces) / traces, mode="same"))
    e = np.array(e)                                            # channels x traces
    dx, dy = x_m[1] - x_m[0], (y_m[1] - y_m[0]) if len(y_m) > 1 else 1.0
    hx, hy = int(round(radius_m / dx)), int(round(radius_m / dy)) if len(y_m) > 1 else 0
    pad = np.pad(e, ((hy, hy), (hx, hx)), constant_values=-np.inf)
    mx = np.full_like(e, -np.inf)
    for a in range(2 * hy + 1):
        for b in range(2 * hx + 1):
            mx = np.maximum(mx, pad[a:a + e.shape[0], b:b + e.shape[1]])
    c, j = np.nonzero((e >= mx) & (e > 0))
    return x_m[j], np.asarray(y_m)[c], e[c, j]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lanes", type=int, default=12)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    a = p.parse_args()
    gains = {k: {r: [] for r in ROUGHNESS} for k in a.methods}
    pd = {k: {} for k in a.methods}
    secs = {k: 0.0 for k in a.methods}
    for r in ROUGHNESS:
        alarms = {k: ([], [], []) for k in a.methods}
        objects, area = [], None
        for lane_i in range(a.lanes):
            scene = {"ground": {"roughness_rms_m": r}, "lane": {"channels": a.channels},
                     "random": {"ap_mines": 6, "at_mines": 2, "clutter": 6}}
            lane = simgpr.simulate(scene, seed=lane_i + 1, twin=True)
            dt, off = lane.dt_ns, 10.0 * lane_i
            ch = [np.asfortranarray(lane.channel(c)) for c in range(lane.n_channels)]
            tw = lane.twin.reshape(lane.twin.shape[0], lane.twin.shape[1], -1)
            raw, twin = np.hstack(ch), np.hstack([tw[:, :, c] for c in range(tw.shape[2])])
            mask = ev.target_mask(raw, twin)
            rows = np.nonzero(mask.any(axis=1))[0]
            win = (0, min(raw.shape[0], int(rows.max()) + int(round(1.0 / dt))))
            scr_raw = ev.scr(raw, mask, window=win)
            picks = [clutter.track_ground(c, dt, search_ns=SEARCH_NS) for c in ch]
            for o in lane.truth["objects"]:
                objects.append(dict(o, x=o["x"] + off, id=lane_i * 1000 + o["id"]))
            ar = lane.truth["area"]
            area = dict(ar, x1=ar["x1"] + off) if area is None else dict(area, x1=ar["x1"] + off)
            for k in a.methods:
                t = time.perf_counter()
                out = [METHODS[k](c, dt) for c in ch]
                secs[k] += time.perf_counter() - t
                gains[k][r].append(ev.scr(np.hstack(out), mask, window=win) - scr_raw)
                x, y, conf = prescreen(out, picks, dt, lane.x, lane.y)
                alarms[k][0].extend(x + off), alarms[k][1].extend(y), alarms[k][2].extend(conf)
        truth = {"area": area, "objects": objects}
        for k in a.methods:
            s = ev.score({"x": np.array(alarms[k][0]), "y": np.array(alarms[k][1]),
                          "confidence": np.array(alarms[k][2])}, truth, fa_rates=(0.01,))
            pd[k][r] = (s.at_rates[0].pd, s.at_rates[0].n_detected if hasattr(s.at_rates[0], "n_detected") else None)
        n_t = sum(o["label"] != "clutter" for o in objects)
        print(f"# {r * 100:g} cm rms: {a.lanes} lanes, {n_t} mines, {(area['x1'] - area['x0']) * (area['y1'] - area['y0']):.0f} m^2", flush=True)
    print(f"SCR gain, dB: mean over {a.lanes} lanes [min, max]; Pd at 0.01 FA/m^2 (fixed energy prescreener)")
    print("| method | " + " | ".join(f"{r * 100:g} cm rms: SCR gain | Pd" for r in ROUGHNESS) + " | time/B-scan |")
    print("|---|" + "---|---|" * len(ROUGHNESS) + "---|")
    nb = a.lanes * a.channels * len(ROUGHNESS)
    for k in a.methods:
        cells = [f"{np.mean(g):+.1f} [{np.min(g):+.1f}, {np.max(g):+.1f}] | {pd[k][r][0]:.2f}"
                 for r, g in ((r, gains[k][r]) for r in ROUGHNESS)]
        print(f"| {k} | " + " | ".join(cells) + f" | {secs[k] / nb * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""SCR gain and Pd at 0.01 / 0.1 FA/m^2 of the clutter suppression methods on simulated lanes, in one
convention, at three ground roughnesses (docs/clutter.md, "Measured: SCR and Pd by method").

Lanes: sapper.sim.gpr, 10 m x `--channels` channels 0.1 m apart, 6 AP + 2 AT mines and 6 clutter
objects (none with --no-objects) at random, seeds 1..`--lanes`, everything else the simulator's default (1.5 GHz, 7 cm up).
Every method at its documented defaults runs on each channel's B-scan on its own.

SCR (one convention for every method): per lane, the channels' B-scans side by side; mask
M = target_mask(raw, twin) (-20 dB of the mines' own signature raw - twin, the same M for every
method); rows [0, i_last + 1 ns), i_last the deepest row of M; gain = SCR(op(raw), M) - SCR(raw, M)
(docs/eval.md); mean over the lanes, [min, max].

Detection: one fixed prescreener for every method (`prescreen` below: sapper.detect.prescreen.energy
gated 0.15-5 ns after the simulator's known ground time, each channel flattened to it first, with
2-D CA-CFAR; settings in PRESCREEN), alarms of all lanes pooled (lane k shifted by 10 k m along x)
and scored by sapper.eval.score (one detection per mine, halos 0.25 m AP / 0.5 m AT, duplicates are
false alarms): Pd at 0.01 and 0.1 FA/m^2 and the pAUC over [0, 0.1] FA/m^2. Methods are ranked by
detections, so a method that zeroes clutter-free regions (RPCA's sparse part) gains nothing that
its alarms on mines do not earn: every alarm anywhere in the area counts, and a CFAR background of
exactly 0 gives score 0 (no alarm), not an infinite one.

    python bench/clutter/clutter_table.py [--lanes 24] [--channels 8] [--methods ...] [--no-objects]

--no-objects drops the 6 clutter objects per lane (rocks, roots, voids), which take the first alarms
of every method: the Pd at 0.01 FA/m^2 then measures what the clutter suppression itself controls.
"""
import argparse
import time

import numpy as np

from sapper import clutter, gpr
from sapper import eval as ev
from sapper.detect import prescreen as ps
from sapper.sim import gpr as simgpr

ROUGHNESS = (0.0, 0.005, 0.01)
SEARCH_NS = (0.8, 6.0)   # the bounce search of the ground methods (0.8 ns: from the direct coupling on)
C_M_PER_NS = 0.299792458
# The fixed prescreener (docs/clutter.md, "SCR and Pd by method"): energy over GATE_NS after the
# known ground time (0.15 ns: past the bounce's peak, a 1.2 cm deep AP mine at eps 6; 5 ns: 0.3 m),
# averaged over 5 traces (10 cm), 2-D CA-CFAR over the neighbouring channels with guard 15 and train
# 25 traces each side (0.3 and 0.5 m at 2 cm spacing: an AT mine stays out of its own training
# cells), every local maximum within 0.25 m along and 2 channels across is an alarm (threshold 0:
# the ROC is swept by sapper.eval.score over the confidences).
GATE_NS = (0.15, 5.0)
PRESCREEN = dict(cfar="ca", window=5, guard=15, train=25, train_channels=1, threshold=0.0, separation_m=0.25,
                 separation_channels=2)
FA_RATES = (0.01, 0.1)

METHODS = {
    "none (raw)": lambda d, dt: d,
    "mean trace (sapper.gpr)": lambda d, dt: gpr.remove_mean_trace(d),
    "eigenimage": lambda d, dt: clutter.eigenimage(d),
    "eigenimage_causal": lambda d, dt: clutter.eigenimage_causal(d),
    "rpca (sparse part)": lambda d, dt: clutter.rpca(d)[1],
    "whiten": lambda d, dt: clutter.whiten(d),
    "suppress_ground (default)": lambda d, dt: clutter.suppress_ground(d, dt, search_ns=SEARCH_NS)[0],
    "suppress_ground_causal (streaming)": lambda d, dt: clutter.suppress_ground_causal(d, dt, search_ns=SEARCH_NS),
    "suppress_ground + whiten": lambda d, dt: clutter.whiten(clutter.suppress_ground(d, dt, search_ns=SEARCH_NS)[0]),
}


def ground_ns(lane):
    """Known ground-bounce time of every trace and channel, ns after sample 0, (n_traces, n_channels):
    the simulator's mirror path 2 sqrt(h^2 + (offset/2)^2) / c after time zero, h = antenna height
    minus the surface height under it (docs/sim_gpr.md). The same for every method."""
    ant = lane.scene.get("antenna", {})
    h, off = ant.get("height_m", 0.07), ant.get("offset_m", 0.05)
    s = np.asarray(lane.surface).reshape(len(lane.x), -1)
    return lane.time_zero_ns + 2.0 * np.sqrt((h - s) ** 2 + (off / 2) ** 2) / C_M_PER_NS


def prescreen(y, tg, dt_ns, x_m, y_m):
    """The fixed prescreener: sapper.detect.prescreen.energy with 2-D CA-CFAR (PRESCREEN) on one
    lane (list of channel B-scans), gated GATE_NS after the known ground time `tg`: each channel is
    first flattened to `tg` (clutter.flatten, the lane's median ground time as reference), so the
    gate follows the surface. Returns the alarms (x, y, confidence)."""
    ref = float(np.median(tg))
    flat = np.stack([clutter.flatten(c, dt_ns, tg[:, k], reference_ns=ref)[0] for k, c in enumerate(y)], axis=2)
    r = ps.energy(np.asfortranarray(flat), dt_ns, time_zero_ns=ref, gate_ns=GATE_NS, x=x_m, y=y_m, **PRESCREEN)
    return r.alarms


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lanes", type=int, default=24)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--methods", nargs="+", default=[k for k in METHODS if not k.startswith("rpca")])
    p.add_argument("--no-objects", action="store_true",
                   help="scenes without the twin's discrete clutter objects (rocks, roots, voids): the clutter is "
                        "then only the ground, its roughness, the soil and the antenna")
    a = p.parse_args()
    gains = {k: {r: [] for r in ROUGHNESS} for k in a.methods}
    pd = {k: {} for k in a.methods}
    secs = {k: 0.0 for k in a.methods}
    for r in ROUGHNESS:
        alarms = {k: ([], [], []) for k in a.methods}
        objects, area = [], None
        for lane_i in range(a.lanes):
            scene = {"ground": {"roughness_rms_m": r}, "lane": {"channels": a.channels},
                     "random": {"ap_mines": 6, "at_mines": 2, "clutter": 0 if a.no_objects else 6}}
            lane = simgpr.simulate(scene, seed=lane_i + 1, twin=True)
            dt, off = lane.dt_ns, 10.0 * lane_i
            ch = [np.asfortranarray(lane.channel(c)) for c in range(lane.n_channels)]
            tw = lane.twin.reshape(lane.twin.shape[0], lane.twin.shape[1], -1)
            raw, twin = np.hstack(ch), np.hstack([tw[:, :, c] for c in range(tw.shape[2])])
            mask = ev.target_mask(raw, twin)
            rows = np.nonzero(mask.any(axis=1))[0]
            win = (0, min(raw.shape[0], int(rows.max()) + int(round(1.0 / dt))))
            scr_raw = ev.scr(raw, mask, window=win)
            tg = ground_ns(lane)
            for o in lane.truth["objects"]:
                objects.append(dict(o, x=o["x"] + off, id=lane_i * 1000 + o["id"]))
            ar = lane.truth["area"]
            area = dict(ar, x1=ar["x1"] + off) if area is None else dict(area, x1=ar["x1"] + off)
            for k in a.methods:
                t = time.perf_counter()
                out = [METHODS[k](c, dt) for c in ch]
                secs[k] += time.perf_counter() - t
                gains[k][r].append(ev.scr(np.hstack(out), mask, window=win) - scr_raw)
                al = prescreen(out, tg, dt, lane.x, lane.y)
                alarms[k][0].extend(al["x"] + off), alarms[k][1].extend(al["y"]), alarms[k][2].extend(al["confidence"])
        truth = {"area": area, "objects": objects}
        for k in a.methods:
            s = ev.score({"x": np.array(alarms[k][0]), "y": np.array(alarms[k][1]),
                          "confidence": np.array(alarms[k][2])}, truth, fa_rates=FA_RATES, max_far=FA_RATES[-1],
                         operating_far=FA_RATES[-1])
            # the share of the false alarms at 0.1 FA/m^2 that lie on the twin's clutter objects
            pd[k][r] = [q.pd for q in s.at_rates] + [s.n_false_on_clutter / max(1, s.operating.n_false), s.pauc]
        n_t = sum(o["label"] != "clutter" for o in objects)
        print(f"# {r * 100:g} cm rms: {a.lanes} lanes, {n_t} mines, {(area['x1'] - area['x0']) * (area['y1'] - area['y0']):.0f} m^2", flush=True)
    nb = a.lanes * a.channels * len(ROUGHNESS)
    print(f"SCR gain, dB: mean over {a.lanes} lanes [min, max]")
    print("| method | " + " | ".join(f"{r * 100:g} cm rms" for r in ROUGHNESS) + " | time/B-scan |")
    print("|---|" + "---|" * len(ROUGHNESS) + "---|")
    for k in a.methods:
        cells = [f"{np.mean(g):+.1f} [{np.min(g):+.1f}, {np.max(g):+.1f}]" for g in (gains[k][r] for r in ROUGHNESS)]
        print(f"| {k} | " + " | ".join(cells) + f" | {secs[k] / nb * 1e3:.0f} ms |")
    print(f"\nDetection (fixed prescreener, {a.lanes} lanes pooled): Pd at {FA_RATES[0]:g} / {FA_RATES[1]:g} FA/m^2, "
          f"pAUC over [0, {FA_RATES[-1]:g}] FA/m^2; methods ranked by the 1 cm pAUC")
    print(f"(FA on clutter: the share of the false alarms at {FA_RATES[-1]:g} FA/m^2 within a clutter object's halo)")
    print("| method | " + " | ".join(f"{r * 100:g} cm rms: Pd | FA on clutter | pAUC" for r in ROUGHNESS) + " |")
    print("|---|" + "---|---|---|" * len(ROUGHNESS))
    for k in sorted(a.methods, key=lambda k: -pd[k][ROUGHNESS[-1]][-1]):
        cells = [f"{pd[k][r][0]:.2f} / {pd[k][r][1]:.2f} | {pd[k][r][2]:.2f} | {pd[k][r][3]:.3f}" for r in ROUGHNESS]
        print(f"| {k} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()

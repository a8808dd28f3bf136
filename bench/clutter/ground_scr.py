#!/usr/bin/env python3
"""Signal-to-clutter gain of ground-bounce removal against mean-trace subtraction on simulated lanes.

sapper.sim.gpr's default scene at several ground roughnesses and seeds; the SCR of the mines'
signature (mask from the target-free twin) over the rows down to 1 ns below its deepest sample,
as the main job measures it. Prints the gain (dB) per method, roughness and seed.

  python bench/clutter/ground_scr.py [--seeds 1 2 3] [--roughness 0 0.005 0.01]
"""
import argparse

import numpy as np

from sapper import clutter, gpr
from sapper import eval as ev
from sapper.sim import gpr as simgpr

METHODS = {
    "mean-trace subtraction": lambda d, dt, g: gpr.remove_mean_trace(d),
    "ground removal, no ringing removal": lambda d, dt, g: clutter.remove_ground(d, dt, g, remove_ringing=False)[0],
    "ground removal + ringing (default)": lambda d, dt, g: clutter.remove_ground(d, dt, g)[0],
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--roughness", type=float, nargs="+", default=[0.0, 0.005, 0.01], help="rms, m")
    a = p.parse_args()
    rows = {m: {} for m in METHODS}
    for rough in a.roughness:
        for seed in a.seeds:
            scene = simgpr.default_scene()
            scene["ground"]["roughness_rms_m"] = rough
            lane = simgpr.simulate(scene, seed=seed, twin=True)
            d, dt = lane.channel(0), lane.dt_ns
            twin = lane.twin if lane.twin.ndim == 2 else lane.twin[:, :, 0]
            mask = ev.target_mask(d, twin)
            last = int(np.nonzero(mask.any(axis=1))[0].max())
            win = (0, min(d.shape[0], last + int(round(1.0 / dt))))
            raw = ev.scr(d, mask, window=win)
            picks = clutter.track_ground(d, dt, search_ns=(0.8, 6.0))
            for name, f in METHODS.items():
                rows[name].setdefault(rough, []).append(ev.scr(f(d, dt, picks), mask, window=win) - raw)
    print("SCR gain, dB (seeds " + ", ".join(map(str, a.seeds)) + ")")
    print(f"{'method':38s}" + "".join(f"{r * 100:>22g} cm rms" for r in a.roughness))
    for name, by in rows.items():
        print(f"{name:38s}" + "".join(f"{', '.join(f'{v:+.1f}' for v in by[r]):>29s}" for r in a.roughness))


if __name__ == "__main__":
    main()

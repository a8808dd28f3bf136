"""``sapper``: the main job. With no arguments, simulate a GPR survey lane over
buried mines and clutter, run the default preprocessing chain, print what it did
(objects, steps, throughput, signal-to-clutter ratio) and write a before/after PNG."""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import eval as sev
from . import gpr
from .sim import gpr as simgpr


def default_chain(dt_ns, antenna_mhz=1500.0):
    """The default chain, with an exponential term in the gain for the soil's attenuation."""
    steps = gpr.Chain.default(antenna_mhz, dt_ns).steps
    for s in steps:
        if s["op"] == "gain":
            s.update(alpha_per_ns=0.1, max_gain=1e3)
    return gpr.Chain(steps)


def _scr(data, twin, dt_ns):
    """SCR (dB) of the mines' signature (from the target-free twin) over the rows down to 1 ns
    below the deepest of it, so that the noise of empty late times does not dilute the clutter."""
    mask = sev.target_mask(data, twin)
    last = int(np.nonzero(mask.any(axis=1))[0].max())
    return sev.scr(data, mask, window=(0, min(data.shape[0], last + int(round(1.0 / dt_ns)))))


def main(argv=None):
    p = argparse.ArgumentParser(prog="sapper", description=__doc__)
    p.add_argument("--scene", help="scene JSON (docs/sim_gpr.md); default: a 10 m lane with 4 mines and 6 clutter objects")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulation (default 1)")
    p.add_argument("--png", default="sapper_demo.png", help="before/after figure to write")
    p.add_argument("--write", metavar="DIR", help="also write the simulated lane (npy + JSON) to DIR")
    args = p.parse_args(argv)

    scene = simgpr.normalise_scene(args.scene) if args.scene else simgpr.default_scene()
    t = time.perf_counter()
    lane = simgpr.simulate(scene, seed=args.seed, twin=True)
    ms_sim = (time.perf_counter() - t) * 1e3
    data, dt = lane.channel(0), lane.dt_ns
    n, m = data.shape
    g, a = lane.scene["ground"], lane.scene["antenna"]
    print(f"simulated lane (seed {args.seed}): {lane.x[-1]:.2f} m, {m} traces x {n} samples, dt = {dt:.4f} ns, "
          f"{a['frequency_mhz']:.0f} MHz antenna {a['height_m'] * 100:.0f} cm up; soil eps {g['permittivity']:g}, "
          f"{g['conductivity_ms_m']:g} mS/m, roughness {g['roughness_rms_m'] * 100:g} cm rms "
          f"({m / ms_sim * 1e3:,.0f} traces/s)")
    print("buried objects (truth):")
    for o in lane.truth["objects"]:
        print(f"  {o['id']:>2} {o['label']:<8} {o['type']:<8} x = {o['x']:5.2f} m  y = {o['y']:+.2f} m  "
              f"depth = {o['depth'] * 100:4.1f} cm  size = {o['size'] * 100:4.1f} cm  {o['material']}")

    chain = default_chain(dt, a["frequency_mhz"])
    chain.apply(data, dt)                                   # plans the FFTs
    t = time.perf_counter()
    result = chain.apply(data, dt)
    ms = (time.perf_counter() - t) * 1e3
    raw_twin = lane.twin if lane.twin.ndim == 2 else lane.twin[:, :, 0]
    twin = gpr.Chain(result.steps).apply(raw_twin, dt)     # the same steps, as applied
    out = result.data
    print("chain as applied (replayable with sapper.gpr.Chain(steps)):")
    for s in result.steps:
        print("  " + s["op"] + "(" + ", ".join(f"{k}={v}" for k, v in s.items() if k != "op") + ")")
    print(f"processed in {ms:.1f} ms ({m / ms * 1e3:,.0f} traces/s); output {out.shape[0]} samples x {m} traces")

    if any(o["label"] != "clutter" for o in lane.truth["objects"]):
        scr_raw, scr_out = _scr(data, raw_twin, dt), _scr(out, twin.data, dt)
        print(f"signal-to-clutter ratio (mine echoes against the rest, from the surface to 1 ns below the "
              f"deepest mine echo): raw {scr_raw:.1f} dB, processed {scr_out:.1f} dB ({scr_out - scr_raw:+.1f} dB)")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure written")
        return 0
    fig, ax = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    for axis, d, title, t_first in ((ax[0], data, "raw (time after transmission)", -lane.time_zero_ns),
                                    (ax[1], out, "processed by the default chain (time after the first break)", 0.0)):
        lim = np.percentile(np.abs(d), 99.5)
        axis.imshow(d, aspect="auto", cmap="gray", vmin=-lim, vmax=lim,
                    extent=(lane.x[0], lane.x[-1], t_first + d.shape[0] * dt, t_first))
        axis.set_title(title)
        axis.set_ylabel("two-way time (ns)")
        for o in lane.truth["objects"]:
            mine = o["label"] != "clutter"
            axis.plot(o["x"], t_first, "v" if mine else "o", color="red" if mine else "tab:blue", ms=7, clip_on=False)
    ax[1].set_xlabel("distance along the lane (m); red: mines, blue: clutter")
    fig.tight_layout()
    fig.savefig(args.png, dpi=100)
    print(f"wrote {args.png}")
    if args.write:
        simgpr.write(lane, args.write)
        print(f"wrote the lane to {args.write}/ (data.npy, twin.npy, meta.json, truth.json, scene.json)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

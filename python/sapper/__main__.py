"""``sapper``: the main job. With no arguments, simulate a multi-channel GPR lane over buried
mines, UXO and clutter and a magnetometer survey over the same objects, run the default
preprocessing chain (throughput, signal-to-clutter ratio), then the whole detection chain
(sapper.pipeline: prescreener, features, shipped classifiers, fusion), print the Pd / false-alarm
table of sapper.eval for each sensor alone and fused, and write a before/after PNG."""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import eval as sev
from . import classify, gpr, pipeline
from .sim import gpr as simgpr
from .sim import mag as simmag

#: The main job's lane: 10 m x 0.8 m, 8 channels, 1 cm rms rough ground, a few of every target class.
DEMO_SCENE = {"lane": {"length_m": 10, "channels": 8, "channel_spacing_m": 0.1},
              "ground": {"roughness_rms_m": 0.01},
              "random": {"ap_mines": 4, "at_mines": 1, "uxo": 1, "clutter": 10, "max_depth_ap_m": 0.10}}


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


def _pd_row(name, s):
    cells = [f"{p.pd:.2f} [{p.pd_lo:.2f}, {p.pd_hi:.2f}]" for p in s.at_rates]
    return f"  {name:<13}" + "".join(f"{c:>20}" for c in cells) + f"{s.n_scored:>8}"


def detection(lane, seed):
    """The detection chain on the lane and a magnetometer survey over it; prints alarms and Pd/FAR."""
    t = time.perf_counter()
    survey = simmag.simulate(simmag.scene_over_lane(lane.truth), seed=seed)
    r = pipeline.run(lane, survey)
    ms = (time.perf_counter() - t) * 1e3
    a = r.alarms
    print(f"detection chain (sapper.pipeline, shipped models) in {ms:.0f} ms: {len(r.gpr['x'])} GPR alarms, "
          f"{len(r.mag['x'])} magnetometer targets, {len(a['x'])} fused alarms; the most confident:")
    for k in np.argsort(-a["confidence"], kind="stable")[:8]:
        sensors = "+".join(n for n, i in (("GPR", a["gpr"][k]), ("mag", a["mag"][k])) if i >= 0)
        print(f"  x = {a['x'][k]:5.2f} m  y = {a['y'][k]:+.2f} m  {a['label'][k]:<8} "
              f"confidence {a['confidence'][k]:.2f}  ({sensors})")
    rates = (0.01, 0.1)
    scores = {"GPR alone": sev.score(r.gpr, lane.truth, fa_rates=rates),
              "magnetometer": sev.score(classify.fuse(None, r.mag), lane.truth, fa_rates=rates),
              "fused": sev.score(a, lane.truth, fa_rates=rates)}
    s = scores["fused"]
    print(f"Pd [95% CI] at FA/m^2 ({s.n_targets} targets, {s.area_m2:.1f} m^2):")
    print("  " + " " * 13 + "".join(f"{f'<= {f:g} FA/m^2':>20}" for f in rates) + f"{'alarms':>8}")
    for name, sc in scores.items():
        print(_pd_row(name, sc))
    print("  fused, by type at the 0.01 FA/m^2 point: " +
          ", ".join(f"{g.name} {g.n_detected}/{g.n_targets}" for g in s.by_type))


def main(argv=None):
    p = argparse.ArgumentParser(prog="sapper", description=__doc__)
    p.add_argument("--scene", help="scene JSON (docs/sim_gpr.md); default: a 10 m, 8-channel lane with 4 AP mines, "
                   "an AT mine, a mortar and 10 clutter objects")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulation (default 1)")
    p.add_argument("--png", default="sapper_demo.png", help="before/after figure to write")
    p.add_argument("--write", metavar="DIR", help="also write the simulated lane (npy + JSON) to DIR")
    args = p.parse_args(argv)

    scene = simgpr.normalise_scene(args.scene) if args.scene else simgpr.normalise_scene(DEMO_SCENE)
    t = time.perf_counter()
    lane = simgpr.simulate(scene, seed=args.seed, twin=True)
    ms_sim = (time.perf_counter() - t) * 1e3
    data, dt = lane.channel(0), lane.dt_ns
    n, m = data.shape
    g, a = lane.scene["ground"], lane.scene["antenna"]
    print(f"simulated lane (seed {args.seed}): {lane.x[-1]:.2f} m, {lane.n_channels} channel(s) of {m} traces x {n} "
          f"samples, dt = {dt:.4f} ns, "
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
    print(f"default chain ({', '.join(s['op'] for s in result.steps)}) on channel 0: {ms:.1f} ms "
          f"({m / ms * 1e3:,.0f} traces/s)")

    if any(o["label"] != "clutter" for o in lane.truth["objects"]):
        scr_raw, scr_out = _scr(data, raw_twin, dt), _scr(out, twin.data, dt)
        print(f"signal-to-clutter ratio (mine echoes against the rest, down to 1 ns below the deepest): "
              f"raw {scr_raw:.1f} dB, processed {scr_out:.1f} dB ({scr_out - scr_raw:+.1f} dB)")
    detection(lane, args.seed)
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

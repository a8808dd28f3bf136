"""``sapper``: the main job. With no arguments, synthesise a B-scan with a buried
target and clutter, run the default preprocessing chain and write a before/after PNG."""
from __future__ import annotations

import argparse
import time

import numpy as np

from . import gpr


def synthetic_bscan(n_samples=512, n_traces=400, dt_ns=0.025, seed=0):
    """Ricker-wavelet scene: direct wave, drifting DC, flat ground bounce, a point
    target (hyperbola) and receiver noise. Returns (data float32, dt_ns, apex)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) * dt_ns
    x = np.arange(n_traces) * 0.01                              # 1 cm trace spacing
    f = 1.5                                                      # GHz

    def ricker(tt):
        a = (np.pi * f * tt) ** 2
        return (1 - 2 * a) * np.exp(-a)

    v = 0.3 / np.sqrt(6.0)                                       # m/ns in soil of eps 6
    x0, d = x[n_traces // 2], 0.12
    t_target = 3.0 + 2 * np.sqrt(d ** 2 + (x - x0) ** 2) / v
    data = (1.0 * ricker(t[:, None] - 1.0)                        # direct coupling
            - 0.6 * ricker(t[:, None] - 2.0)                      # ground bounce
            + 0.08 * ricker(t[:, None] - t_target[None, :]) * np.exp(-0.3 * (t_target - 3.0))
            + 0.3 + 0.05 * t[:, None]                             # DC and wow
            + 0.01 * rng.standard_normal((n_samples, n_traces)))
    return np.asfortranarray(data, dtype=np.float32), dt_ns, (x0, 3.0 + 2 * d / v)


def default_chain(dt_ns, antenna_mhz=1500.0):
    """The default chain, with an exponential term in the gain for the soil's attenuation."""
    steps = gpr.Chain.default(antenna_mhz, dt_ns).steps
    for s in steps:
        if s["op"] == "gain":
            s.update(alpha_per_ns=0.1, max_gain=1e3)
    return gpr.Chain(steps)


def main(argv=None):
    p = argparse.ArgumentParser(prog="sapper", description=__doc__)
    p.add_argument("--png", default="sapper_demo.png", help="before/after figure to write")
    args = p.parse_args(argv)
    data, dt, (x0, t0) = synthetic_bscan()
    chain = default_chain(dt)
    t = time.perf_counter()
    result = chain.apply(data, dt)
    ms_first = (time.perf_counter() - t) * 1e3             # includes planning the FFTs
    t = time.perf_counter()
    result = chain.apply(data, dt)
    ms = (time.perf_counter() - t) * 1e3
    out = result.data
    n, m = data.shape
    print(f"synthetic B-scan: {n} samples x {m} traces, dt = {dt} ns, target apex at x = {x0:.2f} m, t = {t0:.2f} ns")
    print("chain as applied (replayable with sapper.gpr.Chain(steps)):")
    for s in result.steps:
        print("  " + s["op"] + "(" + ", ".join(f"{k}={v}" for k, v in s.items() if k != "op") + ")")
    print(f"processed in {ms:.1f} ms ({m / ms * 1e3:,.0f} traces/s; first call {ms_first:.0f} ms with FFT planning); output {out.shape[0]} samples x {m} traces, "
          f"time zero at sample 0 (cropped {n - out.shape[0]} samples)")
    j = int(round(x0 / 0.01))
    crop = n - out.shape[0]
    for name, d, k, early in (("raw", data, int(round(t0 / dt)), slice(0, int(2.5 / dt))),
                              ("processed", out, int(round(t0 / dt)) - crop, slice(0, int(2.5 / dt) - crop))):
        target = np.abs(d[k - 8:k + 8, j]).max()
        print(f"{name:>9}: target apex amplitude / rms of the first 2.5 ns = "
              f"{target / np.sqrt(np.mean(d[early].astype(np.float64) ** 2)):.3g}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figure written")
        return 0
    fig, ax = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for a, d, title, t_first in ((ax[0], data, "raw", 0.0), (ax[1], out, "processed", crop * dt)):
        lim = np.percentile(np.abs(d), 99)
        a.imshow(d, aspect="auto", cmap="gray", extent=(0, m * 0.01, t_first + d.shape[0] * dt, t_first),
                 vmin=-lim, vmax=lim)
        a.set_title(title); a.set_xlabel("distance (m)")
    ax[0].set_ylabel("two-way time (ns)")
    fig.tight_layout(); fig.savefig(args.png, dpi=100)
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

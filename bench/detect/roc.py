#!/usr/bin/env python3
"""Score the shipped detection chain (sapper.pipeline + default models) on simulated lanes that the
training never saw (seeds 5000 + i; tools/train_models.py trains on 1000 + i), GPR alone,
magnetometer alone and fused: ROC, Pd at 0.01 / 0.02 / 0.05 / 0.1 FA/m^2 with Clopper-Pearson
intervals, by target type and depth; and the magnetometer classifier's shrapnel rejection at Pd 0.95
on UXO and metal AT mines.

The lanes are stacked side by side across track into one area (each lane keeps only the alarms
inside its own strip), so one sapper.eval.score call gives the pooled ROC.

    PYTHONPATH=/tmp/site-pipe python bench/detect/roc.py [--lanes 30] [--roughness 0.01] [--png roc.png]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import train_models as tm  # noqa: E402

from sapper import classify, pipeline  # noqa: E402
from sapper import eval as sev  # noqa: E402

RATES = (0.01, 0.02, 0.05, 0.1)


def stack(parts, width):
    """Truth and alarms of several lanes placed side by side across track (lane i shifted by i * width)."""
    objs, al = [], {m: {"x": [], "y": [], "confidence": []} for m in parts[0][1]}
    x0 = x1 = None
    for i, (truth, alarms) in enumerate(parts):
        a = truth["area"]
        x0, x1 = a["x0"], a["x1"]
        dy = i * width - a["y0"]
        for o in truth["objects"]:
            objs.append({**o, "id": len(objs), "y": o["y"] + dy})
        for m, r in alarms.items():
            if r is None:
                continue
            inside = (r["y"] >= a["y0"]) & (r["y"] < a["y1"])
            al[m]["x"].append(r["x"][inside])
            al[m]["y"].append(r["y"][inside] + dy)
            al[m]["confidence"].append(r["confidence"][inside])
    truth = {"area": {"x0": x0, "x1": x1, "y0": 0.0, "y1": len(parts) * width}, "objects": objs}
    return truth, {m: {k: np.concatenate(v) for k, v in d.items()} for m, d in al.items()}


def shrapnel_rejection(mag_rows, pd=0.95):
    """Fraction of fragment picks below the confidence threshold that keeps ``pd`` of the UXO and
    metal-AT picks (each pick labelled by its nearest truth object within 0.25 / 0.5 m)."""
    conf = np.concatenate([c for c, _ in mag_rows])
    kind = np.concatenate([k for _, k in mag_rows])
    metal = conf[kind == "metal"]
    frag = conf[kind == "fragment"]
    if len(metal) == 0 or len(frag) == 0:
        return float("nan"), len(metal), len(frag)
    t = np.quantile(metal, 1 - pd, method="lower")
    return float(np.mean(frag < t)), len(metal), len(frag)


def pick_kind(x, y, truth):
    """'metal' (UXO or TM-62M within 0.5 m), 'fragment' (within 0.25 m) or '' per pick."""
    out = np.full(len(x), "", dtype=object)
    for o in truth["objects"]:
        metal = o["type"] in ("mortar", "TM-62M")
        if not metal and o["type"] != "fragment":
            continue
        d = np.hypot(x - o["x"], y - o["y"])
        out[(d <= (0.5 if metal else 0.25)) & (out == "")] = "metal" if metal else "fragment"
    return out


def table(name, s):
    lines = [f"### {name}: {s.n_targets} targets, {s.area_m2:.1f} m^2, {s.n_scored} alarms, pAUC(0.1) {s.pauc:.3f}", "",
             "| FA/m^2 | Pd | 95% CI | threshold |", "|---|---|---|---|"]
    for p in s.at_rates:
        lines.append(f"| {p.rate:g} | {p.pd:.3f} ({p.n_detected}/{s.n_targets}) | {p.pd_lo:.2f}-{p.pd_hi:.2f} | "
                     f"{p.threshold:.3f} |")
    lines += ["", f"At {s.operating.far:.3f} FA/m^2 (threshold {s.operating.threshold:.3f}):", "",
              "| group | targets | Pd | 95% CI |", "|---|---|---|---|"]
    for g in list(s.by_label) + list(s.by_type) + list(s.by_depth):
        lines.append(f"| {g.name} | {g.n_targets} | {g.pd:.2f} | {g.pd_lo:.2f}-{g.pd_hi:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lanes", type=int, default=30)
    p.add_argument("--roughness", type=float, default=None, help="rms m for every lane (default: 0-1 cm drawn)")
    p.add_argument("--operating-far", type=float, default=0.05)
    p.add_argument("--png", help="write the three ROC curves")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    fusion = classify.default_fusion()
    parts, mag_rows = [], []
    for i in range(a.lanes):
        lane, survey = tm.simulate_pair(tm.EVAL_SEED0 + i, roughness_m=a.roughness)
        r = pipeline.run(lane, survey, fusion=fusion)
        g, m = r.gpr, r.mag
        mag_only = classify.fuse(None, m, **{k: v for k, v in fusion.items() if k != "gpr_pd"})
        parts.append((lane.truth, {"gpr": g, "mag": mag_only, "fused": r.alarms}))
        mag_rows.append((m["confidence"], pick_kind(m["x"], m["y"], lane.truth)))
    width = lane.truth["area"]["y1"] - lane.truth["area"]["y0"]
    truth, alarms = stack(parts, width)
    print(f"{a.lanes} lanes (seeds {tm.EVAL_SEED0}..{tm.EVAL_SEED0 + a.lanes - 1}, roughness "
          f"{'0-1 cm' if a.roughness is None else f'{a.roughness * 100:g} cm'}), {time.perf_counter() - t0:.0f} s\n")
    scores = {}
    for m in ("gpr", "mag", "fused"):
        scores[m] = sev.score(alarms[m], truth, fa_rates=RATES, operating_far=a.operating_far)
        print(table({"gpr": "GPR alone", "mag": "magnetometer alone", "fused": "fused"}[m], scores[m]), "\n")
    rej, n_metal, n_frag = shrapnel_rejection(mag_rows)
    print(f"magnetometer: {rej * 100:.0f}% of {n_frag} fragment picks rejected at Pd 0.95 on {n_metal} UXO / "
          "metal-AT picks")
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for m, s in scores.items():
            ax.step(s.roc.far, s.roc.pd, where="post", label=m)
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set(xlim=(0, 2), xlabel="false alarms per m^2", ylabel="Pd")
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.png, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Score the shipped detection chain (sapper.pipeline + default models) on simulated lanes that the
training never saw (seeds 5000 + i; tools/train_models.py trains on 1000 + i), GPR alone,
magnetometer alone and fused: ROC, Pd at 0.01 / 0.02 / 0.05 / 0.1 FA/m^2 with Clopper-Pearson
intervals, by target type and depth; and the magnetometer classifier's shrapnel rejection at Pd 0.95
on UXO and metal AT mines, over the lanes and over magnetometer-only scenes (train_models.mag_scene,
seeds 5000 + i; the training's are 1000 + i).

The lanes are stacked side by side across track into one area (each lane keeps only the alarms
inside its own strip), so one sapper.eval.score call gives the pooled ROC. --echo also renders each
lane's target-free twin and reports the fused Pd at 0.02 FA/m^2 by each target's echo strength
(:func:`echo_ratio`): which misses are below the background the sensor has to see them against.

    python bench/detect/roc.py [--lanes 30] [--mag-scenes 100] [--mag-only] [--echo] [--varied]
        [--heavy-fragments | --default-scene] [--mag-model FILE] [--roughness 0.01] [--png roc.png]
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
from sapper.sim import gpr as simgpr  # noqa: E402
from sapper.sim import mag as simmag  # noqa: E402

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


METAL_TYPES = ("mortar", "shell", "TM-62M", "at_mine")
"""Object types of the shrapnel check's "UXO and metal AT mines" (lane and magnetometer-scene types)."""


def pick_kind(x, y, truth):
    """Per pick: ``kind`` ("metal": a UXO or metal AT mine within 0.5 m, the nearest; else "fragment":
    a fragment within 0.25 m; else "") and ``target`` (index of that metal object among the truth's
    metal objects, else -1); and the number of metal objects."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    metal = [o for o in truth["objects"] if o["type"] in METAL_TYPES]
    frag = [o for o in truth["objects"] if o["type"] == "fragment"]
    kind, target = np.full(len(x), "", dtype=object), np.full(len(x), -1)
    if metal:
        d = np.hypot(x[:, None] - [o["x"] for o in metal], y[:, None] - [o["y"] for o in metal])
        near = d.min(axis=1, initial=np.inf) <= 0.5
        kind[near], target[near] = "metal", d[near].argmin(axis=1)
    if frag:
        d = np.hypot(x[:, None] - [o["x"] for o in frag], y[:, None] - [o["y"] for o in frag])
        kind[(kind == "") & (d.min(axis=1, initial=np.inf) <= 0.25)] = "fragment"
    return kind, target, len(metal)


def shrapnel_threshold(best, pd=0.95):
    """The highest confidence threshold at which ``pd`` of the metal targets keep a pick (``best``: each
    target's highest pick confidence, -inf where it has no pick), or None where picking alone misses
    more than ``1 - pd`` of them."""
    best = np.sort(np.asarray(best, dtype=np.float64))[::-1]
    need = max(int(np.ceil(pd * len(best) - 1e-9)), 1)
    return float(best[need - 1]) if len(best) >= need and np.isfinite(best[need - 1]) else None


def shrapnel_rows(conf, x, y, truth):
    """One scene's row for :func:`shrapnel_rejection`: the confidences of its fragment picks and each
    metal target's best pick confidence (-inf: not picked)."""
    conf = np.asarray(conf, dtype=np.float64)
    kind, target, n = pick_kind(x, y, truth)
    best = np.full(n, -np.inf)
    np.maximum.at(best, target[kind == "metal"], conf[kind == "metal"])
    return {"fragment": conf[kind == "fragment"], "best": best}


def _rejection(rows, pd, picked_only):
    best = np.concatenate([r["best"] for r in rows] + [np.zeros(0)])
    frag = np.concatenate([r["fragment"] for r in rows] + [np.zeros(0)])
    t = shrapnel_threshold(best[np.isfinite(best)] if picked_only else best, pd)
    return t, (int(np.sum(frag < t)) if t is not None else 0), len(frag), best


def shrapnel_rejection(rows, pd=0.95, *, picked_only=True, n_boot=1000, seed=0):
    """Fraction of fragment picks the magnetometer classifier rejects at the confidence threshold that
    keeps ``pd`` of the UXO and metal AT mine targets (:func:`shrapnel_threshold`): of those picked
    (``picked_only``: the classifier's own Pd), or of all (None where picking misses too many).

    Returns a dict: ``threshold``, ``rejected``, ``n_fragment`` (picks), ``rate``, ``ci``
    (Clopper-Pearson 95%, the threshold held fixed), ``boot`` (2.5-97.5 percentiles over ``n_boot``
    resamplings of whole scenes, the threshold re-derived in each), ``n_metal`` (targets),
    ``n_metal_picked``."""
    t, k, n, best = _rejection(rows, pd, picked_only)
    nan2 = (float("nan"),) * 2
    out = {"threshold": t, "rejected": k, "n_fragment": n, "rate": k / n if n and t is not None else float("nan"),
           "ci": sev.clopper_pearson(k, n) if t is not None else nan2, "boot": nan2,
           "n_metal": len(best), "n_metal_picked": int(np.isfinite(best).sum())}
    if t is not None and rows:
        r = np.random.default_rng(seed)
        rates = []
        for _ in range(n_boot):
            tb, kb, nb, _ = _rejection([rows[i] for i in r.integers(0, len(rows), len(rows))], pd, picked_only)
            if tb is not None and nb:
                rates.append(kb / nb)
        if rates:
            out["boot"] = tuple(float(v) for v in np.percentile(rates, [2.5, 97.5]))
    return out


def shrapnel_report(name, rows, pd=0.95):
    """Lines of the shrapnel check: at the classifier's Pd over the picked metal targets, and at Pd over
    all of them where picking reaches it."""
    r = shrapnel_rejection(rows, pd)
    out = [f"{name}: {r['n_metal_picked']}/{r['n_metal']} UXO / metal-AT targets picked "
           f"(Pd {r['n_metal_picked'] / max(r['n_metal'], 1):.3f}), {r['n_fragment']} fragment picks"]
    for what, q in (("of the picked", r), ("of all", shrapnel_rejection(rows, pd, picked_only=False))):
        if q["threshold"] is None:
            out.append(f"  Pd {pd} {what} metal targets: unreachable (picking alone misses more than {1 - pd:.0%})")
        else:
            out.append(f"  Pd {pd} {what} metal targets (confidence >= {q['threshold']:.3f}): {q['rejected']}/"
                       f"{q['n_fragment']} = {q['rate']:.1%} of fragment picks rejected (Clopper-Pearson 95% "
                       f"{q['ci'][0]:.1%}-{q['ci'][1]:.1%}, scene bootstrap {q['boot'][0]:.1%}-{q['boot'][1]:.1%})")
    return "\n".join(out)


ECHO_BINS = (0.0, 2.0, 3.0, 5.0, np.inf)


def echo_ratio(lane, gate_ns=0.6, near_m=0.3):
    """Each target's (mines, UXO) echo over the background, as the chain sees it: the largest
    ``|preprocess(data) - preprocess(twin)|`` later than ``gate_ns`` after time zero on the traces
    within ``near_m`` of it along track and its two nearest channels, over the rms of the preprocessed
    twin (soil, clutter objects, noise) after ``gate_ns``. The twin is the same lane without its
    targets, with the same noise, so the difference is the target's echo alone (preprocessing is
    nearly linear). Returns (objects, ratios)."""
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    tw = np.asarray(lane.twin, dtype=d.dtype).reshape(d.shape)
    pd, pt = pipeline.preprocess_gpr(d, dt, x), pipeline.preprocess_gpr(tw, dt, x)
    i0 = int(np.ceil((tz + gate_ns) / dt))
    bg = float(np.sqrt(np.mean(np.square(pt[i0:], dtype=np.float64))))
    objs = [o for o in lane.truth["objects"] if o["label"] != "clutter"]
    out = []
    for o in objs:
        j = np.abs(x - o["x"]) <= near_m
        c = np.argsort(np.abs(y - o["y"]))[:2]
        out.append(float(np.abs(pd[i0:, j][:, :, c] - pt[i0:, j][:, :, c]).max()) / bg)
    return objs, np.array(out)


def echo_report(rows, thr):
    """Lines of the Pd by echo strength: ``rows`` of (object, echo ratio, best confidence of an alarm
    within its halo, -inf: none), detected at confidence >= ``thr``."""
    e = np.array([r[1] for r in rows])
    hit = np.array([r[2] >= thr for r in rows])
    out = ["| echo / background | targets | detected | Pd | 95% CI |", "|---|---|---|---|---|"]
    for lo, hi in zip(ECHO_BINS[:-1], ECHO_BINS[1:]):
        m = (e >= lo) & (e < hi)
        lo_ci, hi_ci = sev.clopper_pearson(int(hit[m].sum()), int(m.sum()))
        out.append(f"| [{lo:g}, {hi:g}) | {m.sum()} | {hit[m].sum()} | {hit[m].mean() if m.any() else float('nan'):.3f} | "
                   f"{lo_ci:.2f}-{hi_ci:.2f} |")
    missed = sorted((r for r in rows if r[2] < thr), key=lambda r: -r[1])
    out.append("missed: " + ", ".join(f"{o['type']} {o['depth'] * 100:.0f} cm (echo {q:.1f}x)" for o, q, _ in missed))
    return "\n".join(out)


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
    p.add_argument("--mag-scenes", type=int, default=100, help="magnetometer-only scenes for the shrapnel check")
    p.add_argument("--mag-only", action="store_true", help="only the shrapnel check on magnetometer-only scenes")
    p.add_argument("--heavy-fragments", action="store_true",
                   help="magnetometer-only scenes with fragments of 1e-3 to 5e-2 A m^2 (a stress test)")
    p.add_argument("--default-scene", action="store_true",
                   help="the simulator's default 20 m x 20 m scene (Karabakh field) instead of mag_scene")
    p.add_argument("--mag-model", help="magnetometer model file for the shrapnel check (default: the shipped)")
    p.add_argument("--roughness", type=float, default=None, help="rms m for every lane (default: 0-1 cm drawn)")
    p.add_argument("--varied", action="store_true",
                   help="each lane from another instrument (train_models.acquisition: antenna 0.8-2.6 GHz, "
                        "height, sampling, trace spacing) instead of the simulator's default one")
    p.add_argument("--operating-far", type=float, default=0.05)
    p.add_argument("--png", help="write the three ROC curves")
    p.add_argument("--echo", action="store_true",
                   help="fused Pd at 0.02 FA/m^2 by each target's echo over the background (renders the twin)")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for i in range(a.mag_scenes):
        seed = tm.EVAL_SEED0 + i
        survey = simmag.simulate(seed=seed) if a.default_scene else \
            tm.simulate_mag(seed, heavy_fragments=a.heavy_fragments)
        m = pipeline.mag_targets(survey, a.mag_model)
        rows.append(shrapnel_rows(m["confidence"], m["x"], m["y"], survey.truth))
    kind = " (the default scene)" if a.default_scene else " (heavy fragments)" if a.heavy_fragments else ""
    if rows:
        print(shrapnel_report(f"magnetometer-only scenes{kind} "
                              f"(seeds {tm.EVAL_SEED0}..{tm.EVAL_SEED0 + a.mag_scenes - 1}, "
                              f"{time.perf_counter() - t0:.0f} s)", rows), "\n")
    if a.mag_only:
        return 0
    fusion = classify.default_fusion()
    parts, mag_rows, echo_rows = [], [], []
    for i in range(a.lanes):
        lane, survey = tm.simulate_pair(tm.EVAL_SEED0 + i, roughness_m=a.roughness, varied=a.varied)
        r = pipeline.run(lane, survey, fusion=fusion)
        if a.echo:
            seed = tm.EVAL_SEED0 + i
            objs, q = echo_ratio(simgpr.simulate(tm.random_scene(seed, roughness_m=a.roughness, varied=a.varied),
                                                 seed=seed, twin=True))
            f = r.alarms
            for o, v in zip(objs, q):
                near = np.hypot(f["x"] - o["x"], f["y"] - o["y"]) <= (0.25 if o["label"] == "ap_mine" else 0.5)
                echo_rows.append((o, v, float(np.max(f["confidence"][near], initial=-np.inf))))
        g, m = r.gpr, r.mag
        mag_only = classify.fuse(None, m, **{k: v for k, v in fusion.items() if k != "gpr_pd"})
        parts.append((lane.truth, {"gpr": g, "mag": mag_only, "fused": r.alarms}))
        if a.mag_model:
            m = pipeline.mag_targets(survey, a.mag_model)
        mag_rows.append(shrapnel_rows(m["confidence"], m["x"], m["y"], lane.truth))
    width = lane.truth["area"]["y1"] - lane.truth["area"]["y0"]
    truth, alarms = stack(parts, width)
    print(f"{a.lanes} lanes (seeds {tm.EVAL_SEED0}..{tm.EVAL_SEED0 + a.lanes - 1}, roughness "
          f"{'0-1 cm' if a.roughness is None else f'{a.roughness * 100:g} cm'}"
          f"{', instruments varied' if a.varied else ''}), {time.perf_counter() - t0:.0f} s\n")
    scores = {}
    for m in ("gpr", "mag", "fused"):
        scores[m] = sev.score(alarms[m], truth, fa_rates=RATES, operating_far=a.operating_far)
        print(table({"gpr": "GPR alone", "mag": "magnetometer alone", "fused": "fused"}[m], scores[m]), "\n")
    if a.echo:
        q = scores["fused"].at_rates[RATES.index(0.02)]
        print(f"fused at 0.02 FA/m^2 (confidence >= {q.threshold:.3f}) by echo over background:\n"
              + echo_report(echo_rows, q.threshold), "\n")
    print(shrapnel_report("magnetometer over the lanes", mag_rows))
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

#!/usr/bin/env python3
"""Choose the GPR branch's gates and classifier on training-family lanes, never on the evaluation ones.

Caches, per seed, the features of each prescreener gate (``sapper.pipeline`` stages: preprocess
once, then ``prescreen_gpr`` and ``gpr_features`` per gate start, each gate ending at 8 ns), then
trains a model on the training seeds and scores the validation seeds as ``bench/detect/roc.py``
does (lanes side by side, ``merge_alarms`` with ``merge_radius``, ``sapper.eval.score``). Prints
GPR-alone Pd at 0.01 / 0.02 / 0.05 / 0.1 FA/m^2, pAUC(0.1) and the AP mines' Pd at the <= 0.05
operating point. docs/detect.md ("Deeper gates and gradient-boosted trees") has the table.

    python bench/detect/validate_gpr.py --gates 0.6,0.9,1.5 --model boosting
    python bench/detect/validate_gpr.py --gates 0.6 --model forest --val-roughness 0.01
    python bench/detect/validate_gpr.py --gates 0.6,0.9,1.5 --train 1000:1120,1200:1400
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path[:0] = [os.path.join(ROOT, "tools"), os.path.dirname(os.path.abspath(__file__))]
import roc  # noqa: E402
import train_models as tm  # noqa: E402
import sapper  # noqa: E402
from sapper import classify, pipeline  # noqa: E402
from sapper import eval as sev  # noqa: E402
from sapper.sim import gpr as simgpr  # noqa: E402


def seeds(spec):
    """"1000:1120,1200:1400" -> the seeds of those half-open ranges."""
    return [s for part in spec.split(",") for s in range(*map(int, part.split(":")))]


def lane_rows(seed, start, roughness, cache):
    """Features, labels and positions of one gate's alarms on one lane (cached)."""
    d = os.path.join(cache, f"r{roughness}")
    f = os.path.join(d, f"{seed}_{start:g}.pkl")
    if os.path.exists(f):
        with open(f, "rb") as fh:
            return pickle.load(fh)
    lane = simgpr.simulate(tm.random_scene(seed, roughness_m=roughness), seed=seed)
    data, dt, tz, x, y = pipeline._lane_arrays(lane)
    pre = pipeline.preprocess_gpr(data, dt, x)
    ant = lane.scene.get("antenna", {})
    ps = pipeline.prescreen_gpr(pre, dt, tz, x, y, gate_ns=(start, 8.0))
    X, names, _ = pipeline.gpr_features(pre, ps, dt, tz, x, antenna_height_m=ant.get("height_m", 0.0),
                                        offset_m=ant.get("offset_m", 0.0))
    lab, _ = pipeline.label_alarms(ps.alarms["x"], ps.alarms["y"], lane.truth)
    r = dict(X=X, names=names, lab=lab, x=ps.alarms["x"], y=ps.alarms["y"], truth=lane.truth)
    os.makedirs(d, exist_ok=True)
    with open(f + ".tmp", "wb") as fh:
        pickle.dump(r, fh)
    os.replace(f + ".tmp", f)
    return r


def rows(seed, gates, roughness, cache):
    parts = [lane_rows(seed, g, roughness, cache) for g in gates]
    return (np.vstack([p["X"] for p in parts]), np.concatenate([p["lab"] for p in parts]).astype(object),
            np.concatenate([p["x"] for p in parts]), np.concatenate([p["y"] for p in parts]), parts[0]["truth"],
            parts[0]["names"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gates", default="0.6,0.9,1.5", help="gate starts, ns after time zero (each to 8 ns)")
    p.add_argument("--model", choices=("boosting", "forest"), default="boosting")
    p.add_argument("--rounds", type=int, default=300, help="boosting rounds (forest: 40 trees, depth 10)")
    p.add_argument("--seed", type=int, default=1, help="model seed")
    p.add_argument("--train", default="1000:1120", help="training seeds, roughness drawn 0-1 cm")
    p.add_argument("--val", default="1120:1200", help="validation seeds")
    p.add_argument("--val-roughness", type=float, default=None, help="rms m of every validation lane")
    p.add_argument("--cache", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "sapper_validate_gpr"))
    a = p.parse_args(argv)
    sapper.set_fft_planning("estimate")
    gates = [float(g) for g in a.gates.split(",")]
    tr = [rows(s, gates, None, a.cache) for s in seeds(a.train)]
    names = tr[0][5]
    X, y = np.vstack([r[0] for r in tr]), np.concatenate([r[1] for r in tr])
    if a.model == "boosting":
        m = classify.GradientBoosting(a.rounds, 0.05, class_weight="balanced", seed=a.seed)
    else:
        m = classify.RandomForest(40, max_depth=10, min_samples_leaf=3, class_weight="balanced", seed=a.seed)
    m.fit(X, y, feature_names=names)
    parts = []
    for s in seeds(a.val):
        Xv, _, x, yy, truth, _ = rows(s, gates, a.val_roughness, a.cache)
        pr = pipeline.classify_rows(m, Xv, names)
        k = pipeline.merge_alarms(x, yy, 1 - pr[:, 3], pipeline.merge_radius(pr))
        parts.append((truth, {"gpr": {"x": x[k], "y": yy[k], "confidence": 1 - pr[k, 3]}}))
    truth, alarms = roc.stack(parts, parts[0][0]["area"]["y1"] - parts[0][0]["area"]["y0"])
    sc = sev.score(alarms["gpr"], truth, fa_rates=roc.RATES, operating_far=0.05)
    ap = next(g for g in sc.by_label if g.name == "ap_mine")
    print(f"{a.model} gates {a.gates} train {a.train} ({len(y)} alarms) val {a.val} roughness "
          f"{'0-1 cm' if a.val_roughness is None else f'{a.val_roughness * 100:g} cm'}: Pd "
          + " / ".join(f"{q.pd:.3f}" for q in sc.at_rates)
          + f", pAUC {sc.pauc:.3f}; AP mines at {sc.operating.far:.3f} FA/m^2 {ap.pd:.3f} ({sc.n_targets} targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Train the default GPR and magnetometer classifiers of sapper on simulated lanes.

Simulates lanes (sapper.sim.gpr: AP and AT mines, mortars, clutter, 8 channels, soils of
permittivity 4-12, 1-30 mS/m, roughness 0-1 cm rms, each recorded by another instrument: antenna
0.8-2.6 GHz at 4-10 cm, sample interval, window, time zero and trace spacing drawn by
:func:`acquisition`; ``--acquisition fixed``: the simulator's one) and the magnetometer survey over each
(sapper.sim.mag.scene_over_lane), runs sapper.pipeline up to the features, labels each alarm by
the truth object within its halo (0.25 m AP, 0.5 m AT/UXO; none: "clutter"), trains gradient-
boosted trees for the GPR (--gpr-model forest: a random forest) and a random forest for the
magnetometer, and writes python/sapper/classify/models/{gpr,mag,fusion}_default.json, plus
{gpr,mag}_calibration.json: logistic regressions on out-of-fold probabilities (lanes held out in
4 folds) that sapper.pipeline.run applies before fusion.

The magnetometer forest also learns from magnetometer-only surveys (mag_scene: 12 m x 12 m with AT
mines, mortars, shells, AP mines and 8-24 shrapnel fragments; Earth field, noise, soil, sensor
height and line direction drawn per seed): over a lane the 1-4 cm fragments are below the pick
floor, so only these teach it what a fragment's pick looks like.

Training seeds are 1000 + i (lanes 1000-1479, magnetometer scenes 1000-1199 by default);
bench/detect/roc.py scores on seeds 5000 + i (disjoint). --mag-only trains and writes only the
magnetometer model and its calibration (the GPR files and fusion_default.json are left as they are).

    PYTHONPATH=/tmp/site-main python tools/train_models.py [--lanes 480] [--mag-scenes 200] [--mag-only]
        [--out python/sapper/classify/models]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

import sapper
from sapper import classify, pipeline
from sapper.sim import gpr as simgpr
from sapper.sim import mag as simmag

TRAIN_SEED0 = 1000
EVAL_SEED0 = 5000


def acquisition(seed):
    """An instrument drawn from ``seed``: antenna centre frequency 800-2600 MHz (log-uniform), height
    4-10 cm, time zero 0.5-2 ns, window to 8.5-16 ns after it, sample interval 0.01-0.05 ns, trace
    spacing 1-4 cm. The chain resamples to its grid and sets its band from the frequency; the
    model has to learn the wavelet's width and the bounce's place."""
    r = np.random.default_rng([seed, 11])
    tz = float(r.uniform(0.5, 2.0))
    window = float(r.uniform(max(10.0, tz + 8.5), 16.0))
    return {"antenna": {"frequency_mhz": float(np.exp(r.uniform(np.log(800.0), np.log(2600.0)))),
                        "height_m": float(r.uniform(0.04, 0.10))},
            "recording": {"time_zero_ns": tz, "time_window_ns": window,
                          "n_samples": int(round(window / r.uniform(0.01, 0.05))),
                          "trace_spacing_m": float(r.uniform(0.01, 0.04))}}


def random_scene(seed, *, length_m=10.0, channels=8, roughness_m=None, varied=False):
    """A lane scene with soil, roughness and object mix drawn from ``seed`` (numpy Generator); with
    ``varied``, also the instrument (:func:`acquisition`; else the simulator's 1.5 GHz antenna 7 cm
    up, 512 samples over 12 ns, 2 cm traces)."""
    r = np.random.default_rng(seed)
    rough = r.uniform(0.0, 0.01) if roughness_m is None else roughness_m
    return {**(acquisition(seed) if varied else {}),
            "lane": {"length_m": length_m, "channels": channels, "channel_spacing_m": 0.1},
            "ground": {"permittivity": float(r.uniform(4, 12)), "conductivity_ms_m": float(r.uniform(1, 30)),
                       "roughness_rms_m": float(rough)},
            "snr_db": float(r.uniform(30, 45)),
            "random": {"ap_mines": int(r.integers(2, 5)), "at_mines": int(r.integers(0, 2)),
                       "uxo": int(r.integers(0, 2)), "clutter": int(r.integers(6, 12)), "min_spacing_m": 0.5,
                       "max_depth_ap_m": 0.10}}


def mag_scene(seed, *, size_m=12.0, heavy_fragments=False):
    """A magnetometer-only scene drawn from ``seed``: object mix, Earth field (either hemisphere,
    inclination 30-75 deg), sensor noise, soil, heading error, sensor height and line direction.

    The class models (moments, remanence, depths) are the simulator's (docs/sim_mag.md), except with
    ``heavy_fragments``: fragments of 1e-3 to 5e-2 A m^2 (elongated or strongly remanent pieces up to
    ~1 kg; the simulator's class stops at 1e-2), overlapping the small mortars."""
    r = np.random.default_rng([seed, 7])
    heavy = {"fragment": {"moment_min": 1e-3, "moment_max": 5e-2}} if heavy_fragments else {}
    inc = float(r.uniform(30.0, 75.0)) * (1.0 if r.random() < 0.75 else -1.0)
    return {"survey": {"x0": 0.0, "x1": size_m, "y0": 0.0, "y1": size_m,
                       "line_direction": "north" if r.random() < 0.5 else "east",
                       "sensor_height_m": float(r.uniform(0.2, 0.4))},
            "earth_field": {"total_nt": float(r.uniform(35000.0, 60000.0)), "inclination_deg": inc,
                            "declination_deg": float(r.uniform(-20.0, 20.0))},
            "random": {"at_mine": int(r.integers(0, 3)), "mortar": int(r.integers(1, 4)),
                       "shell": int(r.integers(0, 2)), "ap_mine": int(r.integers(0, 3)),
                       "fragment": int(r.integers(8, 25)), "min_spacing_m": 1.0},
            "nuisances": {"noise_nt": float(r.uniform(0.1, 0.4)), "soil_nt": float(r.uniform(0.5, 4.0)),
                          "soil_correlation_m": float(r.uniform(0.3, 1.0)),
                          "heading_nt": float(r.uniform(0.0, 2.0))},
            "classes": heavy}


def simulate_mag(seed, **kw):
    """A magnetometer-only survey (:func:`mag_scene` of ``seed``, simulated with ``seed``)."""
    return simmag.simulate(mag_scene(seed, **kw), seed=seed)


def simulate_pair(seed, **kw):
    """A lane (seed) and the magnetometer survey over its objects (same seed)."""
    lane = simgpr.simulate(random_scene(seed, **kw), seed=seed)
    survey = simmag.simulate(simmag.scene_over_lane(lane.truth), seed=seed)
    return lane, survey


def gpr_rows(lane):
    """Features, labels and target ids of the GPR alarms of a lane."""
    ps, X, names, _ = pipeline.gpr_candidates(lane)
    lab, ids = pipeline.label_alarms(ps.alarms["x"], ps.alarms["y"], lane.truth)
    return X, names, lab, ids, np.column_stack([ps.alarms["x"], ps.alarms["y"]])


def mag_rows(survey, lane_truth):
    """Features, labels and target ids of the magnetometer picks (labels from the lane's truth)."""
    ef, sv = survey.scene["earth_field"], survey.scene["survey"]
    field = (ef["total_nt"], ef["inclination_deg"], ef["declination_deg"])
    picks, fits = pipeline.detect_mag(pipeline.preprocess_mag(survey), field, sv["sensor_height_m"])
    X, names, _ = pipeline.mag_target_features(picks, fits)
    lab, ids = pipeline.label_alarms(picks["x"], picks["y"], lane_truth)
    return X, names, lab, ids, np.column_stack([picks["x"], picks["y"]])


def detection_rate(truth, hits, cap=0.95):
    """Fraction of the targets of each target class with an alarm, at most ``cap`` (so that one
    sensor's silence never vetoes the other's alarm), in pipeline.CLASSES order (clutter: NaN)."""
    out = []
    for c in pipeline.CLASSES:
        objs = [o["id"] in h for t, h in zip(truth, hits) for o in t["objects"] if o["label"] == c]
        out.append(float("nan") if c == "clutter" else min(cap, float(np.mean(objs))) if objs else 0.5)
    return out


def clutter_rate(own, other, halo=0.3):
    """Fraction of one sensor's clutter alarms (per lane: labels, xy) with an alarm of the other sensor
    within ``halo``: the other sensor's Pd for "clutter" as fusion sees it."""
    n = k = 0
    for (lab, xy), oxy in zip(own, other):
        c = xy[lab == "clutter"]
        n += len(c)
        if len(c) and len(oxy):
            k += int(np.sum(np.hypot(c[:, None, 0] - oxy[:, 0], c[:, None, 1] - oxy[:, 1]).min(axis=1) <= halo))
    return k / max(n, 1)


def forest(X, y, names, *, n_trees, max_depth, seed, min_samples_leaf=3, boosting=False):
    """A random forest, or with ``boosting`` gradient-boosted trees (``n_trees`` rounds; the GPR
    model's: 300 rounds of <= 31 leaves at learning rate 0.05, rows and features subsampled);
    balanced class weights either way."""
    if boosting:
        m = classify.GradientBoosting(n_trees, 0.05, max_leaves=31, min_samples_leaf=20, subsample=0.8, colsample=0.5,
                                      class_weight="balanced", seed=seed)
    else:
        m = classify.RandomForest(n_trees, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                                  class_weight="balanced", seed=seed)
    return m.fit(X, np.asarray(y, dtype=object), feature_names=names)


def out_of_fold(X, y, lane, names, *, folds=4, **kw):
    """Forest probabilities of each row from a forest trained without its lane (lanes split into
    ``folds`` by index), in pipeline.CLASSES order: what the classifier says on lanes it has not seen."""
    p = np.zeros((len(y), len(pipeline.CLASSES)))
    for f in range(folds):
        test = lane % folds == f
        if test.any() and len(set(y[~test])) >= 2:
            p[test] = pipeline.classify_rows(forest(X[~test], y[~test], names, **kw), X[test], names)
    return p


def calibrator(p, y):
    """Multinomial logistic regression on log out-of-fold probabilities (balanced, as the forests, so
    that the calibrated posterior keeps fuse's uniform training prior): pipeline.calibrate's model."""
    m = classify.LogisticRegression(l2=1.0, class_weight="balanced")
    return m.fit(np.log(np.maximum(p, pipeline._LOG_FLOOR)), np.asarray(y, dtype=object),
                 feature_names=pipeline.CALIBRATION_FEATURES)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lanes", type=int, default=480)
    p.add_argument("--mag-scenes", type=int, default=200, help="magnetometer-only scenes (seeds 1000 + i)")
    p.add_argument("--mag-only", action="store_true",
                   help="train and write only mag_default.json and mag_calibration.json")
    p.add_argument("--trees", type=int, default=40)
    p.add_argument("--depth", type=int, default=10, help="magnetometer forest depth")
    p.add_argument("--gpr-model", choices=("boosting", "forest"), default="boosting")
    p.add_argument("--acquisition", choices=("varied", "fixed", "mixed"), default="varied",
                   help="GPR lanes from many instruments (acquisition()) or the simulator's default one")
    p.add_argument("--gpr-rounds", type=int, default=300, help="GPR boosting rounds")
    p.add_argument("--gpr-depth", type=int, default=10, help="GPR forest depth (--gpr-model forest)")
    p.add_argument("--gpr-leaf", type=int, default=3, help="GPR forest: minimum samples per leaf")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "python", "sapper", "classify",
                                                  "models"))
    a = p.parse_args(argv)
    sapper.set_fft_planning("estimate")  # FFTW_MEASURE's timing-dependent plans change features' last bits
    t0 = time.perf_counter()
    G, gl, M, ml, truths, ghit, mhit, gpos, mpos, glane, mlane = [], [], [], [], [], [], [], [], [], [], []
    for i in range(a.lanes):
        lane, survey = simulate_pair(TRAIN_SEED0 + i, varied=a.acquisition == "varied" or
                                     (a.acquisition == "mixed" and i % 2 == 1))
        if not a.mag_only:
            X, gnames, lab, ids, xy = gpr_rows(lane)
            G.append(X), gl.extend(lab), gpos.append((lab, xy)), ghit.append(set(ids[ids >= 0]))
            glane.append(np.full(len(X), i))
        Xm, mnames, labm, idsm, xym = mag_rows(survey, lane.truth)
        M.append(Xm), ml.extend(labm), mpos.append((labm, xym))
        truths.append(lane.truth), mhit.append(set(idsm[idsm >= 0]))
        mlane.append(np.full(len(Xm), i))
    n_lane_picks = sum(len(x) for x in M)
    for j in range(a.mag_scenes):
        # every third scene with heavy fragments, so that the forest leans on remanence and fit, not on
        # the simulator's moment range alone
        survey = simulate_mag(TRAIN_SEED0 + j, heavy_fragments=j % 3 == 2)
        Xm, mnames, labm, _, _ = mag_rows(survey, survey.truth)
        M.append(Xm), ml.extend(labm), mlane.append(np.full(len(Xm), a.lanes + j))
    M, mlane, ml = np.vstack(M), np.concatenate(mlane), np.asarray(ml, dtype=object)
    print(f"{a.lanes} lanes, {a.mag_scenes} magnetometer scenes in {time.perf_counter() - t0:.0f} s: "
          f"{len(ml)} magnetometer picks {dict(zip(*np.unique(ml, return_counts=True)))} "
          f"({n_lane_picks} over the lanes)")
    kw = dict(n_trees=a.trees, max_depth=a.depth)
    os.makedirs(a.out, exist_ok=True)
    forest(M, ml, mnames, seed=2, **kw).save(os.path.join(a.out, "mag_default.json"))
    calibrator(out_of_fold(M, ml, mlane, mnames, seed=2, **kw), ml).save(os.path.join(a.out, "mag_calibration.json"))
    if a.mag_only:
        print(f"magnetometer model only; {time.perf_counter() - t0:.0f} s in all")
        return 0
    G, glane, gl = np.vstack(G), np.concatenate(glane), np.asarray(gl, dtype=object)
    print(f"{len(gl)} GPR alarms {dict(zip(*np.unique(gl, return_counts=True)))}")
    boost = a.gpr_model == "boosting"
    gkw = dict(n_trees=a.gpr_rounds if boost else a.trees, max_depth=a.gpr_depth, min_samples_leaf=a.gpr_leaf,
               boosting=boost)
    forest(G, gl, gnames, seed=1, **gkw).save(os.path.join(a.out, "gpr_default.json"))
    calibrator(out_of_fold(G, gl, glane, gnames, seed=1, **gkw), gl).save(os.path.join(a.out, "gpr_calibration.json"))
    k = pipeline.CLASSES.index("clutter")
    gpr_pd, mag_pd = detection_rate(truths, ghit), detection_rate(truths, mhit)
    gpr_pd[k] = clutter_rate(mpos, [xy for _, xy in gpos])
    mag_pd[k] = clutter_rate(gpos, [xy for _, xy in mpos])
    fusion = {"classes": list(pipeline.CLASSES), "halo": 0.3,
              "gpr_pd": [round(v, 3) for v in gpr_pd], "mag_pd": [round(v, 3) for v in mag_pd]}
    with open(os.path.join(a.out, "fusion_default.json"), "w", encoding="utf-8") as f:
        json.dump(fusion, f, indent=1)
    sizes = {n: os.path.getsize(os.path.join(a.out, n)) // 1024 for n in ("gpr_default.json", "mag_default.json")}
    print(f"fusion {fusion}; model files {sizes} KiB; {time.perf_counter() - t0:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The magnetometer shrapnel check: the magnetometer-only training/evaluation scenes of
tools/train_models.py, the scoring of bench/detect/roc.py (threshold at Pd 0.95 on UXO and metal AT
mines, fragment picks rejected) against direct computations, and the shipped magnetometer model on a
fragment beside a mortar."""
import pathlib
import sys

import numpy as np
import pytest
from scipy import stats

from sapper import pipeline
from sapper.sim import mag as simmag

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "bench" / "detect")]
roc = pytest.importorskip("roc")
tm = pytest.importorskip("train_models")


def test_mag_scene_is_seeded_and_in_range():
    a, b = tm.mag_scene(1000), tm.mag_scene(1000)
    assert a == b
    assert a != tm.mag_scene(5000)
    for seed in range(1000, 1040):
        s = tm.mag_scene(seed)
        ef, nu, rnd = s["earth_field"], s["nuisances"], s["random"]
        assert 30 <= abs(ef["inclination_deg"]) <= 75 and -20 <= ef["declination_deg"] <= 20
        assert 0.1 <= nu["noise_nt"] <= 0.4 and 0.5 <= nu["soil_nt"] <= 4
        assert 1 <= rnd["mortar"] <= 3 and 8 <= rnd["fragment"] <= 24
        assert s["classes"] == {}
    assert tm.mag_scene(1000, heavy_fragments=True)["classes"]["fragment"]["moment_max"] == 5e-2
    # the simulator replays it: same seed, same readings
    r1, r2 = tm.simulate_mag(1001), tm.simulate_mag(1001)
    np.testing.assert_array_equal(r1.readings["total_field_nt"], r2.readings["total_field_nt"])


def test_training_and_evaluation_seeds_are_disjoint():
    assert tm.TRAIN_SEED0 + 200 <= tm.EVAL_SEED0


def test_pick_kind_halos_and_metal_first():
    truth = {"objects": [{"type": "mortar", "x": 0.0, "y": 0.0}, {"type": "fragment", "x": 0.3, "y": 0.0},
                         {"type": "fragment", "x": 3.0, "y": 0.0}, {"type": "TM-62M", "x": 6.0, "y": 0.0},
                         {"type": "PMN", "x": 9.0, "y": 0.0}]}
    x = np.array([0.3, 0.45, 3.2, 3.3, 6.4, 6.6, 9.0])
    kind, target, n = roc.pick_kind(x, np.zeros_like(x), truth)
    # 0.3 and 0.45 m from the mortar: its picks even on the fragment; 0.2 m from a fragment: fragment;
    # 0.3 m: nothing; the TM-62M's halo is 0.5 m; an AP mine is neither
    assert list(kind) == ["metal", "metal", "fragment", "", "metal", "", ""]
    assert list(target) == [0, 0, -1, -1, 1, -1, -1] and n == 2


def _brute_threshold(best, pd):
    """The largest t among the values with mean(best >= t) >= pd (a direct loop)."""
    ok = [t for t in best if np.isfinite(t) and np.mean(best >= t) >= pd - 1e-12]
    return max(ok) if ok else None


def test_shrapnel_threshold_against_a_direct_search():
    r = np.random.default_rng(3)
    for n in (1, 5, 19, 20, 21, 100):
        best = r.uniform(0, 1, n)
        for pd in (0.5, 0.9, 0.95):
            assert roc.shrapnel_threshold(best, pd) == _brute_threshold(best, pd)
    best = np.r_[r.uniform(0, 1, 18), -np.inf, -np.inf]          # picking found 18 of 20: Pd 0.9
    assert roc.shrapnel_threshold(best, 0.95) is None
    assert roc.shrapnel_threshold(best, 0.9) == best[:18].min()


def test_shrapnel_rejection_counts_and_intervals():
    truth = {"objects": [{"type": "shell", "x": 0.0, "y": 0.0}, {"type": "at_mine", "x": 5.0, "y": 0.0},
                         {"type": "fragment", "x": 2.0, "y": 0.0}, {"type": "fragment", "x": 3.0, "y": 0.0}]}
    x = np.array([0.1, 5.0, 2.0, 3.1, 8.0])
    rows = [roc.shrapnel_rows(np.array([0.9, 0.7, 0.2, 0.8, 0.99]), x, np.zeros(5), truth),
            roc.shrapnel_rows(np.array([0.6, 0.95, 0.65, 0.1, 0.99]), x, np.zeros(5), truth)]
    np.testing.assert_array_equal(rows[0]["best"], [0.9, 0.7])
    np.testing.assert_array_equal(rows[1]["fragment"], [0.65, 0.1])
    r = roc.shrapnel_rejection(rows, 0.75, n_boot=200)
    # metal bests 0.9, 0.7, 0.6, 0.95: 3 of 4 (0.75) keep >= 0.7; fragments 0.2, 0.8, 0.65, 0.1: 3 below
    assert r["threshold"] == 0.7 and (r["rejected"], r["n_fragment"]) == (3, 4) and r["rate"] == 0.75
    assert (r["n_metal"], r["n_metal_picked"]) == (4, 4)
    lo, hi = r["ci"]
    assert lo == pytest.approx(stats.beta.ppf(0.025, 3, 2), abs=1e-6)
    assert hi == pytest.approx(stats.beta.ppf(0.975, 4, 1), abs=1e-6)
    assert 0 <= r["boot"][0] <= r["rate"] <= r["boot"][1] <= 1
    # a metal target without a pick: Pd 0.75 of all is 3 of 4 targets still, but 0.95 is unreachable
    rows[1]["best"][0] = -np.inf
    assert roc.shrapnel_rejection(rows, 0.95, picked_only=False, n_boot=0)["threshold"] is None
    assert roc.shrapnel_rejection(rows, 0.95, n_boot=0)["threshold"] == 0.7
    assert "unreachable" in roc.shrapnel_report("x", rows)


def test_shipped_mag_model_rejects_a_remanent_fragment_beside_a_mortar():
    field = simmag.KARABAKH
    f_hat = np.array([np.cos(np.radians(field[1])) * np.sin(np.radians(field[2])),
                      np.cos(np.radians(field[1])) * np.cos(np.radians(field[2])), -np.sin(np.radians(field[1]))])
    up = np.array([0.0, 0.6, 0.8])       # a remanent moment 111 deg away from the field
    scene = {"survey": {"x1": 8.0, "y1": 8.0},
             "objects": [{"type": "mortar", "x": 2.5, "y": 4.0, "depth": 0.25, "moment": list(0.08 * f_hat)},
                         {"type": "fragment", "x": 5.5, "y": 4.0, "depth": 0.02, "moment": list(5e-3 * up)}],
             "nuisances": {"soil_nt": 0.5}}
    s = simmag.simulate(scene, seed=5)
    m = pipeline.mag_targets(s)
    mortar, frag = (np.hypot(m["x"] - o["x"], m["y"] - o["y"]) for o in s.truth["objects"])
    assert (mortar <= 0.5).any() and (frag <= 0.25).any()
    c_mortar, c_frag = m["confidence"][mortar <= 0.5].max(), m["confidence"][frag <= 0.25].max()
    # the model trained on the lanes alone gave this fragment 0.26
    assert c_mortar > 0.8 and c_frag < 0.2


def test_mag_target_features_caps_the_relative_rms_of_an_empty_fit():
    base = dict(x=0.0, y=0.0, z=-0.2, depth=0.2, moment=(0.0, 0.0, 0.0), moment_am2=1e-12, inclination_deg=0.0,
                declination_deg=0.0, remanence_deg=0.0, base_nt=0.0, rms_nt=0.8, scale_nt=0.7, coherence=0.1,
                amplitude_nt=1e-17, width_m=0.4, iterations=3, converged=False, points_used=50)
    fits = [base, {**base, "amplitude_nt": 20.0}, None]
    picks = {"amplitude": np.array([3.0, 30.0, 5.0]), "width": np.array([0.5, 0.6, 0.7])}
    X, names, ok = pipeline.mag_target_features(picks, fits)
    r = names.index("mag_relative_rms")
    np.testing.assert_array_equal(X[:, r], [pipeline.MAG_RELATIVE_RMS_CAP, 0.8 / 20.0, 0.0])
    np.testing.assert_array_equal(ok, [True, True, False])
    np.testing.assert_allclose(X[:, names.index("pick_log_amplitude")], np.log10([3.0, 30.0, 5.0]))

"""sapper.eval against hand-computed scores, scipy's Beta quantiles and numpy formulas."""
import json
import math

import numpy as np
import pytest
import scipy.stats

from sapper import eval as ev


def obj(id, label, x, y, depth=0.1, size=0.1, type="t"):
    return {"id": id, "label": label, "type": type, "x": x, "y": y, "depth": depth, "size": size,
            "material": "plastic", "moment": [0, 0, 0]}


def lane(*objects):
    return {"area": {"x0": 0, "x1": 10, "y0": 0, "y1": 2}, "objects": list(objects)}  # 20 m^2


def alarms(*rows):
    """rows of (x, y, confidence[, label])."""
    out = {"x": np.array([r[0] for r in rows], float), "y": np.array([r[1] for r in rows], float),
           "confidence": np.array([r[2] for r in rows], float)}
    if rows and len(rows[0]) > 3:
        out["label"] = [r[3] for r in rows]
    return out


def test_two_alarms_on_one_target():
    t = lane(obj(7, "ap_mine", 1, 1))
    a = alarms((1.1, 1, 0.9), (1, 1.05, 0.8))
    s = ev.score(a, t)
    assert s.roc.n_detected[-1] == 1 and s.roc.n_false[-1] == 1
    assert s.roc.far[-1] == pytest.approx(1 / 20)
    assert s.alarm_target.tolist() == [0, -1] and s.alarm_target_id.tolist() == [7, -1]
    assert s.alarm_duplicate_of.tolist() == [-1, 0]
    assert s.target_alarm.tolist() == [0] and s.target_confidence[0] == 0.9
    q = ev.score(a, t, duplicates_are_false_alarms=False)
    assert q.roc.n_detected[-1] == 1 and q.roc.n_false[-1] == 0


def test_alarm_between_two_targets():
    t = lane(obj(1, "at_mine", 4, 1), obj(2, "at_mine", 4.75, 1))
    s = ev.score(alarms((4.3125, 1, 0.9), (4.25, 1, 0.5)), t)
    assert s.alarm_target.tolist() == [0, 1]
    np.testing.assert_allclose(s.alarm_distance, [0.3125, 0.5])
    assert s.roc.n_false.tolist() == [0, 0, 0]
    assert s.roc.pd.tolist() == [0, 0.5, 1]


def test_outside_area_is_ignored():
    t = lane(obj(1, "ap_mine", 0.1, 1))
    s = ev.score(alarms((-0.05, 1, 0.9), (11, 1, 0.8), (5, 1, 0.1)), t)
    assert (s.n_alarms, s.n_scored, s.n_outside) == (3, 1, 2)
    assert s.alarm_outside.tolist() == [True, True, False]
    assert s.roc.n_detected[-1] == 0 and s.roc.n_false[-1] == 1


def test_alarm_on_clutter():
    t = lane(obj(1, "ap_mine", 1, 1), obj(2, "clutter", 9, 1, type="rock"))
    s = ev.score(alarms((9.1, 1, 0.9, "ap_mine"), (6, 1, 0.8, "ap_mine"), (1, 1, 0.7, "")), t, threshold=0.5)
    assert s.n_targets == 1
    assert s.alarm_clutter.tolist() == [1, -1, -1]
    assert s.n_false_on_clutter == 1 and s.operating.n_false == 2 and s.operating.n_detected == 1
    assert s.target_alarm[1] == -1
    want = np.zeros((5, 5), int)
    want[4, 0] = want[3, 0] = want[0, 4] = 1
    np.testing.assert_array_equal(s.confusion, want)


def test_halo_sizes():
    t = lane(obj(1, "ap_mine", 1, 1), obj(2, "at_mine", 4, 1), obj(3, "uxo", 7, 1, size=1.0))
    a = alarms((1.3, 1, 0.9), (4.3, 1, 0.8), (7.65, 1, 0.7))
    s = ev.score(a, t)
    assert s.alarm_target.tolist() == [-1, 1, 2]
    np.testing.assert_allclose(s.target_halo, [0.25, 0.5, 0.7])
    assert ev.score(a, t, halo=0.31).alarm_target.tolist() == [0, 1, -1]
    assert ev.score(a, t, halo={"ap_m": 0.35}, halo_by_id={2: 0.2}).alarm_target.tolist() == [0, -1, 2]


def roc_scene():
    truth = {"area": {"x0": 0, "x1": 10, "y0": 0, "y1": 10},
             "objects": [obj(1, "ap_mine", 1, 1, 0.02, type="PMN"), obj(2, "ap_mine", 3, 3, 0.07, type="PMN"),
                         obj(3, "ap_mine", 5, 5, 0.12, type="PMA-1"), obj(4, "ap_mine", 7, 7, 0.35, type="M14")]}
    a = alarms((9, 1, 0.4), (1, 1, 0.9), (9, 2, 0.8), (3, 3, 0.7), (9, 3, 0.6), (5, 5, 0.5), (9, 4, 0.4))
    return truth, a


def test_roc_rates_and_pauc():
    truth, a = roc_scene()
    s = ev.score(a, truth, fa_rates=(0.001, 0.01, 0.02, 0.1), max_far=0.05)
    np.testing.assert_array_equal(s.roc.threshold, [np.inf, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    np.testing.assert_allclose(s.roc.pd, [0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75])
    np.testing.assert_allclose(s.roc.far, [0, 0, 0.01, 0.01, 0.02, 0.02, 0.04])
    assert np.all(np.diff(s.roc.pd) >= 0) and np.all(np.diff(s.roc.far) >= 0) and np.all(np.diff(s.roc.threshold) < 0)
    assert [p.threshold for p in s.at_rates] == [0.9, 0.7, 0.5, 0.5]
    assert [p.pd for p in s.at_rates] == [0.25, 0.5, 0.75, 0.75]
    # independent: the highest Pd with FAR <= rate, straight from the ROC arrays
    for p in s.at_rates:
        assert p.pd == s.roc.pd[s.roc.far <= p.rate].max()
    assert s.pauc == pytest.approx((0.25 * 0.01 + 0.5 * 0.01 + 0.75 * 0.03) / 0.05)
    assert ev.score(a, truth).pauc == pytest.approx((0.25 * 0.01 + 0.5 * 0.01 + 0.75 * 0.08) / 0.1)
    # operating threshold: Pd at 0.01 FA/m^2 -> 0.7; breakdowns there
    assert s.operating.threshold == 0.7 and s.operating.n_detected == 2
    assert [(g.name, g.n_targets, g.n_detected) for g in s.by_type] == [("M14", 1, 0), ("PMA-1", 1, 0), ("PMN", 2, 2)]
    assert [(g.n_targets, g.n_detected) for g in s.by_depth] == [(1, 1), (1, 1), (1, 0), (0, 0), (0, 0), (1, 0)]
    lo, hi = scipy.stats.beta.ppf([0.025, 0.975], [2, 3], [3, 2])
    assert s.by_label[0].pd_lo == pytest.approx(lo, rel=1e-9) and s.by_label[0].pd_hi == pytest.approx(hi, rel=1e-9)
    # a caller's threshold
    t = ev.score(a, truth, threshold=0.55)
    assert (t.operating.n_detected, t.operating.n_false) == (2, 2)
    assert math.isnan(t.operating.rate)
    text = str(s)
    assert "pAUC" in text and "PMN 2/2" in text and "0.01" in text


def test_alarm_forms_and_truth_forms(tmp_path):
    truth, a = roc_scene()
    ref = ev.score(a, truth)
    rows = [{"x": x, "y": y, "confidence": c} for x, y, c in zip(a["x"], a["y"], a["confidence"])]
    struct = np.zeros(len(rows), dtype=[("x", float), ("y", float), ("confidence", float)])
    for k in ("x", "y", "confidence"):
        struct[k] = a[k]
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(truth))
    for alarms_in, truth_in in ((rows, json.dumps(truth)), (struct, path), (a, str(path))):
        s = ev.score(alarms_in, truth_in)
        np.testing.assert_array_equal(s.roc.n_detected, ref.roc.n_detected)
        np.testing.assert_array_equal(s.alarm_target, ref.alarm_target)
    assert ev.score([], truth).roc.threshold.tolist() == [np.inf]


def test_confusion_matrix():
    t = lane(obj(1, "ap_mine", 1, 1), obj(2, "at_mine", 4, 1), obj(3, "uxo", 7, 1), obj(4, "clutter", 9, 1))
    a = alarms((1, 1, 0.9, "ap_mine"), (4, 1, 0.9, "ap_mine"), (7, 1, 0.9, "uxo"), (9, 1, 0.9, "clutter"),
               (5.5, 1, 0.9, None), (1.1, 1, 0.9, "ap_mine"), (5.5, 1.5, 0.1, "at_mine"))
    s = ev.score(a, t, threshold=0.5)
    want = np.zeros((5, 5), int)
    want[0, 0] = want[1, 0] = want[2, 2] = want[4, 3] = want[3, 4] = want[3, 0] = 1
    np.testing.assert_array_equal(s.confusion, want)
    assert "confusion" in s.table()
    assert ev.score(alarms((1, 1, 1)), t).confusion is None


@pytest.mark.parametrize("k,n", [(0, 1), (0, 10), (10, 10), (1, 1), (3, 7), (50, 100), (1, 1000), (999, 1000),
                                 (0, 5000), (4321, 5000)])
@pytest.mark.parametrize("level", [0.95, 0.8, 0.99])
def test_clopper_pearson_against_scipy(k, n, level):
    a = 1 - level
    lo = 0.0 if k == 0 else scipy.stats.beta.ppf(a / 2, k, n - k + 1)
    hi = 1.0 if k == n else scipy.stats.beta.ppf(1 - a / 2, k + 1, n - k)
    got = ev.clopper_pearson(k, n, level)
    assert got[0] == pytest.approx(lo, rel=1e-9, abs=1e-15)
    assert got[1] == pytest.approx(hi, rel=1e-9, abs=1e-15)


def test_clopper_pearson_arrays_and_errors():
    lo, hi = ev.clopper_pearson([0, 2, 4], 4)
    np.testing.assert_allclose(hi[:2], scipy.stats.beta.ppf(0.975, [1, 3], [4, 2]), rtol=1e-9)
    assert lo[0] == 0 and hi[2] == 1
    with pytest.raises(ValueError, match="0 <= k <= n"):
        ev.clopper_pearson(5, 4)
    with pytest.raises(ValueError, match="integers"):
        ev.clopper_pearson(1.5, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scr_matches_numpy(dtype):
    rng = np.random.default_rng(3)
    y = rng.standard_normal((200, 30)).astype(dtype)
    m = np.zeros(y.shape, bool)
    m[120:140, 10:15] = True
    y[m] *= 5

    def ref(d, lo=0, hi=None):
        d, k = d[lo:hi].astype(np.float64), m[lo:hi]
        return 10 * np.log10(np.mean(d[k] ** 2) / np.mean(d[~k] ** 2))

    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert ev.scr(y, m) == pytest.approx(ref(y), abs=tol)
    assert ev.scr(y, m, window=(50, None)) == pytest.approx(ref(y, 50), abs=tol)
    assert ev.scr(y, m, window=(100, 150)) == pytest.approx(ref(y, 100, 150), abs=tol)
    z = y.copy()
    z[~m] *= 0.5  # clutter halved -> +6.02 dB
    assert ev.scr_gain_db(y, z, m) == pytest.approx(20 * np.log10(2), abs=tol)
    assert ev.scr_gain_db(y, z.astype(np.float64), m, window=(50, None)) == pytest.approx(ref(z, 50) - ref(y, 50), abs=tol)


def test_target_mask_on_crafted_arrays():
    twin = np.full((4, 3), 2.0)
    scene = twin.copy()
    scene[1, 1] += 1.0    # peak
    scene[2, 1] -= 0.2    # -14 dB
    scene[3, 2] += 0.05   # -26 dB
    m = ev.target_mask(scene, twin)
    assert m.dtype == np.bool_ and m.shape == (4, 3)
    np.testing.assert_array_equal(np.argwhere(m), [[1, 1], [2, 1]])
    d = np.abs(scene - twin)
    np.testing.assert_array_equal(ev.target_mask(scene, twin, -30), d >= 10 ** (-30 / 20) * d.max())
    assert ev.target_mask(scene.astype(np.float32), twin.astype(np.float32), 0).sum() == 1


def test_errors_name_the_value():
    t = lane(obj(1, "ap_mine", 1, 1))
    with pytest.raises(ValueError, match="alarm 1 has x = nan"):
        ev.score(alarms((1, 1, 1), (np.nan, 1, 1)), t)
    with pytest.raises(ValueError, match="alarm 0 has confidence = inf"):
        ev.score(alarms((1, 1, np.inf)), t)
    with pytest.raises(ValueError, match='"mine"'):
        ev.score(alarms((1, 1, 1, "mine")), t)
    with pytest.raises(ValueError, match="ap_m = -0.1"):
        ev.score(alarms((1, 1, 1)), t, halo={"ap_m": -0.1})
    with pytest.raises(ValueError, match="unknown keys"):
        ev.score(alarms((1, 1, 1)), t, halo={"ap": 0.1})
    with pytest.raises(ValueError, match="depth_bins must increase"):
        ev.score(alarms((1, 1, 1)), t, depth_bins=(0, 0.2, 0.1))
    with pytest.raises(ValueError, match="x1 > x0"):
        ev.score(alarms((1, 1, 1)), {"area": {"x0": 0, "x1": 0, "y0": 0, "y1": 1}, "objects": []})
    with pytest.raises(ValueError, match="lack confidence"):
        ev.score({"x": [1], "y": [1]}, t)
    with pytest.raises(ValueError, match="different lengths"):
        ev.score({"x": [1, 2], "y": [1], "confidence": [1]}, t)
    y = np.ones((5, 4))
    m = np.zeros((5, 4), bool)
    m[2, 2] = True
    y[3, 1] = np.nan
    with pytest.raises(ValueError, match="sample 3, trace 1"):
        ev.scr(y, m)
    with pytest.raises(ValueError, match="no target"):
        ev.scr(np.ones((5, 4)), m, window=(3, None))
    with pytest.raises(ValueError, match="no clutter"):
        ev.scr(np.ones((5, 4)), np.ones((5, 4), bool))
    with pytest.raises(ValueError, match="shape"):
        ev.scr(np.ones((5, 3)), m)
    with pytest.raises(TypeError, match="bool"):
        ev.scr(np.ones((5, 4)), m.astype(int))
    with pytest.raises(ValueError, match="identical"):
        ev.target_mask(np.ones((3, 3)), np.ones((3, 3)))

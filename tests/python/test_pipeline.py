"""sapper.pipeline: the whole chain on small simulated lanes (targets found where the truth puts them),
each sensor alone, the shipped models, bad input; and the main job."""
import os

import numpy as np
import pytest

import sapper
from sapper import classify, pipeline
from sapper.sim import gpr as simgpr
from sapper.sim import mag as simmag

SCENE = {"lane": {"length_m": 6, "channels": 4, "channel_spacing_m": 0.1},
         "ground": {"roughness_rms_m": 0.005, "permittivity": 6},
         "objects": [{"type": "TM-62M", "x": 1.5, "y": 0.0, "depth": 0.05},
                     {"type": "mortar", "x": 4.5, "y": 0.05, "depth": 0.08, "angle_deg": 0},
                     {"type": "rock", "x": 3.0, "y": -0.1, "depth": 0.1, "size_m": 0.05}]}


@pytest.fixture(scope="module")
def lane():
    return simgpr.simulate(SCENE, seed=11)


@pytest.fixture(scope="module")
def survey(lane):
    scene = simmag.scene_over_lane(lane.truth)
    scene["objects"][1]["moment"] = 0.05   # a 60 mm mortar (the class draws 0.01-0.5 A m^2)
    return simmag.simulate(scene, seed=11)


def near(alarms, obj, halo=0.5):
    """Alarms within ``halo`` of a truth object (distance computed here)."""
    return np.hypot(alarms["x"] - obj["x"], alarms["y"] - obj["y"]) <= halo


def test_default_models_ship():
    for sensor in ("gpr", "mag"):
        m = classify.default_model(sensor)
        # the magnetometer's training picks hold no AP mine (minimum metal): its model may lack that class
        need = pipeline.CLASSES if sensor == "gpr" else ("at_mine", "uxo", "clutter")
        assert set(need) <= set(map(str, m.classes_)) <= set(pipeline.CLASSES)
        # small enough to ship in the wheel (the GPR boosting model: 1,200 trees of <= 31 leaves, ~2 MB)
        assert os.path.getsize(os.path.join(classify.MODEL_DIR, f"{sensor}_default.json")) < 3_000_000
    f = classify.default_fusion()
    assert list(f["classes"]) == list(pipeline.CLASSES) and len(f["gpr_pd"]) == len(f["mag_pd"]) == 4
    with pytest.raises(ValueError, match="sensor"):
        classify.default_model("emi")


def test_gpr_alone_finds_at_mine_and_uxo(lane):
    g = pipeline.gpr_alarms(lane)
    assert g["proba"].shape == (len(g["x"]), 4)
    np.testing.assert_allclose(g["proba"].sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(g["confidence"], 1.0 - g["proba"][:, pipeline.CLASSES.index("clutter")])
    at, uxo = lane.truth["objects"][0], lane.truth["objects"][1]
    for obj in (at, uxo):
        hit = near(g, obj)
        assert hit.any(), obj
        assert g["confidence"][hit].max() > 0.5, obj
        assert g["label"][hit][np.argmax(g["confidence"][hit])] != "clutter"
    # depth of the AT mine's hyperbola: within 10 cm of the truth
    k = np.argmax(np.where(near(g, at), g["confidence"], -1))
    assert np.isnan(g["depth"][k]) or abs(g["depth"][k] - at["depth"]) < 0.1


def test_mag_alone_finds_metal(lane, survey):
    m = pipeline.mag_targets(survey)
    for obj in lane.truth["objects"][:2]:
        hit = near(m, obj)
        assert hit.any(), obj
        assert m["confidence"][hit].max() > 0.5
    assert not near(m, lane.truth["objects"][2], 0.25).any()   # a rock is not magnetic


def test_run_each_sensor_and_fused(lane, survey):
    both = pipeline.run(lane, survey)
    gpr_only = pipeline.run(lane)
    mag_only = pipeline.run(survey=survey, truth=lane.truth)
    for r in (both, gpr_only, mag_only):
        assert r.score.n_targets == 2
        assert r.score.at_rates[-1].pd == 1.0             # both targets by 0.1 FA/m^2
    assert gpr_only.mag is None and mag_only.gpr is None
    assert (gpr_only.alarms["mag"] == -1).all() and (mag_only.alarms["gpr"] == -1).all()
    # the magnetometer confirms the metal targets: a pair for each
    for obj in lane.truth["objects"][:2]:
        hit = near(both.alarms, obj)
        assert ((both.alarms["gpr"][hit] >= 0) & (both.alarms["mag"][hit] >= 0)).any()


def test_label_alarms_halo_rule():
    truth = {"objects": [{"id": 0, "label": "ap_mine", "x": 0.0, "y": 0.0},
                         {"id": 1, "label": "at_mine", "x": 1.0, "y": 0.0},
                         {"id": 2, "label": "clutter", "x": 2.0, "y": 0.0}]}
    x = np.array([0.2, 0.3, 0.6, 1.45, 2.0])
    lab, ids = pipeline.label_alarms(x, np.zeros(5), truth)
    # 0.2 from the AP mine (halo 0.25); 0.3: outside it, 0.7 from the AT mine (halo 0.5); 0.6: AT mine
    assert list(lab) == ["ap_mine", "clutter", "at_mine", "at_mine", "clutter"]
    assert list(ids) == [0, -1, 1, 1, -1]


def test_classify_rows_takes_the_models_columns():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = np.array(pipeline.CLASSES, dtype=object)[rng.integers(0, 4, 200)]
    m = classify.LogisticRegression().fit(X[:, [2, 0]], y, feature_names=["c", "a"])
    p = pipeline.classify_rows(m, X, ["a", "b", "c"])
    direct = m.predict_proba(X[:, [2, 0]])
    cols = [list(map(str, m.classes_)).index(c) for c in pipeline.CLASSES]
    np.testing.assert_array_equal(p, direct[:, cols])
    with pytest.raises(ValueError, match="needs features"):
        pipeline.classify_rows(m, X[:, :2], ["a", "b"])


def test_bad_input(lane, survey):
    with pytest.raises(ValueError, match="lane"):
        pipeline.run()
    with pytest.raises(TypeError, match="lane"):
        pipeline.gpr_alarms(np.zeros((64, 64)))
    with pytest.raises(TypeError, match="Survey"):
        pipeline.mag_targets(lane)
    bad = simgpr.GprLane(**{**lane.__dict__, "data": lane.data.copy()})
    bad.data[10, 10, 0] = np.nan
    with pytest.raises(ValueError, match="finite|NaN"):
        pipeline.gpr_alarms(bad)
    short = simgpr.GprLane(**{**lane.__dict__, "x": lane.x[:-1]})
    with pytest.raises(ValueError, match="lane.x"):
        pipeline.gpr_alarms(short)
    wrong = classify.LogisticRegression().fit(np.arange(8.0).reshape(4, 2), ["a", "b", "a", "b"],
                                             feature_names=["energy", "peak"])
    with pytest.raises(ValueError, match="classes"):
        pipeline.gpr_alarms(lane, wrong)
    with pytest.raises(TypeError, match="model"):
        pipeline.gpr_alarms(lane, 3)
    with pytest.raises(ValueError, match="statistic"):
        pipeline.gpr_alarms(lane, statistic="median")


def test_main_job_runs(tmp_path, capsys):
    from sapper.__main__ import main
    png = tmp_path / "demo.png"
    assert main(["--seed", "2", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Pd" in out and "FA/m^2" in out and "fused" in out


def _fake_prescreen(rows):
    from sapper.detect import prescreen as dps
    a = np.zeros(len(rows), dps.ALARM_DTYPE)
    for k, (t, c, s, x, y, conf) in enumerate(rows):
        a[k] = (t, c, s, 0.0, x, y, conf)
    return dps.Prescreen(a, None, None, None)


def test_context_features_against_direct_computation():
    # three channels, 40 traces; a positive spike then a negative one 20 samples later at trace 20,
    # channel 1 (neighbour channel 0 at half the amplitude, channel 2 flat)
    data = np.zeros((128, 40, 3))
    data[50, 18:23, 1], data[70, 18:23, 1] = 2.0, -1.0
    data[50, 18:23, 0] = 1.0
    data[:30], data[90:] = 0.01, 0.01          # a floor outside the echoes: the median |sample| is 0.01
    ps = _fake_prescreen([(20, 1, 52, 0.40, 0.0, 3.0), (20, 0, 49, 0.40, -0.1, 1.0), (5, 2, 60, 0.10, 0.1, 2.0)])
    X, names = pipeline.context_features(data, ps, half=16, step=4, search=8)
    assert X.shape == (3, len(names)) and len(set(names)) == len(names)
    f = dict(zip(names, X[0]))
    w = data[:, 19:22, 1].mean(axis=1)         # mean of traces 19..21: peak 2 at sample 50
    seg = w[50 - 16:50 + 32] / 2.0
    np.testing.assert_allclose(X[0, :12], seg.reshape(12, 4).mean(axis=1))
    assert f["wf_sign"] == 1.0
    np.testing.assert_allclose(f["wf_amp_db"], 20 * np.log10(2.0 / np.median(np.abs(data[:, :, 1]))))
    np.testing.assert_allclose([f["nb_max"], f["nb_min"]], [0.5, 0.0])   # channel 0 half as strong, channel 2 flat
    np.testing.assert_allclose(f["nb_corr"], seg @ (data[34:82, 19:22, 0].mean(axis=1))
                               / np.linalg.norm(seg) / np.linalg.norm(data[34:82, 19:22, 0].mean(axis=1)))
    # 3 traces along: the mean of traces 16..18 / 22..24 holds 1 / 3 of the spike on each side; 6: none
    np.testing.assert_allclose([f["along_3"], f["along_6"]], [1 / 3, 0.0])
    np.testing.assert_allclose(X[:, names.index("lane_score_pct")], [5 / 6, 1 / 6, 3 / 6])
    np.testing.assert_allclose(X[:, names.index("local_n")], [1, 1, 0])   # the first two are 0.1 m apart
    np.testing.assert_allclose(X[:, names.index("local_rel")], [1.0, 1 / 3, 1.0])


def test_classify_rows_fills_a_class_the_model_lacks():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((90, 2))
    y = np.array(["at_mine", "uxo", "clutter"], dtype=object)[rng.integers(0, 3, 90)]
    m = classify.LogisticRegression().fit(X, y, feature_names=["a", "b"])
    p = pipeline.classify_rows(m, X, ["a", "b"])
    assert (p[:, pipeline.CLASSES.index("ap_mine")] == 0).all()
    direct = m.predict_proba(X)
    for j, c in enumerate(map(str, m.classes_)):
        np.testing.assert_array_equal(p[:, pipeline.CLASSES.index(c)], direct[:, j])


def test_calibrate_is_a_logistic_regression_on_log_probabilities():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(4), 300)
    y = np.array(pipeline.CLASSES, dtype=object)[p.argmax(axis=1)]
    cal = classify.LogisticRegression().fit(np.log(np.maximum(p, 1e-3)), y,
                                            feature_names=pipeline.CALIBRATION_FEATURES)
    got = pipeline.calibrate(p, cal)
    direct = cal.predict_proba(np.log(np.maximum(p, 1e-3)))
    cols = [list(map(str, cal.classes_)).index(c) for c in pipeline.CLASSES]
    np.testing.assert_allclose(got, direct[:, cols])
    np.testing.assert_array_equal(pipeline.calibrate(p, None), p)
    for sensor in ("gpr", "mag"):                    # the shipped calibrations load and take 4 columns
        c = pipeline.default_calibration(sensor)
        assert c is not None and list(c.feature_names_) == pipeline.CALIBRATION_FEATURES
    with pytest.raises(ValueError, match="sensor"):
        pipeline.default_calibration("emi")

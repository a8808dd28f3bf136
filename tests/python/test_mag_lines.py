"""sapper.mag line preprocessing against numpy references and the simulator's noise-free parts."""
import pathlib

import numpy as np
import pytest

from sapper import io as sio
from sapper import mag
from sapper.sim import mag as simmag

STN = pathlib.Path(__file__).parent / "../../../shared/data/mag/geometrics-g858/data_1.stn"


def quiet(**nuisances):
    scene = simmag.default_scene()
    n = {"diurnal_nt": 0, "heading_nt": [0.0], "lag_s": 0, "noise_nt": 0, "gps_jitter_m": 0, "soil_nt": 0,
         "gradient_nt_m": [0, 0]}
    n.update(nuisances)
    scene["nuisances"].update(n)
    return scene


def test_readings_from_survey_and_geometry():
    s = simmag.simulate(seed=1, threads=1)
    r = mag.readings_from_survey(s)
    np.testing.assert_array_equal(r["value_nt"], s.readings["total_field_nt"])
    np.testing.assert_array_equal(r["sensor"], s.readings["sensor"])
    g = mag.line_geometry(r)
    np.testing.assert_array_equal(g["reading_direction"], s.readings["direction"])


def test_interpolate_series_matches_numpy_interp():
    rng = np.random.default_rng(1)
    st = np.cumsum(rng.uniform(0.5, 1.5, 200))
    sv = rng.normal(size=200)
    t = rng.uniform(st[0], st[-1], 1000)
    v, gap = mag.interpolate_series(st, sv, t, max_gap_s=10.0)
    assert not gap.any()
    np.testing.assert_allclose(v, np.interp(t, st, sv), atol=1e-12)
    v, gap = mag.interpolate_series(st, sv, t + 3.0, offset_s=3.0, max_gap_s=10.0)
    np.testing.assert_allclose(v, np.interp(t, st, sv), atol=1e-12)
    with pytest.raises(ValueError, match="max_gap_s"):
        mag.interpolate_series(st, sv, t, max_gap_s=-1)


def test_diurnal_base_removes_drift_to_base_noise():
    scene = simmag.default_scene()
    scene["nuisances"].update({"diurnal_nt": 30, "diurnal_time_scale_s": 600})
    s = simmag.simulate(scene, seed=3)
    r = mag.readings_from_survey(s)
    out, info = mag.diurnal_base(r, s.base_station)
    left = out["value_nt"] - (s.readings["total_field_nt"] - s.readings["diurnal_nt"])
    assert np.std(s.readings["diurnal_nt"]) > 5
    assert np.std(left) < 1.2 * scene["nuisances"]["base_noise_nt"]
    assert info["reference_nt"] == pytest.approx(np.median(s.base_station["field_nt"]))


def test_despike_matches_numpy_hampel_and_spares_objects():
    rng = np.random.default_rng(2)
    v = rng.normal(size=300)
    v[::29] += 40
    v0 = v.copy()
    r = {"time_s": np.arange(300.0), "x_m": np.zeros(300), "y_m": np.arange(300.0),
         "line": np.zeros(300, np.int32), "sensor": np.zeros(300, np.int32), "value_nt": v}
    out, spike = mag.despike(r, half_window=4, k=3.0, min_deviation_nt=0.0)
    ref = np.zeros(300, bool)
    med_ref = v.copy()
    for i in range(300):
        w = v[max(0, i - 4):i + 5]
        med = np.median(w)
        mad = np.median(np.abs(w - med))
        ref[i] = abs(v[i] - med) > 3.0 * 1.4826 * mad
        if ref[i]:
            med_ref[i] = med
    np.testing.assert_array_equal(spike, ref)
    np.testing.assert_allclose(out["value_nt"], med_ref)
    assert spike[::29].all()
    np.testing.assert_array_equal(v, v0)  # input untouched
    # real objects at default settings
    s = simmag.simulate(seed=8)
    _, spike = mag.despike(mag.readings_from_survey(s))
    assert not spike[np.abs(s.readings["anomaly_nt"]) > 2].any()


def test_lag_recovered():
    scene = simmag.default_scene()
    scene["nuisances"]["lag_s"] = 0.15
    scene["survey"]["sensor_offsets_m"] = [-0.5, -0.25, 0.25, 0.5]  # outer sensors retrace the next line
    s = simmag.simulate(scene, seed=10)
    r = mag.readings_from_survey(s)
    e = mag.estimate_lag(r)
    assert e["lag_s"] == pytest.approx(0.15, abs=0.02)
    c = mag.correct_lag(r, e["lag_s"])
    err = np.hypot(c["x_m"] - s.readings["x_true_m"], c["y_m"] - s.readings["y_true_m"])
    err0 = np.hypot(r["x_m"] - s.readings["x_true_m"], r["y_m"] - s.readings["y_true_m"])
    assert np.sqrt(np.mean(err**2)) < np.sqrt(np.mean(err0**2))


@pytest.mark.parametrize("inclination, direction", [(58.0, "north"), (90.0, "east")])
def test_lag_by_dipoles_without_retracing(inclination, direction):
    # the default cart (no track retraces another), every nuisance on: the injected lag within
    # 0.02 s (measured over 6 layouts: max 0.017 s); fitted anomalies lie on simulated objects
    scene = simmag.default_scene()
    scene["nuisances"]["lag_s"] = 0.2
    scene["survey"]["line_direction"] = direction
    scene["earth_field"]["inclination_deg"] = inclination
    s = simmag.simulate(scene, seed=10)
    r = mag.readings_from_survey(s)
    field = (scene["earth_field"]["total_nt"], inclination, scene["earth_field"]["declination_deg"])
    e = mag.estimate_lag(r, method="dipoles", field=field)
    assert e["method"] == "dipoles" and e["anomalies"] >= 2
    assert e["lag_s"] == pytest.approx(0.2, abs=0.02)
    assert len(e["anomaly_x_m"]) == e["anomalies"]
    ox = np.array([o["x"] for o in s.truth["objects"]])
    oy = np.array([o["y"] for o in s.truth["objects"]])
    for x, y in zip(e["anomaly_x_m"], e["anomaly_y_m"]):
        assert np.min(np.hypot(ox - x, oy - y)) < 0.1
    assert mag.estimate_lag(r, method="dipoles", field=field, threads=1)["lag_s"] == e["lag_s"]


def test_lag_by_dipoles_without_anomaly_is_nan_and_errors():
    scene = simmag.default_scene()
    s = simmag.simulate(scene, seed=10)
    r = mag.readings_from_survey(s)
    e = mag.estimate_lag(r, method="dipoles", min_anomaly_nt=1e6)
    assert np.isnan(e["lag_s"]) and e["anomalies"] == 0
    with pytest.raises(ValueError, match="method"):
        mag.estimate_lag(r, method="dipole")
    with pytest.raises(ValueError, match="min_anomaly_nt"):
        mag.estimate_lag(r, method="dipoles", min_anomaly_nt=0)
    with pytest.raises(ValueError, match="radius_m = -1"):
        mag.estimate_lag(r, method="dipoles", radius_m=-1)
    with pytest.raises(ValueError, match="field"):
        mag.estimate_lag(r, method="dipoles", field=(1.0, 2.0))


def test_heading_recovered():
    scene = simmag.default_scene()
    h = [0.5, 1.0, -0.7, 2.0]
    scene["nuisances"]["heading_nt"] = h
    s = simmag.simulate(scene, seed=11)
    r, _ = mag.diurnal_base(mag.readings_from_survey(s), s.base_station)
    r = mag.correct_lag(r, scene["nuisances"]["lag_s"])
    est = mag.estimate_heading(r)
    np.testing.assert_allclose(est["offset_nt"], h, atol=0.1)


def test_sensor_offsets_direct_formula():
    x, y = mag.offset_position(0.0, 0.0, np.array([0.0, 90.0, 180.0]), 1.0, 2.0)
    np.testing.assert_allclose(x, [1.0, 2.0, -1.0], atol=1e-12)
    np.testing.assert_allclose(y, [2.0, -1.0, -2.0], atol=1e-12)


def test_levelling_recovers_offsets():
    s = simmag.simulate(quiet(noise_nt=0.2), seed=13)
    r = mag.readings_from_survey(s)
    _, clean = mag.level_median(r)
    shift = 4 * np.cos(2.1 * r["line"])
    r2 = dict(r, value_nt=r["value_nt"] + shift)
    _, info = mag.level_median(r2)
    e = info["offset_nt"] - 4 * np.cos(2.1 * info["line"]) - clean["offset_nt"]
    assert np.std(e) < 0.05


def test_regional_gradient_matches_numpy_lstsq():
    scene = quiet(noise_nt=0.2, gradient_nt_m=[0.35, -0.2])
    scene["objects"] = []
    scene["random"] = {k: 0 for k in ("at_mine", "mortar", "shell", "ap_mine", "fragment")}
    s = simmag.simulate(scene, seed=15)
    r = mag.readings_from_survey(s)
    _, surf = mag.remove_regional(r, 1)
    a = np.c_[np.ones_like(r["x_m"]), r["x_m"], r["y_m"]]
    ref = np.linalg.lstsq(a, r["value_nt"], rcond=None)[0]
    np.testing.assert_allclose(surf["gradient_nt_m"], ref[1:], atol=0.003)
    np.testing.assert_allclose(surf["gradient_nt_m"], [0.35, -0.2], atol=0.003)


def test_g858_preprocess_end_to_end():
    d = sio.read_mag(STN)
    r = mag.readings_from_mag(d)
    assert np.array_equal(np.unique(r["sensor"]), [0, 1])
    out, steps = mag.preprocess(r)
    names = [s["step"] for s in steps]
    assert names == ["diurnal_trend", "despike", "lag", "heading", "regional", "level_median"]
    assert np.isfinite(out["value_nt"]).all()
    _, left = mag.level_median(out)
    assert np.abs(left["offset_nt"]).max() < 1e-9
    assert np.median(np.abs(out["value_nt"])) < 20


def test_preprocess_on_a_simulated_survey():
    scene = simmag.default_scene()
    scene["survey"]["sensor_offsets_m"] = [-0.5, -0.25, 0.25, 0.5]
    s = simmag.simulate(scene, seed=21)
    out, steps = mag.preprocess(mag.readings_from_survey(s), base=s.base_station)
    lag = [st for st in steps if st["step"] == "lag"][0]
    assert lag["lag_s"] == pytest.approx(scene["nuisances"]["lag_s"], abs=0.02)
    # what is left against the noise-free truth (anomaly + soil), up to a constant: near the sensor noise
    truth = s.readings["anomaly_nt"] + s.readings["soil_nt"]
    far = np.abs(s.readings["anomaly_nt"]) < 1  # away from objects, where lag no longer matters
    res = (out["value_nt"] - truth)[far]
    assert np.std(res - np.median(res)) < 0.6


def test_preprocess_with_the_lag_from_dipoles():
    scene = simmag.default_scene()  # four sensors, lines 1 m apart: no track retraces another
    s = simmag.simulate(scene, seed=10)
    ef, sv = scene["earth_field"], scene["survey"]
    field = (ef["total_nt"], ef["inclination_deg"], ef["declination_deg"])
    _, steps = mag.preprocess(mag.readings_from_survey(s), base=s.base_station, lag="dipoles", field=field,
                              sensor_height_m=sv["sensor_height_m"])
    lag = [st for st in steps if st["step"] == "lag"][0]
    assert lag["method"] == "dipoles"
    assert lag["lag_s"] == pytest.approx(scene["nuisances"]["lag_s"], abs=0.015)
    with pytest.raises(ValueError, match="field"):
        mag.preprocess(mag.readings_from_survey(s), lag="dipoles")


def test_bad_input_names_the_value():
    r = {"time_s": [0.0, 1.0], "x_m": [0.0, 0.0], "y_m": [0.0, 1.0], "line": [0, 0], "sensor": [0, 0],
         "value_nt": [1.0, 2.0]}
    with pytest.raises(ValueError, match="x_m"):
        mag.level_median(dict(r, x_m=[0.0]))
    with pytest.raises(ValueError, match="time_s\\[1\\]"):
        mag.level_median(dict(r, time_s=[0.0, np.nan]))
    with pytest.raises(ValueError, match="value_nt"):
        mag.level_median({k: v for k, v in r.items() if k != "value_nt"})
    with pytest.raises(ValueError, match="k = -1"):
        mag.despike(r, k=-1)
    with pytest.raises(ValueError, match="order"):
        mag.remove_regional(r, 4)
    with pytest.raises(ValueError, match="threads"):
        mag.despike(r, threads=-1)
    with pytest.raises(ValueError, match="lane"):
        mag.readings_from_mag(sio.read_mag(STN), "lane")

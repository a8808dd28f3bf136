"""sapper.sim.mag against the dipole formula and survey relations written here in numpy."""
import json

import numpy as np
import pytest

from sapper.sim import mag

QUIET = {"nuisances": {"diurnal_nt": 0, "base_noise_nt": 0, "heading_nt": 0, "lag_s": 0, "noise_nt": 0,
                       "gps_jitter_m": 0, "soil_nt": 0, "gradient_nt_m": [0, 0]}}


def scene(**parts):
    """QUIET with the given top-level parts merged in (dicts merged one level deep)."""
    s = json.loads(json.dumps(QUIET))
    for k, v in parts.items():
        s[k] = {**s.get(k, {}), **v} if isinstance(v, dict) else v
    return s


def direct_field(d, x, y, z):
    """sum_k 1e-7 (3 (m.r) r - m |r|^2) / |r|^5, in nT; points (n,), dipoles (k, 6)."""
    r = np.stack([x, y, z], -1)[:, None, :] - d[None, :, :3]
    m = d[None, :, 3:]
    rr = np.linalg.norm(r, axis=-1, keepdims=True)
    return (1e2 * (3 * np.sum(m * r, -1, keepdims=True) * r - m * rr**2) / rr**5).sum(1)


def field_dir(inc, dec):
    i, d = np.radians(inc), np.radians(dec)
    return np.array([np.cos(i) * np.sin(d), np.cos(i) * np.cos(d), -np.sin(i)])


def test_vertical_dipole_under_vertical_field_matches_closed_form():
    m, d, f = 0.5, 0.4, 50000.0
    x = np.linspace(-2, 2, 201)
    got = mag.dipole_anomaly([0, 0, -d, 0, 0, -m], x, 0, 0, field=(f, 90, 0))
    r5 = (x**2 + d**2) ** 2.5
    down, horiz = 1e2 * m * (2 * d**2 - x**2) / r5, 1e2 * m * 3 * d * x / r5
    np.testing.assert_allclose(got, np.sqrt((f + down) ** 2 + horiz**2) - f, rtol=1e-9, atol=1e-10)


def test_field_and_anomaly_match_numpy_for_random_geometry():
    rng = np.random.default_rng(0)
    d = np.column_stack([rng.uniform(-2, 2, (5, 2)), -rng.uniform(0.05, 1, 5), rng.uniform(-1, 1, (5, 3))])
    x, y, z = rng.uniform(-3, 3, 800), rng.uniform(-3, 3, 800), rng.uniform(0.1, 1, 800)
    b = mag.dipole_field(d, x, y, z, threads=2)
    ref = direct_field(d, x, y, z)
    np.testing.assert_allclose(b, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    f, inc, dec = 49800.0, 58.0, 6.0
    big_f = f * field_dir(inc, dec)
    exact = np.linalg.norm(big_f + ref, axis=-1) - f
    np.testing.assert_allclose(mag.dipole_anomaly(d, x, y, z, field={"total_nt": f, "inclination_deg": inc,
                                                                     "declination_deg": dec}),
                               exact, rtol=1e-8, atol=1e-9)
    # broadcasting: a grid of points at one height
    gx, gy = np.meshgrid(np.linspace(-1, 1, 7), np.linspace(-1, 1, 5))
    assert mag.dipole_field(d, gx, gy, 0.3).shape == (5, 7, 3)
    assert mag.dipole_anomaly(d, gx, gy, 0.3).shape == (5, 7)


def test_anomaly_tends_to_projection_for_small_fields():
    rng = np.random.default_rng(1)
    d = np.column_stack([rng.uniform(-1, 1, (3, 2)), -rng.uniform(0.2, 1, 3), 1e-3 * rng.uniform(-1, 1, (3, 3))])
    x, y = rng.uniform(-2, 2, (2, 300))
    b = mag.dipole_field(d, x, y, 0.3)
    proj = b @ field_dir(58, 6)
    dt = mag.dipole_anomaly(d, x, y, 0.3)
    assert np.all(np.abs(dt - proj) <= np.sum(b**2, -1) / 49800 + 1e-12)


def test_induced_moment():
    m = mag.induced_moment(2e-4, (50000, 45, 10))
    np.testing.assert_allclose(m, 3 * 2e-4 * 5e-5 / (4e-7 * np.pi) * field_dir(45, 10), rtol=1e-12)


def test_nan_and_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"x\[2\]"):
        mag.dipole_anomaly([0, 0, -1, 0, 0, 1], [0, 1, np.nan], 0, 0.3)
    with pytest.raises(ValueError, match=r"dipole\[0\]\.mz"):
        mag.dipole_field([0, 0, -1, 0, 0, np.inf], 0, 0, 0.3)
    with pytest.raises(ValueError, match="singular"):
        mag.dipole_anomaly([0, 0, -1, 0, 0, 1], 0, 0, -1)
    with pytest.raises(ValueError, match="shape"):
        mag.dipole_anomaly(np.zeros((2, 5)), 0, 0, 0)
    with pytest.raises(ValueError, match="inclination_deg"):
        mag.dipole_anomaly([0, 0, -1, 0, 0, 1], 0, 0, 0, field=(5e4, 120, 0))


def test_diurnal_and_heading_are_exactly_recoverable():
    s = mag.default_scene()
    s["nuisances"].update(noise_nt=0, base_noise_nt=0, heading_nt=[1.5, -0.5, 0.25, 2.0])
    r = mag.simulate(s, seed=3)
    rd, bs = r.readings, r.base_station
    f = s["earth_field"]["total_nt"]
    drift = np.interp(rd["time_s"], bs["time_s"], bs["field_nt"]) - f
    assert np.ptp(drift) > 1.0
    heading = rd["direction"] * np.array([1.5, -0.5, 0.25, 2.0])[rd["sensor"]]
    np.testing.assert_array_equal(rd["heading_nt"], heading)
    rest = f + rd["anomaly_nt"] + rd["soil_nt"] + rd["gradient_nt"]
    np.testing.assert_allclose(rd["total_field_nt"] - drift - heading, rest, rtol=0, atol=1e-4)
    # the heading term flips with the line direction, sensor by sensor
    for k in range(4):
        sel = rd["sensor"] == k
        assert set(np.unique(rd["heading_nt"][sel] * rd["direction"][sel])) == {[1.5, -0.5, 0.25, 2.0][k]}


def test_position_lag_and_line_geometry():
    r = mag.simulate(scene(survey={"x1": 4, "y1": 6, "speed_m_s": 2.0}, nuisances={"lag_s": 0.25}), seed=1)
    rd = r.readings
    np.testing.assert_allclose(rd["y_m"], rd["y_true_m"] - 0.25 * 2.0 * rd["direction"], atol=1e-12)
    np.testing.assert_array_equal(rd["x_m"], rd["x_true_m"])
    assert np.all(rd["direction"] == np.where(rd["line"] % 2 == 0, 1, -1))
    offsets = np.array(r.scene["survey"]["sensor_offsets_m"])
    np.testing.assert_allclose(rd["x_true_m"], 0.5 + rd["line"] + rd["direction"] * offsets[rd["sensor"]])
    assert np.all(np.diff(rd["time_s"]) >= 0)


def test_deterministic_for_any_thread_count_and_replayable():
    a = mag.simulate(seed=5, threads=1)
    b = mag.simulate(seed=5, threads=2)
    c = mag.simulate(seed=6)
    for k in a.readings:
        np.testing.assert_array_equal(a.readings[k], b.readings[k])
    np.testing.assert_array_equal(a.base_station["field_nt"], b.base_station["field_nt"])
    assert a.truth == b.truth and a.scene == b.scene
    assert not np.array_equal(a.readings["total_field_nt"], c.readings["total_field_nt"])
    assert a.truth != c.truth
    replay = mag.simulate(a.scene, seed=5)
    np.testing.assert_array_equal(replay.readings["total_field_nt"], a.readings["total_field_nt"])


def test_minimum_metal_ap_mine_is_below_the_noise_but_at_mine_is_not():
    s = scene(survey={"line_spacing_m": 0.25, "sensor_offsets_m": [0.0]},
              objects=[{"type": "ap_mine", "x": 5.125, "y": 10, "depth": 0.06, "moment": 7e-5},
                       {"type": "at_mine", "x": 15.125, "y": 10, "depth": 0.2, "moment": 0.05}])
    r = mag.simulate(s, seed=2)
    rd = r.readings
    near_ap = np.hypot(rd["x_true_m"] - 5.125, rd["y_true_m"] - 10) < 2
    noise = mag.default_scene()["nuisances"]["noise_nt"]
    assert 0.01 < np.abs(rd["anomaly_nt"][near_ap]).max() < noise
    assert np.abs(rd["anomaly_nt"][~near_ap]).max() > 20 * noise
    assert [o["label"] for o in r.truth["objects"]] == ["ap_mine", "at_mine"]


def test_scene_errors_name_the_key_or_value(tmp_path):
    with pytest.raises(ValueError, match=r"survey\.speeed_m_s"):
        mag.simulate({"survey": {"speeed_m_s": 1}})
    with pytest.raises(ValueError, match=r"nuisances\.noise_nt = -1"):
        mag.simulate({"nuisances": {"noise_nt": -1}})
    with pytest.raises(ValueError, match=r"objects\[0\]\.type = \"tank\""):
        mag.simulate({"objects": [{"type": "tank", "x": 1, "y": 1, "depth": 0}]})
    with pytest.raises(ValueError, match="not valid JSON"):
        mag.simulate("{nope")
    with pytest.raises(TypeError):
        mag.simulate(seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        mag.simulate(seed=-1)
    with pytest.raises(TypeError):
        mag.simulate(42)


def test_scene_from_text_and_path(tmp_path):
    s = scene(survey={"x1": 2, "y1": 3})
    p = tmp_path / "scene.json"
    p.write_text(json.dumps(s))
    a, b, c = mag.simulate(s, seed=1), mag.simulate(json.dumps(s), seed=1), mag.simulate(p, seed=1)
    np.testing.assert_array_equal(a.readings["total_field_nt"], b.readings["total_field_nt"])
    np.testing.assert_array_equal(a.readings["total_field_nt"], c.readings["total_field_nt"])
    d = mag.default_scene()
    assert sum(v for k, v in d["random"].items() if k != "min_spacing_m") > 0
    assert len(mag.simulate(seed=0).truth["objects"]) == 23


def test_write(tmp_path):
    r = mag.simulate(scene(survey={"x1": 3, "y1": 4}, random={"at_mine": 1, "fragment": 2}), seed=4)
    with pytest.raises(ValueError):
        r.readings["x_m"][0] = 1.0  # read-only: what is written is what was simulated
    mag.write(r, tmp_path / "out")
    rows = np.loadtxt(tmp_path / "out" / "readings.csv", delimiter=",", skiprows=1)
    header = (tmp_path / "out" / "readings.csv").read_text().splitlines()[0]
    assert header == "time_s,line,direction,sensor,x_m,y_m,z_m,total_field_nt"
    for j, k in enumerate(header.split(",")):
        np.testing.assert_array_equal(rows[:, j], r.readings[k])
    base = np.loadtxt(tmp_path / "out" / "base_station.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(base[:, 1], r.base_station["field_nt"])
    assert json.loads((tmp_path / "out" / "truth.json").read_text()) == r.truth
    assert json.loads((tmp_path / "out" / "scene.json").read_text()) == r.scene
    with pytest.raises(TypeError):
        mag.write({"readings": {}}, tmp_path)


def test_scene_over_lane_places_the_lanes_magnetic_objects():
    from sapper.sim import gpr as simgpr
    lane = simgpr.simulate({"lane": {"length_m": 6.0, "channels": 4, "channel_spacing_m": 0.25},
                            "objects": [{"type": "TM-62M", "x": 2.0, "y": 0.2, "depth": 0.1},
                                        {"type": "rock", "x": 3.0, "y": 0.0, "depth": 0.05},
                                        {"type": "mortar", "x": 4.5, "y": -0.2, "depth": 0.15}]}, seed=1)
    scene = mag.scene_over_lane(lane.truth, nuisances={"noise_nt": 0.0, "soil_nt": 0.0, "diurnal_nt": 0.0,
                                                          "heading_nt": 0.0, "gps_jitter_m": 0.0, "lag_s": 0.0,
                                                          "gradient_nt_m": [0.0, 0.0]})
    assert [o["type"] for o in scene["objects"]] == ["at_mine", "mortar"]        # the rock is not magnetic
    s = mag.simulate(scene, seed=2)
    r = s.readings
    a = s.scene["survey"]
    assert a["x0"] <= 0.0 and a["x1"] >= 6.0 and a["y1"] - a["y0"] >= 0.5
    # the strongest anomaly lies over an object (within a sensor spacing of it)
    k = np.argmax(np.abs(r["anomaly_nt"]))
    d = min(np.hypot(r["x_true_m"][k] - o["x"], r["y_true_m"][k] - o["y"]) for o in scene["objects"])
    assert d < 0.5
    with pytest.raises(ValueError, match="area"):
        mag.scene_over_lane({"objects": []})

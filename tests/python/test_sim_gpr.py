"""sapper.sim.gpr: shapes, physics checked against formulas written here, files, errors."""
import json

import numpy as np
import pytest

import sapper
from sapper.sim import gpr as simgpr

C = 0.299792458  # m/ns


def quiet_scene(**ground):
    """No coupling, ringing, roughness or noise: only the ground bounce and the objects."""
    g = {"permittivity": 6.0, "conductivity_ms_m": 0.0, "roughness_rms_m": 0.0}
    g.update(ground)
    return {"ground": g, "antenna": {"coupling": 0.0, "ringing": 0.0, "offset_m": 0.0, "height_m": 0.07},
            "lane": {"length_m": 2.0}, "snr_db": 300, "objects": []}


def test_default_lane_shapes_truth_and_layout():
    lane = simgpr.simulate(seed=3)
    n, m = lane.data.shape
    assert (n, m) == (512, len(lane.x)) and lane.data.dtype == np.float32
    assert lane.data.flags.f_contiguous
    assert np.isclose(lane.dt_ns, 12 / 512) and lane.twin is None
    labels = [o["label"] for o in lane.truth["objects"]]
    assert labels.count("ap_mine") == 3 and labels.count("at_mine") == 1 and labels.count("clutter") == 6
    area = lane.truth["area"]
    assert all(area["x0"] <= o["x"] <= area["x1"] and area["y0"] <= o["y"] <= area["y1"] for o in lane.truth["objects"])
    # the scene as applied replays to the same numbers
    again = simgpr.simulate(lane.scene, seed=3)
    np.testing.assert_array_equal(again.data, lane.data)
    # the processed output goes back into sapper.gpr without a copy
    y = sapper.gpr.dewow(lane.data, lane.dt_ns, 2.0, out=lane.data)
    assert y is lane.data


def test_cscan_channels_are_fortran_views_and_thread_independent():
    scene = {"lane": {"length_m": 4.0, "channels": 4, "channel_spacing_m": 0.1},
             "objects": [{"type": "TM-62M", "x": 1.0, "y": 0.1, "depth": 0.1}]}
    a = simgpr.simulate(scene, seed=1, twin=True, threads=1)
    b = simgpr.simulate(scene, seed=1, twin=True, threads=2)
    assert a.data.shape == (512, len(a.x), 4) and a.surface.shape == (len(a.x), 4)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_allclose(a.y, [-0.15, -0.05, 0.05, 0.15])
    assert a.channel(2).flags.f_contiguous and np.shares_memory(a.channel(2), a.data)
    diff = np.abs(a.data - a.twin).max(axis=0)                      # (n_traces, channels)
    far = np.abs(a.x - 1.0) > 1.5
    assert diff[far].max() == 0 and diff[~far].max() > 0
    # the channel over the mine sees a stronger echo than the farthest one
    j = np.argmin(np.abs(a.x - 1.0))
    assert diff[j, 3] > diff[j, 0]


def test_attenuation_and_sign_follow_the_formulas():
    eps, d = 6.0, 0.1
    amps = {}
    for sigma in (0.0, 20.0):
        scene = quiet_scene(conductivity_ms_m=sigma)
        scene["objects"] = [{"type": "TM-62M", "x": 1.0, "y": 0.0, "depth": d}]
        lane = simgpr.simulate(scene, seed=0, twin=True, dtype=np.float64)
        j = np.argmin(np.abs(lane.x - 1.0))
        echo = lane.data[:, j] - lane.twin[:, j]
        t_top = 2 * (0.07 + np.sqrt(eps) * d) / C
        k = int(round((t_top + lane.time_zero_ns) / lane.dt_ns))
        amps[sigma] = echo[k - 3:k + 4][np.argmax(np.abs(echo[k - 3:k + 4]))]
        # metal: the same sign as the ground bounce, which is negative for eps > 1
        k_gb = int(round((2 * 0.07 / C + lane.time_zero_ns) / lane.dt_ns))
        assert lane.twin[k_gb, j] < 0 and amps[sigma] < 0
    alpha = 188.4 * 20e-3 / np.sqrt(eps)                                  # Np/m
    assert amps[20.0] / amps[0.0] == pytest.approx(np.exp(-2 * alpha * d), rel=1e-3)


def test_plastic_mine_reflects_opposite_to_the_ground():
    scene = quiet_scene()
    scene["objects"] = [{"type": "PMN", "x": 1.0, "y": 0.0, "depth": 0.08}]
    lane = simgpr.simulate(scene, seed=0, twin=True, dtype=np.float64)
    j = np.argmin(np.abs(lane.x - 1.0))
    k = int(round((2 * (0.07 + np.sqrt(6.0) * 0.08) / C + lane.time_zero_ns) / lane.dt_ns))
    r = (np.sqrt(6.0) - np.sqrt(3.0)) / (np.sqrt(6.0) + np.sqrt(3.0))     # soil -> explosive, > 0
    assert r > 0 and (lane.data - lane.twin)[k, j] > 0


def test_random_uxo_are_metal_targets_dropped_from_the_twin():
    scene = quiet_scene()
    scene["random"] = {"uxo": 2, "max_depth_uxo_m": 0.2, "min_spacing_m": 0.5}
    lane = simgpr.simulate(scene, seed=3, twin=True, dtype=np.float64)
    objs = lane.truth["objects"]
    assert [o["label"] for o in objs] == ["uxo", "uxo"] and all(o["type"] == "mortar" for o in objs)
    assert all(o["material"] == "metal" and 0.01 <= o["depth"] <= 0.2 for o in objs)
    assert lane.scene["random"]["uxo"] == 0 and len(lane.scene["objects"]) == 2   # written out: replays
    for o in objs:  # the echo is in the data, not in the twin, with the ground bounce's (negative) sign
        j = np.argmin(np.abs(lane.x - o["x"]))
        k = int(round((2 * (0.07 + np.sqrt(6.0) * o["depth"]) / C + lane.time_zero_ns) / lane.dt_ns))
        echo = (lane.data - lane.twin)[k - 3:k + 4, j]
        assert echo[np.argmax(np.abs(echo))] < 0
    # scenes without uxo draw exactly what they drew before the class existed
    base = {"lane": {"length_m": 4.0}, "random": {"ap_mines": 2, "clutter": 3}}
    with_uxo = dict(base, random=dict(base["random"], uxo=1))
    a, b = simgpr.simulate(base, seed=9).truth["objects"], simgpr.simulate(with_uxo, seed=9).truth["objects"]
    assert a == b[:len(a)] and b[-1]["label"] == "uxo"


def test_write_and_read_round_trip(tmp_path):
    lane = simgpr.simulate({"lane": {"length_m": 1.0, "channels": 2}, "random": {"ap_mines": 1, "min_spacing_m": 0.1}},
                           seed=5, twin=True)
    simgpr.write(lane, tmp_path / "lane")
    back = simgpr.read(tmp_path / "lane")
    np.testing.assert_array_equal(back.data, lane.data)
    np.testing.assert_array_equal(back.twin, lane.twin)
    np.testing.assert_array_equal(back.surface, lane.surface)
    assert back.truth == lane.truth and back.scene == lane.scene and back.dt_ns == lane.dt_ns
    assert json.loads((tmp_path / "lane" / "truth.json").read_text())["objects"][0]["label"] == "ap_mine"


def test_bad_scenes_raise_naming_the_problem():
    with pytest.raises(ValueError, match="permitivity"):
        simgpr.simulate({"ground": {"permitivity": 5}})
    with pytest.raises(ValueError, match="antenna.frequency_mhz"):
        simgpr.simulate({"antenna": {"frequency_mhz": 0}})
    with pytest.raises(ValueError, match="PMX"):
        simgpr.simulate({"objects": [{"type": "PMX", "x": 1.0}]})
    with pytest.raises(ValueError, match="cannot place"):
        simgpr.simulate({"lane": {"length_m": 1.0}, "random": {"ap_mines": 40}})
    with pytest.raises(ValueError, match="seed"):
        simgpr.simulate(seed=-1)
    with pytest.raises(TypeError):
        simgpr.simulate(dtype=np.int16)
    assert simgpr.normalise_scene({})["ground"]["permittivity"] == 6.0

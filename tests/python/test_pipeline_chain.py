"""sapper.pipeline's GPR branch, now the C++ chain (sapper::pipeline::GprChain), against the Python glue
it replaced (copied here as the reference: preprocess_gpr's loop, gpr_features' ps_* columns,
classify_rows and gpr_alarms' labels, depth and merge) on simulated lanes of tools/train_models.py's
scenes and the 4-channel scene of test_pipeline.py, float64 and float32: the same alarms, features
to 1e-9 relative and the shipped model's probabilities to 1e-9; options passed through; bad input."""
import math
import pathlib
import sys

import numpy as np
import pytest

from sapper import _core, classify, clutter, gpr, pipeline
from sapper.detect import features as dfeat
from sapper.sim import gpr as simgpr

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools")]
tm = pytest.importorskip("train_models")


# --- the Python glue sapper.pipeline ran before the C++ chain (stages it called are public API) ---
def ref_preprocess(data, dt_ns, x, *, background_m=1.0, band_mhz=(500.0, 3500.0), ground=True,
                   search_ns=(0.8, 6.0)):
    sp = float(np.median(np.diff(x)))
    w = int(round(background_m / sp)) | 1
    if w < 3:
        raise ValueError(f"background_m = {background_m} is under 3 traces of {sp:g} m")
    w = min(w, data.shape[1] - (1 - data.shape[1] % 2))
    out = np.empty(data.shape, dtype=data.dtype, order="F")
    for c in range(data.shape[2]):
        b = np.asfortranarray(data[:, :, c])
        if band_mhz is not None:
            b = gpr.bandpass(b, dt_ns, band_mhz[0], band_mhz[1])
        if ground:
            b = clutter.remove_ground(b, dt_ns, clutter.track_ground(b, dt_ns, search_ns=search_ns))[0]
        out[:, :, c] = gpr.moving_background(b, w)
    return out


def _extent(score, trace, channel, level):
    row = score[:, channel] >= level
    lo = hi = trace
    while lo > 0 and row[lo - 1]:
        lo -= 1
    while hi < len(row) - 1 and row[hi + 1]:
        hi += 1
    return hi - lo + 1, int(np.count_nonzero(score[trace] >= level))


def ref_features(data, prescreen, dt_ns, time_zero_ns, x, *, antenna_height_m=0.0, offset_m=0.0, antenna_mhz=1500.0):
    a = prescreen.alarms
    score = prescreen.score.reshape(len(x), -1)
    names = dfeat.feature_names(**pipeline.GPR_FEATURES) + ["ps_score", "ps_log_score", "ps_time_ns",
                                                             "ps_length_traces", "ps_width_channels", "ps_signed_peak"]
    hyp = dict(ground_sign=-1, antenna_height_m=antenna_height_m, offset_m=offset_m)
    X = np.zeros((len(a), len(names)))
    ok = np.zeros(len(a), dtype=bool)
    for c in np.unique(a["channel"]):
        i = np.nonzero(a["channel"] == c)[0]
        f, _, good = dfeat.alarm_features(np.asfortranarray(data[:, :, c]), np.column_stack([a["trace"][i],
                                          a["sample"][i]]), dt_ns, time_zero_ns, positions=x,
                                          hyperbola_options=hyp, **pipeline.GPR_FEATURES)
        X[i, :f.shape[1]] = f
        ok[i] = good
    rms = np.sqrt(np.mean(np.square(data, dtype=np.float64), axis=(0, 1))) + 1e-30
    for k, al in enumerate(a):
        t, c = int(al["trace"]), int(al["channel"])
        n_tr, n_ch = _extent(score, t, c, 0.5 * al["confidence"])
        X[k, -6:] = (al["confidence"], np.log(max(al["confidence"], 1e-12)), al["time_ns"], n_tr, n_ch,
                     data[int(al["sample"]), t, c] / rms[c])
    C, cnames = pipeline.context_features(data, prescreen)
    X = np.hstack([X, C, np.tile([antenna_mhz, antenna_height_m], (len(a), 1))])   # the instrument's columns
    X[~np.isfinite(X)] = 0.0
    return X, names + cnames + ["acq_antenna_mhz", "acq_antenna_height_m"], ok


def ref_alarms(lane, model, merge=True):
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    pre = ref_preprocess(d, dt, x)
    ant = lane.scene.get("antenna", {})
    parts = []   # each gate's prescreener and features on its own, then concatenated in gate order
    for start in (0.6,) + tuple(pipeline.GPR_DEEPER_GATES):
        ps = pipeline.prescreen_gpr(pre, dt, tz, x, y, gate_ns=(start, 8.0))
        parts.append((ps,) + ref_features(pre, ps, dt, tz, x, antenna_height_m=ant.get("height_m", 0.0),
                                          offset_m=ant.get("offset_m", 0.0), antenna_mhz=ant["frequency_mhz"]))
    ps0, names = parts[0][0], parts[0][2]
    ps = ps0._replace(alarms=np.concatenate([q[0].alarms for q in parts]))
    X, ok = np.vstack([q[1] for q in parts]), np.concatenate([q[3] for q in parts])
    gate = np.concatenate([np.full(len(q[0].alarms), g) for g, q in enumerate(parts)])
    p = pipeline.classify_rows(model, X, names)
    depth = np.where(X[:, names.index("hyp_ok")] > 0, X[:, names.index("hyp_depth_m")], np.nan)
    a = ps.alarms
    k = pipeline.merge_alarms(a["x"], a["y"], 1.0 - p[:, 3], pipeline.merge_radius(p)) if merge \
        else np.arange(len(a))
    kc = pipeline.CLASSES.index("clutter")
    threat = np.where(np.arange(4) == kc, -np.inf, p).argmax(axis=1)
    lab = np.array([pipeline.CLASSES[j] for j in np.where(p[:, kc] >= 0.5, kc, threat)], dtype=object)
    return dict(pre=pre, ps=ps, ps0=ps0, gate=gate, X=X, names=names, ok=ok, p=p, k=k, x=a["x"][k], y=a["y"][k], depth=depth[k],
                time_ns=a["time_ns"][k], score=a["confidence"][k], label=lab[k], proba=p[k])
# ---


SCENE = {"lane": {"length_m": 6, "channels": 4, "channel_spacing_m": 0.1},
         "ground": {"roughness_rms_m": 0.005, "permittivity": 6},
         "objects": [{"type": "TM-62M", "x": 1.5, "y": 0.0, "depth": 0.05},
                     {"type": "mortar", "x": 4.5, "y": 0.05, "depth": 0.08, "angle_deg": 0},
                     {"type": "rock", "x": 3.0, "y": -0.1, "depth": 0.1, "size_m": 0.05}]}
LANES = {"train4100": lambda dt: simgpr.simulate(tm.random_scene(4100, length_m=5.0), seed=4100, dtype=dt),
         "train4101": lambda dt: simgpr.simulate(tm.random_scene(4101, length_m=5.0), seed=4101, dtype=dt),
         "four_channels": lambda dt: simgpr.simulate(SCENE, seed=11, dtype=dt)}


@pytest.fixture(scope="module", params=[(k, t) for k in LANES for t in (np.float64, np.float32)],
                ids=lambda p: f"{p[0]}-{np.dtype(p[1]).name}")
def case(request):
    name, dtype = request.param
    lane = LANES[name](dtype)
    return lane, ref_alarms(lane, classify.default_model("gpr"))


def test_preprocess_equals_the_python_loop(case):
    lane, ref = case
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    pre = pipeline.preprocess_gpr(d, dt, x)
    assert pre.dtype == d.dtype and pre.shape == d.shape and pre.flags.f_contiguous
    np.testing.assert_array_equal(pre, ref["pre"])   # the same C++ stages in the same order: bit-equal


def test_candidates_equal_the_python_glue(case):
    lane, ref = case
    ps, X, names, ok = pipeline.gpr_candidates(lane)
    assert names == ref["names"] and X.shape == ref["X"].shape and len(ps.alarms) >= 5
    for f in ps.alarms.dtype.names:
        np.testing.assert_array_equal(ps.alarms[f], ref["ps"].alarms[f], err_msg=f)
    for f in ("statistic", "score", "sample"):
        np.testing.assert_array_equal(getattr(ps, f), getattr(ref["ps"], f), err_msg=f)
    np.testing.assert_allclose(X, ref["X"], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ok, ref["ok"])
    ps_cols = [names.index(n) for n in ("ps_length_traces", "ps_width_channels", "ps_signed_peak")]
    assert np.ptp(X[:, ps_cols], axis=0).min() > 0   # the extents and the peak vary over the lane
    assert (ref["gate"] > 0).any() and np.all(np.diff(ref["gate"]) >= 0)   # the deeper gates add alarms
    # gpr_features on the same preprocessed lane and the first gate's prescreen: its rows
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    ant = lane.scene.get("antenna", {})
    X2, n2, ok2 = pipeline.gpr_features(ref["pre"], ref["ps0"], dt, tz, x, antenna_height_m=ant.get("height_m", 0.0),
                                        offset_m=ant.get("offset_m", 0.0))
    n0 = len(ref["ps0"].alarms)
    assert n2 == names
    np.testing.assert_array_equal(X2, X[:n0])
    np.testing.assert_array_equal(ok2, ok[:n0])


def test_alarms_equal_the_python_glue(case):
    lane, ref = case
    g = pipeline.gpr_alarms(lane)
    np.testing.assert_allclose(g["proba"], ref["proba"], rtol=0, atol=1e-9)
    for f in ("x", "y", "time_ns", "score"):
        np.testing.assert_array_equal(g[f], ref[f], err_msg=f)
    np.testing.assert_allclose(g["depth"], ref["depth"], rtol=1e-9, equal_nan=True)
    assert list(g["label"]) == list(ref["label"]) and g["label"].dtype == object
    np.testing.assert_allclose(g["confidence"], 1.0 - ref["proba"][:, 3], rtol=0, atol=1e-9)
    np.testing.assert_allclose(g["features"], ref["X"][ref["k"]], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(g["ok"], ref["ok"][ref["k"]])
    assert g["classes"] == list(pipeline.CLASSES) and g["feature_names"] == ref["names"]
    np.testing.assert_array_equal(g["gate"], ref["gate"][ref["k"]])
    assert len(g["prescreen"].alarms) == len(ref["ps"].alarms) > len(g["x"])   # the merge dropped some


def test_unmerged_and_foreign_model(case):
    """merge=False keeps every alarm; a model the C++ cannot run (any predict_proba) goes through
    classify_rows, then the same labels, depth and merge."""
    lane, ref = case
    g = pipeline.gpr_alarms(lane, merge=False)
    np.testing.assert_allclose(g["proba"], ref["p"], rtol=0, atol=1e-9)
    assert len(g["x"]) == len(ref["ps"].alarms)

    class Wrapped:   # not a sapper model: the chain cannot classify with it
        def __init__(self, m):
            self.m, self.classes_, self.feature_names_ = m, m.classes_, m.feature_names_

        def predict_proba(self, X):
            return self.m.predict_proba(X)

    f = pipeline.gpr_alarms(lane, Wrapped(classify.default_model("gpr")))
    np.testing.assert_allclose(f["proba"], ref["proba"], rtol=0, atol=1e-9)
    assert list(f["label"]) == list(ref["label"])


def test_threads_do_not_change_the_result():
    lane = LANES["four_channels"](np.float32)
    one, many = pipeline.gpr_alarms(lane, threads=1), pipeline.gpr_alarms(lane, threads=3)
    for k in ("x", "y", "proba", "features", "score"):
        np.testing.assert_array_equal(one[k], many[k], err_msg=k)


def test_options_pass_through():
    lane = LANES["four_channels"](np.float64)
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    pre = ref_preprocess(d, dt, x, background_m=0.6, band_mhz=None, ground=False)
    np.testing.assert_array_equal(pipeline.preprocess_gpr(d, dt, x, background_m=0.6, band_mhz=None, ground=False), pre)
    ps, X, names, _ = pipeline.gpr_candidates(lane, background_m=0.6, gate_ns=(0.5, 6.0), deeper_gates_ns=(),
                                              statistic="lms", threshold=2.0, separation_m=0.3, traces=3)
    pre = ref_preprocess(d, dt, x, background_m=0.6)
    want = pipeline.prescreen_gpr(pre, dt, tz, x, y, gate_ns=(0.5, 6.0), statistic="lms", threshold=2.0,
                                  separation_m=0.3, traces=3)
    np.testing.assert_array_equal(ps.alarms, want.alarms)
    ps2, _, _, _ = pipeline.gpr_candidates(lane, separation=7, separation_m=None, cfar="os", deeper_gates_ns=())
    want2 = pipeline.prescreen_gpr(ref_preprocess(d, dt, x), dt, tz, x, y, separation=7, separation_m=None, cfar="os")
    np.testing.assert_array_equal(ps2.alarms, want2.alarms)


def test_bad_input():
    lane = LANES["four_channels"](np.float64)
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    bad = d.copy()
    bad[5, 7, 2] = np.inf
    with pytest.raises(ValueError, match=r"channel 2 holds NaN or Inf \(sample 5, trace 7\)"):
        pipeline.preprocess_gpr(bad, dt, x)
    with pytest.raises(ValueError, match="under 3 traces"):
        pipeline.preprocess_gpr(d, dt, x, background_m=0.01)
    with pytest.raises(ValueError, match="x_m"):
        pipeline.preprocess_gpr(d, dt, x[::-1])
    names = ["energy", "not_a_feature"]
    m = classify.LogisticRegression().fit(np.arange(8.0).reshape(4, 2), ["ap_mine", "clutter"] * 2,
                                          feature_names=names)
    with pytest.raises(ValueError, match="needs feature 'not_a_feature' that the chain does not compute"):
        pipeline.gpr_alarms(lane, m)
    with pytest.raises(TypeError):
        pipeline.gpr_candidates(lane, not_an_option=1)
    with pytest.raises(ValueError, match=r"deeper_gates_ns\[1\] = 0.7 must lie after the previous gate's start"):
        pipeline.gpr_candidates(lane, deeper_gates_ns=(0.9, 0.7))
    with pytest.raises(ValueError, match=r"deeper_gates_ns\[0\] = 9"):
        pipeline.gpr_candidates(lane, deeper_gates_ns=(9.0,))
    lib = _core.pipeline.f64
    with pytest.raises(ValueError, match="channels"):
        lib.GprChain(None, d.shape[0], dt, tz, x, y[:3], {}).candidates(d)


def _resampled_lane(lane, n_samples, spacing_m):
    """The lane brought to (n_samples, spacing_m) by scipy.signal.resample in time and
    sapper.gpr.resample_traces along track: the reference for the chain's own working grid."""
    import types
    signal = pytest.importorskip("scipy.signal")
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    t = signal.resample(d, n_samples, axis=0)
    chans = [gpr.resample_traces(np.asfortranarray(t[:, :, c]), x, spacing_m) for c in range(d.shape[2])]
    data = np.asfortranarray(np.stack([r.data for r in chans], axis=2))
    return types.SimpleNamespace(data=data, dt_ns=dt * d.shape[0] / n_samples, time_zero_ns=tz,
                                 x=chans[0].positions_m, y=y, scene=lane.scene)


def test_off_grid_lane_is_resampled_to_the_working_grid():
    """A lane recorded at 1024 samples and 1 cm traces gives the alarms of the same lane brought to
    the shipped grid (512 samples over its 12 ns, 2 cm) by scipy and resample_traces first."""
    scene = {**SCENE, "recording": {"n_samples": 1024, "trace_spacing_m": 0.01}}
    lane = simgpr.simulate(scene, seed=11, dtype=np.float64)
    ref = _resampled_lane(lane, 512, 0.02)
    chain, d = pipeline._lane_chain(lane, None, background_m=1.0, gate_ns=(0.6, 8.0),
                                    deeper_gates_ns=pipeline.GPR_DEEPER_GATES, statistic="energy", threads=0)
    n, dt, gx = chain.grid
    assert (n, dt) == (512, 12.0 / 512) and np.allclose(gx, ref.x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(chain.preprocess(d), pipeline.preprocess_gpr(ref.data, ref.dt_ns, ref.x),
                               rtol=0, atol=1e-9 * np.abs(ref.data).max())
    g, want = pipeline.gpr_alarms(lane), pipeline.gpr_alarms(ref)
    assert len(want["x"]) >= 3
    for f in ("x", "y", "time_ns", "label"):
        np.testing.assert_array_equal(g[f], want[f], err_msg=f)
    np.testing.assert_allclose(g["features"], want["features"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g["proba"], want["proba"], rtol=0, atol=1e-6)
    # on the grid already (the simulator's default recording): nothing is resampled
    on = LANES["four_channels"](np.float64)
    c2, d2 = pipeline._lane_chain(on, None, background_m=1.0, gate_ns=(0.6, 8.0), deeper_gates_ns=(),
                                  statistic="energy", threads=0)
    assert c2.grid[0] == d2.shape[0] and np.array_equal(c2.grid[2], on.x)


def test_band_follows_the_antenna_frequency():
    """The chain's band-pass is a third to 7/3 of the scene's antenna frequency."""
    lane = simgpr.simulate({**SCENE, "antenna": {"frequency_mhz": 1000}}, seed=3)
    chain, d = pipeline._lane_chain(lane, None, background_m=1.0, gate_ns=(0.6, 8.0), deeper_gates_ns=(),
                                    statistic="energy", threads=0)
    _, dt, _, x, _ = pipeline._lane_arrays(lane)
    np.testing.assert_array_equal(chain.preprocess(d), pipeline.preprocess_gpr(d, dt, x, band_mhz=(1000 / 3, 7000 / 3)))
    assert not np.array_equal(chain.preprocess(d), pipeline.preprocess_gpr(d, dt, x))


def test_bad_grid_options():
    lane = LANES["four_channels"](np.float64)
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    lib = _core.pipeline.f64
    with pytest.raises(ValueError, match="grid_dt_ns = -1"):
        lib.GprChain(None, d.shape[0], dt, tz, x, y, {"grid_dt_ns": -1.0})
    with pytest.raises(ValueError, match="grid_dt_ns = 100 resamples 512 samples"):
        lib.GprChain(None, d.shape[0], dt, tz, x, y, {"grid_dt_ns": 100.0})
    with pytest.raises(ValueError, match="grid_spacing_m = nan"):
        lib.GprChain(None, d.shape[0], dt, tz, x, y, {"grid_spacing_m": math.nan})
    c = lib.GprChain(None, d.shape[0], dt, tz, x, y, {"grid_dt_ns": 0.0, "grid_spacing_m": 0.0})
    assert c.grid[0] == d.shape[0] and np.array_equal(c.grid[2], x)   # 0: the lane's own


def test_antenna_overrides_the_scene():
    """``antenna`` sets the instrument's columns, the band-pass and the hyperbola fit's geometry."""
    lane = LANES["four_channels"](np.float64)
    g = pipeline.gpr_candidates(lane)
    h = pipeline.gpr_candidates(lane, antenna={"frequency_mhz": 1000.0, "height_m": 0.05})
    names = g[2]
    f, hgt = names.index("acq_antenna_mhz"), names.index("acq_antenna_height_m")
    assert np.all(g[1][:, f] == lane.scene["antenna"]["frequency_mhz"]) and np.all(h[1][:, f] == 1000.0)
    assert np.all(g[1][:, hgt] == lane.scene["antenna"]["height_m"]) and np.all(h[1][:, hgt] == 0.05)
    with pytest.raises(TypeError, match="frequency"):
        pipeline.gpr_alarms(lane, antenna={"freq": 1000.0})
    with pytest.raises(ValueError, match="antenna_mhz = -5"):
        pipeline.gpr_alarms(lane, antenna={"frequency_mhz": -5.0})


REAL = ROOT.parent / "shared" / "data" / "gpr"


def _file_lane(path, traces=None):
    """A lane of one channel of a real recording (no ground truth), its positions as the file gives them."""
    import types
    from sapper import io
    c = io.read(path).channels[0]
    j = slice(None) if traces is None else slice(0, traces)
    return types.SimpleNamespace(data=c.data[:, j], dt_ns=c.dt_ns, time_zero_ns=c.time_zero_ns,
                                 x=np.asarray(c.position_m)[j], y=np.zeros(1)), c.antenna_mhz


@pytest.mark.parametrize("name,traces", [("gssi/FILE____032.DZT", None), ("mala/DAT_1251_A1.rd3", 400)])
def test_real_recordings_run_through_the_chain(name, traces):
    """Files of real instruments (400 and 500 MHz, 0.094 and 0.19 ns, 2 and 4.9 cm: all off the
    chain's grid) go through resampling, the prescreener, features and the model without error or
    garbage: alarms on the line, inside the gates, confidences in [0, 1]. Nothing is known of what
    lies under them, so no Pd is asserted."""
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    lane, mhz = _file_lane(path, traces)
    g = pipeline.gpr_alarms(lane, antenna={"frequency_mhz": mhz, "height_m": 0.0})
    chain, _ = pipeline._lane_chain(lane, None, background_m=1.0, gate_ns=(0.6, 8.0), deeper_gates_ns=(),
                                    statistic="energy", threads=0, antenna={"frequency_mhz": mhz})
    n, dt, gx = chain.grid
    assert n == round(lane.data.shape[0] * lane.dt_ns / (12 / 512)) and dt == pytest.approx(12 / 512, rel=2e-3)
    assert np.allclose(np.diff(gx), 0.02) and gx[0] == lane.x[0] and gx[-1] <= lane.x[-1] + 1e-9
    assert len(g["x"]) >= 1 and np.all((g["x"] >= lane.x[0]) & (g["x"] <= lane.x[-1]))
    assert np.all((g["time_ns"] >= 0.6 - 1e-9) & (g["time_ns"] <= 8.0 + 1e-9))
    assert np.all(np.isfinite(g["confidence"])) and np.all((g["confidence"] >= 0) & (g["confidence"] <= 1))
    assert set(g["label"]) <= set(pipeline.CLASSES)


def test_a_recording_far_off_the_grid_is_a_named_error():
    """A 50 MHz geological survey (0.8 ns samples, 61 cm traces, 323 m) would need 16,155 x 51,200
    samples on the chain's grid: refused, naming the option, not allocated."""
    path = REAL / "sensors-software" / "XLINE00.DT1"
    if not path.exists():
        pytest.skip(f"{path} not found")
    lane, mhz = _file_lane(path)
    with pytest.raises(ValueError, match="grid_spacing_m = 0.02 resamples a lane of 323"):
        pipeline.gpr_alarms(lane, antenna={"frequency_mhz": mhz})

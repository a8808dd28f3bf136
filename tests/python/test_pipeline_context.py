"""sapper.pipeline.context_features (now C++: sapper::detect::context_features) against the numpy
code it replaced (copied here as the reference) on a simulated 8-channel lane of
tools/train_models.py's scenes, float64 and float32; the shipped GPR model's probabilities with
either; one channel, a hand-made spike, bad input."""
import pathlib
import sys

import numpy as np
import pytest

from sapper import classify, pipeline
from sapper.sim import gpr as simgpr

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools")]
tm = pytest.importorskip("train_models")


# --- the numpy code sapper.pipeline.context_features ran before the C++ (ranks: stable argsort,
# --- the C++ definition; numpy's default quicksort orders ties arbitrarily) ---
def _trace(data, t, c):
    return data[:, max(t - 1, 0):t + 2, c].mean(axis=1)


def _segment(w, s0, half):
    out = np.zeros(3 * half)
    i0, i1 = s0 - half, s0 + 2 * half
    j0, j1 = max(i0, 0), min(i1, len(w))
    out[j0 - i0:j1 - i0] = w[j0:j1]
    return out


def reference(data, a, *, half=32, step=4, search=16, local_m=0.3):
    ns, nt, nc = data.shape
    n, nw = len(a), (3 * half) // step
    names = [f"wf_{k}" for k in range(nw)] + ["wf_sign", "wf_amp_db", "nb_max", "nb_min", "nb_corr", "along_3",
                                              "along_6", "lane_score_pct", "lane_amp_pct", "local_n", "local_rel"]
    X = np.zeros((n, len(names)))
    floor = np.median(np.abs(data), axis=(0, 1)) + 1e-30
    amp = np.zeros(n)
    for k in range(n):
        t, c, s = int(a["trace"][k]), int(a["channel"][k]), int(a["sample"][k])
        w = _trace(data, t, c)
        lo, hi = max(s - search, 0), min(s + search + 1, ns)
        s0 = lo + int(np.argmax(np.abs(w[lo:hi])))
        amp[k] = p = abs(w[s0]) + 1e-30
        seg = _segment(w, s0, half)
        X[k, :nw] = (seg / p).reshape(nw, step).mean(axis=1)
        X[k, nw:nw + 2] = np.sign(w[s0]), 20 * np.log10(p / floor[c])
        nb, cr = [], []
        for cc in (c - 1, c + 1):
            if 0 <= cc < nc:
                v = _trace(data, t, cc)
                nb.append(np.abs(v[lo:hi]).max() / p)
                sv = _segment(v, s0, half)
                cr.append(float(sv @ seg / (np.linalg.norm(sv) * np.linalg.norm(seg) + 1e-30)))
        X[k, nw + 2:nw + 5] = (max(nb), min(nb), max(cr)) if nb else 0.0
        w0, w1 = max(s0 - 2 * search, 0), min(s0 + 2 * search + 1, ns)
        for j, d in enumerate((3, 6)):
            r = [np.abs(_trace(data, tt, c)[w0:w1]).max() / p for tt in (t - d, t + d) if 0 <= tt < nt]
            X[k, nw + 5 + j] = np.mean(r) if r else 0.0
    if n:
        sc = np.asarray(a["confidence"], dtype=np.float64)
        X[:, nw + 7] = (np.argsort(np.argsort(sc, kind="stable"), kind="stable") + 0.5) / n
        X[:, nw + 8] = (np.argsort(np.argsort(amp, kind="stable"), kind="stable") + 0.5) / n
        ax, ay = np.asarray(a["x"], dtype=np.float64), np.asarray(a["y"], dtype=np.float64)
        near = np.hypot(ax[:, None] - ax, ay[:, None] - ay) <= local_m
        X[:, nw + 9] = near.sum(axis=1) - 1
        X[:, nw + 10] = sc / np.max(np.where(near, sc[None, :], 0.0), axis=1)
    X[~np.isfinite(X)] = 0.0
    return X, names
# ---


def candidates(dtype, seed=4100):
    lane = simgpr.simulate(tm.random_scene(seed, length_m=5.0), seed=seed, dtype=dtype)
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    pre = pipeline.preprocess_gpr(d, dt, x)
    ps = pipeline.prescreen_gpr(pre, dt, tz, x, y)
    ant = lane.scene.get("antenna", {})
    X, names, _ = pipeline.gpr_features(pre, ps, dt, tz, x, antenna_height_m=ant.get("height_m", 0.0),
                                        offset_m=ant.get("offset_m", 0.0))
    return pre, ps, X, names


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["f64", "f32"])
def lane(request):
    return request.param, candidates(request.param)


def test_lane_features_equal_numpy(lane):
    dtype, (pre, ps, X, names) = lane
    assert pre.shape[2] == 8 and pre.dtype == dtype and len(ps.alarms) >= 20
    C, cn = pipeline.context_features(pre, ps)
    R, rn = reference(pre.astype(np.float64), ps.alarms)   # float32 data are read as float64
    k = names.index(cn[0])   # the context columns, before the instrument's two
    assert cn == rn and names[k:k + 35] == cn and len(names) == k + 37 and C.shape == (len(ps.alarms), 35)
    np.testing.assert_allclose(C, R, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(X[:, k:k + 35], C)
    assert np.ptp(C, axis=0)[[24, 26, 28, 31, 32]].min() > 0   # the lane exercises sign, neighbours, along, ranks
    if dtype == np.float32:   # what the numpy code gave in float32 arithmetic: equal to float32 rounding
        R32, _ = reference(pre, ps.alarms)
        np.testing.assert_allclose(C, R32, rtol=2e-5, atol=2e-5)


def test_shipped_model_probabilities_unchanged(lane):
    dtype, (pre, ps, X, names) = lane
    old = X.copy()
    k = names.index("wf_0")
    old[:, k:k + 35] = reference(pre, ps.alarms)[0]   # the numpy code as it ran (float32 lanes in float32)
    model = classify.default_model("gpr")
    p_new, p_old = pipeline.classify_rows(model, X, names), pipeline.classify_rows(model, old, names)
    np.testing.assert_allclose(p_new, p_old, rtol=0, atol=1e-9)


def test_one_channel_options_and_spike():
    pre, ps, _, _ = candidates(np.float64)
    b = np.asfortranarray(pre[:, :, 3:4])
    one = ps._replace(alarms=ps.alarms[ps.alarms["channel"] == 3].copy())
    one.alarms["channel"] = 0
    kw = dict(half=16, step=8, search=8, local_m=0.5)
    C, names = pipeline.context_features(b, one, **kw)
    R, rn = reference(b, one.alarms, **kw)
    assert names == rn and len(names) == 6 + 11
    np.testing.assert_allclose(C, R, rtol=1e-9, atol=1e-12)
    assert not C[:, 6 + 2:6 + 5].any()   # no neighbouring channel
    # a lone spike: 3-trace mean 1 at sample 40 of trace 10, alarm at sample 35
    d = np.zeros((64, 20, 1))
    d[40, 10, 0] = 3.0
    a = np.zeros(1, dtype=ps.alarms.dtype)
    a["trace"], a["sample"], a["confidence"] = 10, 35, 2.0
    C, _ = pipeline.context_features(d, ps._replace(alarms=a), half=4, step=2, search=8)
    np.testing.assert_allclose(C[0, :6], [0, 0, 0.5, 0, 0, 0], atol=1e-15)
    assert C[0, 6] == 1 and C[0, 6 + 9] == 0 and C[0, 6 + 10] == 1 and C[0, 6 + 7] == 0.5


def test_bad_input():
    d = np.zeros((64, 20, 2))
    a = np.zeros(1, dtype=pipeline.dps.ALARM_DTYPE)
    ps = pipeline.dps.Prescreen(a, None, None, None)
    with pytest.raises(ValueError, match="step"):
        pipeline.context_features(d, ps, step=5)
    d[3, 3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pipeline.context_features(d, ps)
    d[3, 3, 1] = 0
    a["sample"] = 64
    with pytest.raises(ValueError, match="outside"):
        pipeline.context_features(d, ps)


def merge_reference(x, y, c, r):
    """The loop sapper.pipeline.merge_alarms ran before the C++."""
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), x.shape)
    keep = []
    for i in np.argsort(-c, kind="stable"):
        if all((x[i] - x[k]) ** 2 + (y[i] - y[k]) ** 2 > r[k] ** 2 for k in keep):
            keep.append(i)
    return np.sort(np.array(keep, dtype=np.int64))


def test_merge_alarms_equals_the_loop():
    g = np.random.default_rng(5)
    for n in (0, 1, 40, 300):
        x, y = g.uniform(0, 5, n), g.uniform(-0.4, 0.4, n)
        c = np.round(g.uniform(0, 1, n), 1)   # many ties: input order decides
        r = g.choice([0.25, 0.5], n)
        for rad in (r, 0.3):
            got = pipeline.merge_alarms(x, y, c, rad)
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, merge_reference(x, y, c, rad))
    assert 0 < len(got) < 300
    with pytest.raises(ValueError, match="radius_m"):
        pipeline.merge_alarms(x, y, c, -1.0)

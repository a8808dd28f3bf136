"""Time zero, causal filters, resampling, Chain and Stream against numpy/scipy references."""
import json

import numpy as np
import pytest
import scipy.signal

from sapper import gpr

DT = 0.05


def ricker(t, f=1.5):
    a = (np.pi * f * t) ** 2
    return (1 - 2 * a) * np.exp(-a)


def scene(n=256, m=90, dtype=np.float32, seed=3):
    """Direct waves with jittered delays, a reflector, a hyperbola, DC, drift and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None] * DT
    d = 1.0 + rng.uniform(-0.15, 0.15, m)[None, :]
    th = 3.0 + 2 * np.sqrt(0.01 + (0.01 * (np.arange(m) - m // 2)) ** 2)[None, :] / 0.12
    x = (ricker(t - d) - 0.5 * ricker(t - d - 1.0) + 0.1 * ricker(t - d - th) + 0.2 + 0.02 * t
         + 0.01 * rng.standard_normal((n, m)))
    return np.asfortranarray(x, dtype=dtype)


@pytest.fixture(params=[np.float32, np.float64])
def dtype(request):
    return request.param


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)


def test_first_break_matches_a_direct_search(dtype):
    x = scene(dtype=dtype).astype(np.float64)
    a = np.abs(x)
    level = 0.3 * a.max(0)
    i = np.argmax(a >= level, axis=0)
    j = np.arange(x.shape[1])
    p, q = a[i - 1, j], a[i, j]
    ref = (i - 1 + (level - p) / (q - p)) * DT
    np.testing.assert_allclose(gpr.first_break(scene(dtype=dtype), DT, threshold=0.3), ref, atol=1e-5)


def test_shift_traces_moves_a_ricker_by_fractions_of_a_sample():
    n, t = 400, np.arange(400) * DT
    x = np.asfortranarray(np.repeat(ricker(t - 8.0)[:, None], 3, axis=1))
    s = np.array([0.37, -2.71, 5.0]) * DT
    y = gpr.shift_traces(x, DT, s)
    np.testing.assert_allclose(y, ricker(t[:, None] - 8.0 - s[None, :]), atol=2e-3)


def test_time_zero_aligns_first_breaks_and_crops(dtype):
    x = scene(dtype=dtype)
    picks = gpr.first_break(x, DT)
    k0 = int(round(np.median(picks) / DT))
    y = gpr.time_zero(x, DT)
    assert y.shape == (x.shape[0] - k0, x.shape[1]) and y.dtype == dtype
    # after alignment every trace breaks at sample 0 (to the interpolation's accuracy)
    np.testing.assert_allclose(gpr.first_break(y[:40], DT), 0.0, atol=0.4 * DT)
    # without crop: the same traces, time zero at sample k0
    z = gpr.time_zero(x, DT, crop=False, target_ns=k0 * DT)
    np.testing.assert_allclose(z[k0:], y, **tol(dtype))


def test_causal_background_matches_a_trailing_window(dtype):
    x = scene(dtype=dtype)
    w = 9
    xd = x.astype(np.float64)
    ref = xd - np.stack([xd[:, max(0, j - w + 1):j + 1].mean(1) for j in range(x.shape[1])], axis=1)
    np.testing.assert_allclose(gpr.moving_background(x, w, causal=True), ref, **tol(dtype))


def test_causal_bandpass_is_scipy_butterworth_sosfilt(dtype):
    x = scene(dtype=dtype)
    fs = 1e3 / DT
    ref_sos = scipy.signal.butter(4, [300, 3000], "bandpass", fs=fs, output="sos")
    w = np.linspace(0, fs / 2, 50)
    np.testing.assert_allclose(np.abs(scipy.signal.sosfreqz(gpr.butterworth_sos(4, 300, 3000, DT), w, fs=fs)[1]),
                               np.abs(scipy.signal.sosfreqz(ref_sos, w, fs=fs)[1]), atol=1e-9)
    ref = scipy.signal.sosfilt(ref_sos, x.astype(np.float64), axis=0)
    np.testing.assert_allclose(gpr.bandpass(x, DT, 300, 3000, causal=True), ref,
                               **(dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-8, atol=1e-10)))


def test_stack_and_resample_traces(dtype):
    rng = np.random.default_rng(0)
    pos = np.sort(rng.uniform(0, 2.0, 60))
    pos[10:14] = pos[10]                               # the cart stopped
    a, b = rng.standard_normal(50), rng.standard_normal(50)
    x = np.asfortranarray(a[:, None] + b[:, None] * pos[None, :], dtype=dtype)  # linear in position
    r = gpr.resample_traces(x, pos, 0.05)
    assert r.data.shape[1] == len(r.positions_m) == len(r.count)
    k = np.arange(len(r.positions_m))
    u = (pos - pos[0]) / 0.05
    for kk in k:                                       # stacked bins: the mean position; empty: x_k
        inbin = (u >= kk - 0.5) & ((u < kk + 0.5) | ((kk == k[-1]) & (u <= kk + 0.5)))
        assert r.count[kk] == inbin.sum()
        xk = pos[inbin].mean() if inbin.any() else r.positions_m[kk]
        np.testing.assert_allclose(r.data[:, kk], a + b * xk, rtol=1e-4, atol=1e-4)
    s = gpr.stack_traces(x, 7)
    assert s.shape == (50, 9)
    np.testing.assert_allclose(s[:, -1], x[:, 56:].astype(np.float64).mean(1), **tol(dtype))


def full_chain(causal_bg=False, method="mean", causal_bp=False):
    return gpr.Chain([
        {"op": "remove_dc"}, {"op": "dewow", "window_ns": 1.5},
        {"op": "time_zero", "target_ns": 1.0},
        {"op": "background", "window_traces": 21, "method": method, "causal": causal_bg},
        {"op": "gain", "power": 1.0, "alpha_per_ns": 0.05, "max_gain": 1e3},
        {"op": "bandpass", "low_mhz": 300, "high_mhz": 3000, "causal": causal_bp},
    ])


def numpy_chain(x):
    """The chain above written with numpy/scipy and sapper's documented definitions."""
    x = x.astype(np.float64)
    n, m = x.shape
    x = x - x.mean(0)
    h = int(np.floor(1.5 / DT / 2))
    c = np.vstack([np.zeros((1, m)), np.cumsum(x, 0)])
    lo, hi = np.maximum(np.arange(n) - h, 0), np.minimum(np.arange(n) + h + 1, n)
    x = x - (c[hi] - c[lo]) / (hi - lo)[:, None]
    picks = gpr.first_break(x, DT)                     # (tested on its own above)
    x = gpr.shift_traces(x, DT, 1.0 - picks)[20:]      # target 1.0 ns = sample 20, cropped
    x = x - np.stack([x[:, max(0, j - 10):j + 11].mean(1) for j in range(m)], axis=1)
    t = np.arange(x.shape[0]) * DT
    x = x * np.minimum(1e3, np.maximum(t, DT) * np.exp(0.05 * t))[:, None]
    return gpr.bandpass(x, DT, 300, 3000)             # (tested against numpy's FFT elsewhere)


def test_chain_batch_matches_the_steps_written_out(dtype):
    x = scene(dtype=dtype)
    r = full_chain().apply(x, DT)
    assert r.data.dtype == dtype and r.data.flags.f_contiguous and r.data.shape == (x.shape[0] - 20, x.shape[1])
    assert r.time_zero_ns == 0.0
    ref = numpy_chain(x)
    np.testing.assert_allclose(r.data, ref, atol=2e-4 * np.abs(ref).max() if dtype == np.float32 else 1e-9)


def test_chain_records_resolved_steps_and_replays(dtype):
    x = scene(dtype=dtype)
    chain = gpr.Chain.default(1500.0, DT)
    r = chain.apply(x, DT)
    tz = [s for s in r.steps if s["op"] == "time_zero"][0]
    assert tz["target_ns"] is not None and chain.steps[2]["target_ns"] is None
    again = gpr.Chain(json.dumps({"steps": r.steps})).apply(x, DT)
    np.testing.assert_array_equal(again.data, r.data)
    assert r.chain == gpr.Chain(r.steps)
    np.testing.assert_array_equal(r.chain.apply(x, DT).data, r.data)


@pytest.mark.parametrize("causal_bg,method,causal_bp", [(False, "mean", False), (True, "median", True),
                                                        (False, "median", True), (True, "mean", False)])
def test_stream_equals_batch_for_blocks_of_1_7_64(dtype, causal_bg, method, causal_bp):
    x = scene(dtype=dtype)
    chain = full_chain(causal_bg, method, causal_bp)
    ref = chain.apply(x, DT).data
    for block in (1, 7, 64):
        s = chain.stream(x.shape[0], DT, max_block=block, dtype=dtype)
        assert s.latency == (0 if causal_bg else 10)
        parts = [s.process(x[:, j:j + block]) for j in range(0, x.shape[1], block)] + [s.flush()]
        np.testing.assert_allclose(np.hstack(parts), ref, **tol(dtype))


def test_returned_arrays_go_back_in_without_a_copy():
    x = scene()
    r = full_chain().apply(x, DT)
    y = gpr.dewow(r.data, DT, 1.0, out=r.data)          # an F-ordered result is accepted as out=
    assert np.shares_memory(y, r.data)
    s = gpr.stack_traces(r.data, 3)
    assert s.flags.f_contiguous and gpr.moving_background(s, 3, out=s) is not None


def test_chain_and_stream_errors_name_the_problem():
    with pytest.raises(ValueError, match="dewoww"):
        gpr.Chain([{"op": "dewoww"}])
    with pytest.raises(ValueError, match="windw_ns"):
        gpr.Chain([{"op": "dewow", "windw_ns": 2}])
    with pytest.raises(ValueError, match="window_ns = -1"):
        gpr.Chain([{"op": "dewow", "window_ns": -1}]).apply(scene(), DT)
    with pytest.raises(ValueError, match="target_ns"):
        gpr.Chain([{"op": "time_zero"}]).stream(256, DT)
    with pytest.raises(ValueError, match="global"):
        gpr.Chain([{"op": "background", "window_traces": 0}]).stream(256, DT)
    s = full_chain().stream(256, DT, max_block=8)
    with pytest.raises(ValueError, match="shape"):
        s.process(np.zeros((255, 4), np.float32, order="F"))
    with pytest.raises(ValueError, match="shape"):
        s.process(np.zeros((256, 9), np.float32, order="F"))
    with pytest.raises(TypeError, match="float64"):
        s.process(np.zeros((256, 4)))
    with pytest.raises(ValueError, match="NaN"):
        s.process(np.full((256, 2), np.nan, np.float32))
    with pytest.raises(ValueError, match="sos"):
        gpr.sosfilt(scene(), np.ones((2, 5)))
    with pytest.raises(ValueError, match="decreas|position"):
        gpr.resample_traces(scene(m=3), [0.0, 1.0, 0.5], 0.1)


def test_type_stubs_cover_the_module():
    import ast
    import inspect
    import pathlib
    stub = ast.parse((pathlib.Path(gpr.__file__).with_suffix(".pyi")).read_text())
    names = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert set(gpr.__all__) <= names
    for name in gpr.__all__:                           # same parameters, in the same order
        obj = getattr(gpr, name)
        if inspect.isfunction(obj):
            node = next(n for n in stub.body if getattr(n, "name", None) == name)
            stub_params = [a.arg for a in node.args.args + node.args.kwonlyargs]
            assert stub_params == list(inspect.signature(obj).parameters), name

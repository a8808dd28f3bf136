"""sapper.gpr against independent numpy/scipy references written here."""
import numpy as np
import pytest
import scipy.signal
from scipy.ndimage import median_filter

import sapper
from sapper import gpr

DT = 0.05


@pytest.fixture(params=[np.float32, np.float64])
def data(request):
    rng = np.random.default_rng(1)
    return np.asfortranarray(rng.standard_normal((300, 40)) + 0.3, dtype=request.param)


def tol(a):
    return dict(rtol=2e-4, atol=2e-4) if a.dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def running(x, h, fn):
    """Centred window of 2h+1 samples truncated at the ends, along axis 0."""
    return np.stack([fn(x[max(0, i - h):i + h + 1], axis=0) for i in range(x.shape[0])])


def test_remove_dc_mean_and_median(data):
    np.testing.assert_allclose(gpr.remove_dc(data, DT), data - data.mean(0), **tol(data))
    np.testing.assert_allclose(gpr.remove_dc(data, DT, method="median"), data - np.median(data, 0), **tol(data))
    w = gpr.remove_dc(data, DT, window_ns=(1.0, 2.0))  # samples 20..40
    np.testing.assert_allclose(w, data - data[20:41].mean(0), **tol(data))


@pytest.mark.parametrize("method", ["mean", "median"])
def test_dewow(data, method):
    h = int(np.floor(1.0 / DT / 2))
    ref = data - running(data.astype(np.float64), h, getattr(np, method))
    np.testing.assert_allclose(gpr.dewow(data, DT, 1.0, method=method), ref, **tol(data))


def test_sec_and_tpow_gain(data):
    t = np.arange(data.shape[0]) * DT - 0.5
    g = np.minimum(100.0, np.maximum(t, DT) ** 1.5 * np.exp(0.2 * np.maximum(t, 0)))
    out = gpr.sec_gain(data, DT, power=1.5, alpha_per_ns=0.2, max_gain=100, time_zero_ns=0.5)
    np.testing.assert_allclose(out, data * g[:, None], **tol(data))
    np.testing.assert_allclose(gpr.tpow_gain(data, DT, 2.0), data * (np.maximum(np.arange(300) * DT, DT) ** 2)[:, None], **tol(data))


def test_agc(data):
    h = int(np.floor(2.0 / DT / 2))
    rms = np.sqrt(running(data.astype(np.float64) ** 2, h, np.mean))
    np.testing.assert_allclose(gpr.agc(data, DT, 2.0, max_gain=50), data * np.minimum(50, 1 / rms), **tol(data))


def test_bandpass_matches_numpy_fft(data):
    n = data.shape[0]
    nf = gpr.fft_size(n)
    assert nf >= n + n // 4
    f = np.fft.rfftfreq(nf, DT * 1e-3)  # MHz
    lo, hi, tp = 1000.0, 4000.0, 400.0
    ramp = lambda e: np.sin(0.5 * np.pi * np.clip((f - e) / tp + 0.5, 0, 1)) ** 2
    H = ramp(lo) * (1 - ramp(hi))
    ref = np.fft.irfft(np.fft.rfft(data.astype(np.float64), nf, axis=0) * H[:, None], nf, axis=0)[:n]
    np.testing.assert_allclose(gpr.bandpass(data, DT, lo, hi, taper_mhz=tp), ref, **tol(data))


def test_envelope_matches_scipy_hilbert(data):
    ref = np.abs(scipy.signal.hilbert(data.astype(np.float64), axis=0))
    np.testing.assert_allclose(gpr.envelope(data), ref, **tol(data))
    odd = data[:-1]
    np.testing.assert_allclose(gpr.envelope(odd), np.abs(scipy.signal.hilbert(odd.astype(np.float64), axis=0)), **tol(data))


@pytest.mark.parametrize("method", ["mean", "median"])
def test_moving_background(data, method):
    h = 3
    ref = data - running(data.T.astype(np.float64), h, getattr(np, method)).T
    np.testing.assert_allclose(gpr.moving_background(data, 7, method=method), ref, **tol(data))
    np.testing.assert_allclose(gpr.remove_mean_trace(data), data - data.mean(1, keepdims=True), **tol(data))


def test_dtype_order_and_no_copy(data):
    out = gpr.dewow(data, DT, 1.0)
    assert out.dtype == data.dtype and out.shape == data.shape and out.flags.f_contiguous
    again = gpr.bandpass(out, DT, 500, 4000, out=out)       # returned array goes back in, in place
    assert again is out or np.shares_memory(again, out)
    c = np.ascontiguousarray(data)                          # C order is converted once
    np.testing.assert_allclose(gpr.dewow(c, DT, 1.0), out if False else gpr.dewow(data, DT, 1.0))
    trace = gpr.dewow(data[:, 0].copy(), DT, 1.0)           # a single trace
    np.testing.assert_allclose(trace, gpr.dewow(data, DT, 1.0)[:, 0])
    assert gpr.dewow(np.arange(30, dtype=np.int16).reshape(15, 2), DT, 1.0).dtype == np.float64


def test_input_not_modified(data):
    before = data.copy()
    gpr.moving_background(data, 5)
    gpr.bandpass(data, DT, 500, 4000)
    np.testing.assert_array_equal(data, before)


def test_threads_agree(data):
    big = np.asfortranarray(np.tile(data, (1, 20)))
    a = gpr.bandpass(big, DT, 500, 4000, threads=1)
    b = gpr.bandpass(big, DT, 500, 4000, threads=2)
    np.testing.assert_array_equal(a, b)


def test_streaming_equals_batch_for_trace_local_ops(data):
    batch = gpr.dewow(data, DT, 1.0)
    for block in (1, 7, 64):
        parts = [gpr.dewow(data[:, j:j + block], DT, 1.0) for j in range(0, data.shape[1], block)]
        np.testing.assert_array_equal(np.hstack(parts), batch)


def test_bad_input_messages(data):
    bad = data.copy()
    bad[5, 3] = np.nan
    with pytest.raises(ValueError, match="sample 5, trace 3"):
        gpr.dewow(bad, DT, 1.0)
    with pytest.raises(ValueError, match="empty"):
        gpr.dewow(np.empty((0, 3), np.float32), DT, 1.0)
    with pytest.raises(TypeError, match="complex"):
        gpr.dewow(data.astype(np.complex64), DT, 1.0)
    with pytest.raises(ValueError, match="shape"):
        gpr.dewow(np.zeros((2, 2, 2)), DT, 1.0)
    with pytest.raises(ValueError, match="dt_ns"):
        gpr.dewow(data, 0.0, 1.0)
    with pytest.raises(ValueError, match="window_ns"):
        gpr.dewow(data, DT, -1.0)
    with pytest.raises(ValueError, match="high_mhz"):
        gpr.bandpass(data, DT, 100, 1e9)
    with pytest.raises(ValueError, match="window_traces"):
        gpr.moving_background(data, 4)
    with pytest.raises(ValueError, match="method"):
        gpr.dewow(data, DT, 1.0, method="mode")
    with pytest.raises(ValueError, match="out"):
        gpr.dewow(data, DT, 1.0, out=np.empty((3, 3), data.dtype))


def test_main_job_runs(tmp_path, capsys):
    from sapper.__main__ import main
    assert main(["--png", str(tmp_path / "demo.png")]) == 0
    printed = capsys.readouterr().out
    assert "traces/s" in printed and "signal-to-clutter ratio" in printed and "ap_mine" in printed


@pytest.mark.parametrize("n,m", [(512, 1024), (512, 256), (511, 300), (300, 511), (683, 512), (64, 64)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_resample_samples_equals_scipy(n, m, dtype):
    x = np.random.default_rng(n + m).standard_normal((n, 7)).astype(dtype)
    y = gpr.resample_samples(x, m)
    assert y.shape == (m, 7) and y.dtype == dtype and y.flags.f_contiguous
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(y, scipy.signal.resample(x.astype(np.float64), m, axis=0), rtol=0, atol=tol)
    np.testing.assert_allclose(gpr.resample_samples(x[:, 2], m), y[:, 2], rtol=0, atol=tol)   # one trace
    np.testing.assert_array_equal(gpr.resample_samples(x, m, threads=1), gpr.resample_samples(x, m, threads=3))


def test_resample_samples_rejects_bad_input():
    x = np.ones((16, 3))
    with pytest.raises(ValueError, match="n_samples = 0"):
        gpr.resample_samples(x, 0)
    x[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gpr.resample_samples(x, 8)
    with pytest.raises(ValueError, match="empty"):
        gpr.resample_samples(np.ones((0, 3)), 8)

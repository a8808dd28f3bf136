"""sapper.clutter ground bounce: picks, flattening and removal on B-scans written from the Ricker
formula at known sub-sample bounce times, and bad input."""
import numpy as np
import pytest

from sapper import clutter

DT = 0.025


def ricker(t, f=1.5):
    a = np.pi * f * t
    return (1 - 2 * a * a) * np.exp(-a * a)


def scene(m=120, rough=0.08, seed=3):
    rng = np.random.default_rng(seed)
    x = np.arange(m)
    tg = 2.0 + rough * np.sin(0.13 * x + rng.uniform(0, 6)) + 0.5 * rough * np.sin(0.5 * x + rng.uniform(0, 6))
    amp = -(1 + 0.2 * np.sin(0.05 * x))
    t = np.arange(256)[:, None] * DT
    data = amp * ricker(t - tg) + 0.2 * ricker(t - 0.5)
    return np.asfortranarray(data), tg, amp


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_picks_flatten_and_remove(dtype):
    d, tg, amp = scene()
    d = d.astype(dtype)
    g = clutter.track_ground(d, DT, search_ns=(1.0, 5.0))
    assert g.dtype == np.float64 and g.shape == (120,)
    np.testing.assert_allclose(g, tg, atol=0.05 * DT)
    f, ref = clutter.flatten(d, DT, tg, reference_ns=2.0)
    assert ref == 2.0 and f.dtype == dtype
    t = np.arange(60, 100)[:, None] * DT
    np.testing.assert_allclose(f[60:100], amp * ricker(t - 2.0), atol=3e-3)
    y, fit = clutter.remove_ground(d, DT, g, remove_ringing=False)
    bounce = amp * ricker(np.arange(256)[:, None] * DT - tg)
    left = y - 0.2 * ricker(np.arange(256)[:, None] * DT - 0.5)
    assert np.sum(left ** 2) < 1e-3 * np.sum(bounce ** 2)
    assert set(fit) >= {"amplitude", "shift_ns", "removed_fraction", "reference_ns"}
    y2, _ = clutter.remove_ground(d, DT, g)  # with ringing: the fixed coupling goes too
    assert np.sum(y2.astype(np.float64) ** 2) < 1e-3 * np.sum(d.astype(np.float64) ** 2)
    assert not np.shares_memory(y2, d)


def test_bad_input():
    d, tg, _ = scene(16)
    with pytest.raises(ValueError, match="ground_ns"):
        clutter.remove_ground(d, DT, tg[:5])
    bad = tg.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match=r"ground_ns\[2\]"):
        clutter.flatten(d, DT, bad)
    with pytest.raises(ValueError, match="dt_ns"):
        clutter.track_ground(d, 0.0)
    with pytest.raises(ValueError, match="smooth_traces"):
        clutter.track_ground(d, DT, smooth_traces=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_suppress_ground_retracks_under_a_strong_drifting_coupling(dtype):
    # a coupling 1.5x the bounce, 0.3 ns before it, drifting 5 % in scale: the raw tracker locks on it
    d0, tg, amp = scene(200)
    t = np.arange(256)[:, None] * DT
    x = np.arange(200)
    clut = amp * ricker(t - tg) + (1 + 0.05 * np.sin(0.03 * x)) * 1.5 * ricker(t - 1.7)
    d = np.asfortranarray(clut.astype(dtype))
    assert np.max(np.abs(clutter.track_ground(d, DT) - tg)) > 0.1
    y, fit = clutter.suppress_ground(d, DT, ringing_rank=3)
    assert fit["ground_ns"].shape == (200,)
    assert fit["ringing_rank"] == 3
    assert np.sum(y.astype(np.float64) ** 2) < 1e-4 * np.sum(clut ** 2)
    # the default (rank by the singular-value gap) picks 1..3 components here and still removes > 30 dB
    y, fit = clutter.suppress_ground(d, DT)
    assert 1 <= fit["ringing_rank"] <= 3
    assert np.sum(y.astype(np.float64) ** 2) < 1e-3 * np.sum(clut ** 2)
    with pytest.raises(ValueError, match="ringing_max_rank"):
        clutter.suppress_ground(d, DT, ringing_max_rank=0)
    with pytest.raises(ValueError, match="ringing_rank"):
        clutter.suppress_ground(d, DT, ringing_rank=0)
    with pytest.raises(ValueError, match="iterations"):
        clutter.suppress_ground(d, DT, iterations=0)

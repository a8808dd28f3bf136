"""sapper.detect.prescreen: lone targets, CFAR against numpy and the analytic false-alarm rates,
stream == batch, positions, errors, and mines of a simulated lane."""
import math

import numpy as np
import pytest

import sapper
from sapper import eval as ev
from sapper.detect import prescreen as ps
from sapper.sim import gpr as simgpr


def ricker(t, f=1.0):
    a = (np.pi * f * t) ** 2
    return (1 - 2 * a) * np.exp(-a)


def lane(m=200, n=300, nc=1, dt=0.05, j0=140, t0=6.0, amp=8.0, ch=0, seed=0):
    """White noise (sd 1) plus a tapered hyperbola with apex at trace j0, time t0 (ns), channel ch."""
    rng = np.random.default_rng(seed)
    t = np.arange(m)[:, None] * dt
    dx = 0.02 * (np.arange(n) - j0)
    hyp = np.exp(-dx ** 2 / 0.01) * ricker(t - np.sqrt(t0 ** 2 + (2 * dx / 0.12) ** 2))
    x = rng.standard_normal((m, n, nc))
    for c in range(nc):
        x[:, :, c] += amp * (1 if c == ch else 0.5 if abs(c - ch) == 1 else 0) * hyp
    return x


@pytest.mark.parametrize("fn", [ps.energy, ps.lms])
@pytest.mark.parametrize("kind", ["ca", "os"])
@pytest.mark.parametrize("nc", [1, 4])
def test_lone_target_found_at_its_trace_and_time(fn, kind, nc):
    x = lane(nc=nc, ch=nc // 2)
    data = x[:, :, 0] if nc == 1 else x
    r = fn(data, 0.05, gate_ns=(4, 8), cfar=kind, threshold=3, train_channels=1 if nc > 1 else 0,
           x=0.02 * np.arange(300), y=0.1 * np.arange(nc))
    assert len(r.alarms) == 1
    a = r.alarms[0]
    assert abs(a["trace"] - 140) <= 2 and a["channel"] == nc // 2
    assert abs(a["time_ns"] - 6.0) <= 0.1 and abs(a["sample"] - 120) <= 2
    assert a["x"] == 0.02 * a["trace"] and a["y"] == 0.1 * a["channel"]
    assert r.score.shape == ((300,) if nc == 1 else (300, nc))
    assert a["confidence"] == (r.score[a["trace"]] if nc == 1 else r.score[a["trace"], a["channel"]])


def ca_reference(s, guard, train, causal=False):
    """CA-CFAR score of a 1-D statistic by direct loops."""
    n = len(s)
    out = np.zeros(n)
    for j in range(n):
        idx = [k for k in range(j - guard - train, j - guard) if k >= 0]
        if not causal:
            idx += [k for k in range(j + guard + 1, j + guard + train + 1) if k < n]
        out[j] = s[j] / np.mean(s[idx]) if idx else 0.0
    return out


@pytest.mark.parametrize("causal", [False, True])
def test_ca_cfar_matches_numpy_and_the_analytic_rate(causal):
    rng = np.random.default_rng(4)
    s = rng.exponential(size=60000)
    r = ps.cfar(s, guard=2, train=8, causal=causal, separation=0, separation_channels=0, threshold=0.0)
    np.testing.assert_allclose(r.score[:500], ca_reference(s[:520], 2, 8, causal)[:500], rtol=1e-12)
    n_cells = 8 if causal else 16
    for pfa in (0.1, 0.01):
        t = ps.ca_threshold(pfa, n_cells)
        assert math.isclose(ps.pfa_ca(t, n_cells), pfa)
        inner = r.score[30:-30]
        hits = np.count_nonzero(inner >= t)
        assert abs(hits - pfa * inner.size) < 5 * math.sqrt(pfa * inner.size)
    assert len(r.alarms) == np.count_nonzero(r.score >= 0.0)


def test_os_cfar_analytic_rate():
    s = np.random.default_rng(8).exponential(size=80000)
    r = ps.cfar(s, cfar="os", os_rank=0.75, guard=1, train=12, separation=0, threshold=0.0)
    t = 6.0
    p = ps.pfa_os(t, 24, 18)
    inner = r.score[30:-30]
    assert abs(np.count_nonzero(inner >= t) - p * inner.size) < 5 * math.sqrt(p * inner.size)


@pytest.mark.parametrize("statistic", ["energy", "lms"])
@pytest.mark.parametrize("causal", [False, True])
def test_stream_in_blocks_equals_batch(statistic, causal):
    x = lane(m=80, n=157, nc=3, dt=0.1, j0=80, t0=3.0, amp=6.0, ch=1, seed=3).astype(np.float32)
    kw = dict(gate_ns=(1.0, math.inf), window=3, causal=causal, train_channels=1, threshold=1.2, separation=4,
              separation_channels=1)
    xs = 0.05 * np.arange(157)
    fn = ps.energy if statistic == "energy" else ps.lms
    extra = {"channels": 1} if statistic == "lms" else {}
    b = fn(x, 0.1, x=xs, y=[-0.1, 0, 0.1], **kw, **extra)
    assert len(b.alarms) > 0
    for block in (1, 7, 157):
        s = ps.PrescreenStream(statistic, 80, 0.1, n_channels=3, y=[-0.1, 0, 0.1],
                               lms={"channels": 1} if extra else None, **kw)
        parts = [s.process(x[:, j:j + block], x=xs[j:j + block]) for j in range(0, 157, block)] + [s.flush()]
        alarms = np.concatenate([p.alarms for p in parts])
        np.testing.assert_array_equal(alarms, b.alarms)
        np.testing.assert_array_equal(np.concatenate([p.score for p in parts]), b.score)
        np.testing.assert_array_equal(np.concatenate([p.statistic for p in parts]), b.statistic)
        assert len(parts[0].score) == max(0, min(block, 157) - s.delay)


def test_separation_in_metres():
    x = lane()[:, :, 0]
    x += lane(j0=170, seed=1)[:, :, 0] - np.random.default_rng(1).standard_normal(x.shape)  # second target 30 traces on
    kw = dict(gate_ns=(4, 8), threshold=3, guard=40, train=16)
    assert len(ps.energy(x, 0.05, separation=10, **kw).alarms) == 2
    assert len(ps.energy(x, 0.05, separation_m=1.0, trace_spacing_m=0.02, **kw).alarms) == 1
    assert len(ps.energy(x, 0.05, separation_m=1.0, x=0.02 * np.arange(300), **kw).alarms) == 1


def test_alarms_feed_eval_score():
    r = ps.energy(lane()[:, :, 0], 0.05, gate_ns=(4, 8), threshold=3, x=0.02 * np.arange(300), y=0.0)
    truth = {"area": {"x0": 0, "x1": 6, "y0": -0.5, "y1": 0.5},
             "objects": [{"id": 1, "type": "PMN", "label": "ap_mine", "x": 2.8, "y": 0.0, "depth": 0.05,
                          "size": 0.112}]}
    s = ev.score(r.alarms, truth)
    assert "1/1" in s.table()


def test_errors():
    x = np.random.default_rng(0).standard_normal((50, 40))
    with pytest.raises(ValueError, match="window"):
        ps.energy(x, 0.1, window=2)
    with pytest.raises(ValueError, match="train"):
        ps.energy(x, 0.1, train=0)
    with pytest.raises(ValueError, match="os_rank"):
        ps.energy(x, 0.1, cfar="os", os_rank=1.5)
    with pytest.raises(ValueError, match="cfar"):
        ps.energy(x, 0.1, cfar="median")
    with pytest.raises(ValueError, match="gate"):
        ps.energy(x, 0.1, gate_ns=(10, 20))
    with pytest.raises(ValueError, match="step"):
        ps.lms(x, 0.1, step=2.0)
    with pytest.raises(ValueError, match="lms_channels"):
        ps.lms(x, 0.1, channels=1)
    with pytest.raises(ValueError, match="dt_ns"):
        ps.energy(x, 0.0)
    with pytest.raises(ValueError, match="separation_m"):
        ps.energy(x, 0.1, separation_m=0.2)
    with pytest.raises(ValueError, match="x has shape"):
        ps.energy(x, 0.1, x=np.arange(39))
    with pytest.raises(TypeError):
        ps.energy(x.astype(complex), 0.1)
    with pytest.raises(ValueError, match="shape"):
        ps.energy(x[0], 0.1)
    with pytest.raises(ValueError, match=">= 0"):
        ps.cfar(-np.ones(10))
    y = x.copy()
    y[3, 7] = np.nan
    with pytest.raises(ValueError, match="sample 3, trace 7"):
        ps.energy(y, 0.1)
    with pytest.raises(ValueError, match="holds nan"):  # also caught in C++
        ps.energy(y, 0.1, check_finite=False)
    s = ps.PrescreenStream("energy", 50, 0.1)
    with pytest.raises(ValueError, match="block"):
        s.process(x[:40])


def test_mines_in_a_simulated_lane():
    scene = {"lane": {"length_m": 10, "channels": 4, "channel_spacing_m": 0.1}, "ground": {"roughness_rms_m": 0.005},
             "objects": [{"type": "PMN", "x": 2.0, "y": 0.05, "depth": 0.05},
                         {"type": "TS-50", "x": 5.0, "y": -0.05, "depth": 0.08},
                         {"type": "PMA-1", "x": 8.0, "y": 0.15, "depth": 0.05}]}
    lane_ = simgpr.simulate(scene, seed=2)
    d = np.stack([sapper.gpr.moving_background(lane_.channel(c), 51) for c in range(4)], axis=2)
    r = ps.energy(d, lane_.dt_ns, time_zero_ns=lane_.scene["recording"]["time_zero_ns"], gate_ns=(1.5, 8.0),
                  x=lane_.x, y=lane_.y, threshold=1.2, train_channels=1, separation_m=0.3)
    mines = np.array([(o["x"], o["y"]) for o in lane_.truth["objects"]])
    dist = np.hypot(r.alarms["x"][:, None] - mines[:, 0], r.alarms["y"][:, None] - mines[:, 1])
    hit = dist.min(axis=1) <= 0.25
    false_best = r.alarms["confidence"][~hit].max(initial=0.0)
    for k in range(3):  # every mine has an alarm above every false alarm
        assert r.alarms["confidence"][dist[:, k] <= 0.25].max(initial=0.0) > false_best

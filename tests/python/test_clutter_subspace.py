"""sapper.clutter subspace methods against numpy references written here."""
import numpy as np
import pytest

from sapper import clutter


def tol(dt):
    return dict(rtol=1e-4, atol=1e-4) if dt == np.float32 else dict(rtol=1e-9, atol=1e-9)


def scene(m=160, n=240, seed=0):
    """Rank-1 background b c^T plus targets with T^T b = 0 and T c = 0 (b is then a singular vector)."""
    i = np.arange(m)
    a = (i - 25) / 4
    b = (1 - 2 * a * a) * np.exp(-a * a) + 0.05 * np.exp(-i / 60)
    c = 1 + 0.2 * np.sin(np.arange(n) / 13)
    rng = np.random.default_rng(seed)
    t = np.zeros((m, n))
    for _ in range(4):
        r0, c0 = rng.integers(60, m - 20), rng.integers(20, n - 20)
        t[r0:r0 + 6, c0 - 10:c0 + 10] += 0.05 * rng.standard_normal((6, 20))
    t -= np.outer(b, b @ t) / (b @ b)
    t -= np.outer(t @ c, c) / (c @ c)
    return np.outer(b, c) + t, t


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_truncated_svd_matches_numpy(dt):
    rng = np.random.default_rng(1)
    u0, _ = np.linalg.qr(rng.standard_normal((200, 60)))
    v0, _ = np.linalg.qr(rng.standard_normal((150, 60)))
    a = ((u0 * 0.8 ** np.arange(60)) @ v0.T).astype(dt)
    u, s, vt = clutter.truncated_svd(a, 5, power_iters=3)
    U, S, Vt = np.linalg.svd(a.astype(np.float64), full_matrices=False)
    assert u.dtype == dt and u.shape == (200, 5) and s.shape == (5,) and vt.shape == (5, 150)
    t = 1e-5 if dt == np.float32 else 1e-10
    np.testing.assert_allclose(s, S[:5], rtol=t)
    np.testing.assert_allclose(np.abs(np.sum(u * U[:, :5], 0)), 1, atol=t * 10)
    np.testing.assert_allclose(np.abs(np.sum(vt * Vt[:5], 1)), 1, atol=t * 10)
    u2, s2, _ = clutter.truncated_svd(a, 5, power_iters=3, threads=1)
    assert np.array_equal(u, u2) and np.array_equal(s, s2)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_eigenimage_separates_rank1_background(dt):
    x, t = scene()
    xd = np.asfortranarray(x, dtype=dt)
    y, ranks = clutter.eigenimage(xd, return_rank=True)  # automatic (gap): rank 1
    assert ranks == [1] and y.dtype == dt
    scale = np.abs(x).max()
    np.testing.assert_allclose(y, t, atol=(2e-5 if dt == np.float32 else 1e-12) * scale)
    # same components as numpy's full SVD; in place through out=
    # (components 1, 2 of the targets have a small gap: a wider sketch and more passes resolve them)
    u, s, vt = np.linalg.svd(xd.astype(np.float64), full_matrices=False)
    ref = xd - (u[:, 1:3] * s[1:3]) @ vt[1:3]
    out = xd.copy(order="F")
    r = clutter.eigenimage(out, rank=2, first=1, out=out, oversample=40, power_iters=6)
    assert r is out
    np.testing.assert_allclose(out, ref, atol=(5e-5 if dt == np.float32 else 1e-10) * scale)


def test_eigenimage_energy_rule_and_blocks():
    x, _ = scene()
    s = np.linalg.svd(x, compute_uv=False)
    e = (s[0] ** 2 + 0.5 * s[1] ** 2) / (x ** 2).sum()  # needs two components
    _, r = clutter.eigenimage(x, energy=e, return_rank=True)
    assert r == [2]
    y, r = clutter.eigenimage(x, rank=1, block=64, overlap=16, return_rank=True)
    assert len(r) == 5 and y.shape == x.shape  # starts 0, 48, 96, 144, 176
    # each block alone and the first trace: only block 0 covers it, with weight 1
    u, sv, vt = np.linalg.svd(x[:, :64], full_matrices=False)
    np.testing.assert_allclose(y[:, 0], (x[:, :64] - sv[0] * np.outer(u[:, 0], vt[0]))[:, 0], atol=1e-10)


def test_rpca_recovers_rank1_plus_sparse():
    rng = np.random.default_rng(4)
    l0 = np.outer(rng.standard_normal(150), rng.standard_normal(250))
    s0 = np.where(rng.random((150, 250)) < 0.04, rng.choice([-1, 1], (150, 250)) * rng.uniform(2, 5, (150, 250)), 0)
    # float32 input carries its rounding (~1e-7 relative) as noise: a tolerance above it
    for dt, tol_ in ((np.float64, 1e-9), (np.float32, 1e-6)):
        lo, sp, info = clutter.rpca((l0 + s0).astype(dt), rank=4, tol=tol_)
        assert lo.dtype == dt and info.converged and info.rank == 1
        assert np.linalg.norm(lo - l0) / np.linalg.norm(l0) < 1e-5
        assert np.linalg.norm(sp - s0) / np.linalg.norm(s0) < 1e-5
        obj = np.linalg.svd(lo.astype(np.float64), compute_uv=False).sum() + info.lam * np.abs(sp).sum()
        assert abs(info.objective - obj) < 1e-5 * obj
    assert info.lam == pytest.approx(1 / np.sqrt(250))


def whiten_ref(x, w, causal, floor=0.0):
    m, n = x.shape
    y = np.zeros_like(x, dtype=np.float64)
    for j in range(n):
        a, b = (max(0, j - w + 1), j + 1) if causal else (max(0, j - w // 2), min(n, j + w // 2 + 1))
        seg = x[:, a:b].astype(np.float64)
        den = np.maximum(seg.std(1), floor)
        y[:, j] = np.where(den > 0, (x[:, j] - seg.mean(1)) / np.where(den > 0, den, 1), 0)
    return y


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("causal", [False, True])
def test_whiten_matches_direct_loop(dt, causal):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((50, 120)) * np.linspace(0.1, 3, 50)[:, None] + 4).astype(dt)
    x[7] = 1.5
    y = clutter.whiten(x, 21, causal, min_std=0.05)
    assert y.dtype == dt
    np.testing.assert_allclose(y, whiten_ref(x, 21, causal, 0.05), **tol(dt))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_streams_equal_batch_causal(dt):
    x, _ = scene(96, 200)
    x = np.asfortranarray(x + 0.01 * np.random.default_rng(3).standard_normal(x.shape), dtype=dt)
    splits = [1, 6, 50, 1, 142]
    for batch, stream in [
        (clutter.whiten(x, 16, True), clutter.WhitenStream(96, 16, dtype=dt)),
        (clutter.eigenimage_causal(x, 64, 16, rank=1), clutter.EigenimageStream(96, 64, 16, rank=1, dtype=dt)),
    ]:
        parts, j = [], 0
        for s in splits:
            parts.append(stream.process(x[:, j:j + s]))
            j += s
        assert np.array_equal(np.concatenate(parts, 1), batch)
        stream.reset()
        assert np.array_equal(stream.process(x), batch)


def test_bad_input_raises_value_error():
    x = np.ones((20, 30), np.float32)
    with pytest.raises(ValueError, match="shape"):
        clutter.eigenimage(np.ones(20))
    with pytest.raises(ValueError, match="empty"):
        clutter.whiten(np.ones((0, 3)))
    bad = x.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="sample 2, trace 3"):
        clutter.rpca(bad)
    with pytest.raises(ValueError, match="rank"):
        clutter.eigenimage(x, rank=0)
    with pytest.raises(ValueError, match="energy"):
        clutter.eigenimage(x, energy=1.5)
    with pytest.raises(ValueError, match="overlap"):
        clutter.eigenimage(x, block=10, overlap=6)
    with pytest.raises(ValueError, match="k ="):
        clutter.truncated_svd(x, 21)
    with pytest.raises(ValueError, match="window"):
        clutter.whiten(x, 10)
    with pytest.raises(ValueError, match="lam"):
        clutter.rpca(x, lam=-1)
    with pytest.raises(ValueError, match="dtype"):
        clutter.WhitenStream(20).process(np.ones((20, 3)))
    x0 = x.copy()
    clutter.eigenimage(x), clutter.whiten(x), clutter.rpca(x, rank=2, max_iter=3)
    assert np.array_equal(x, x0)  # inputs untouched

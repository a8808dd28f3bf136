"""sapper.mag source fits and Euler deconvolution against numpy/scipy references written here."""
import numpy as np
import pytest
from scipy.optimize import least_squares

import sapper.mag as mag
import sapper.sim.mag as simmag

F, INC, DEC = 49800.0, 58.0, 6.0
U = np.array([np.cos(np.radians(INC)) * np.sin(np.radians(DEC)), np.cos(np.radians(INC)) * np.cos(np.radians(DEC)),
              -np.sin(np.radians(INC))])


def field_np(dip, x, y, z):
    """B of a dipole (x0, y0, z0, mx, my, mz), nT: 1e-7 [3 (m.r^) r^ - m] / r^3 T, in numpy."""
    r = np.stack(np.broadcast_arrays(x - dip[0], y - dip[1], z - dip[2]), axis=-1)
    m = np.asarray(dip[3:6])
    r2 = (r * r).sum(-1)[..., None]
    return 100.0 * (3 * (r @ m)[..., None] * r / r2 - m) / r2 ** 1.5


def anomaly_np(dips, x, y, z):
    """Exact |F + B| - |F|, nT."""
    b = sum(field_np(d, x, y, z) for d in dips)
    return np.linalg.norm(F * U + b, axis=-1) - F


def cart():
    """21 tracks 0.25 m apart, readings every 0.05 m over 4 m: 1,701 points at 0.3 m."""
    tx, ty = np.meshgrid(-2.5 + 0.25 * np.arange(21), -2.0 + 0.05 * np.arange(81), indexing="ij")
    x, y = tx.ravel(), ty.ravel()
    return x, y, np.full_like(x, 0.3)


def at_mine(rng):
    depth, ind = rng.uniform(0.2, 0.5), rng.uniform(0.2, 0.6)
    return np.array([*rng.uniform(-0.4, 0.4, 2), -depth, *(ind * U + rng.uniform(-0.1, 0.1, 3))])


def errors(fit, dip):
    pos = np.hypot(np.hypot(fit.x - dip[0], fit.y - dip[1]), fit.z - dip[2])
    mom = np.linalg.norm(np.subtract(fit.moment, dip[3:6])) / np.linalg.norm(dip[3:6])
    return pos, mom


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fit_recovers_noisy_at_mine(seed):
    rng = np.random.default_rng(seed)
    dip = at_mine(rng)
    x, y, z = cart()
    dT = anomaly_np([dip], x, y, z) + rng.normal(0, rng.uniform(0.2, 0.5), x.size)
    before = dT.copy()
    f = mag.fit_dipole(x, y, z, dT, field=(F, INC, DEC))
    pos, mom = errors(f, dip)
    assert pos < 0.05 and mom < 0.10
    assert f.converged and f.points_used == x.size
    assert f.depth == pytest.approx(-f.z)
    assert np.array_equal(dT, before)  # the input is not modified
    # features against their definitions, computed here
    m = np.array(f.moment)
    assert f.moment_am2 == pytest.approx(np.linalg.norm(m))
    assert f.remanence_deg == pytest.approx(np.degrees(np.arccos(m @ U / np.linalg.norm(m))), abs=1e-9)
    assert f.declination_deg == pytest.approx(np.degrees(np.arctan2(m[0], m[1])), abs=1e-9)
    model = anomaly_np([[f.x, f.y, f.z, *m]], x, y, z) + f.base_nt
    assert f.rms_nt == pytest.approx(np.sqrt(np.mean((dT - model) ** 2)), rel=1e-3)
    assert f.coherence == pytest.approx(np.corrcoef(dT, model)[0, 1], abs=1e-4)


def test_fit_agrees_with_scipy_least_squares():
    """Same linear model F^.B + b, same data: the variable-projection fit equals scipy's full 7-parameter one."""
    rng = np.random.default_rng(9)
    dip = at_mine(rng)
    x, y, z = cart()
    dT = anomaly_np([dip], x, y, z) + rng.normal(0, 0.3, x.size)

    def resid(p):
        return field_np(p[:6], x, y, z) @ U + p[6] - dT

    ref = least_squares(resid, [0, 0, -0.5, 0.1, 0.1, -0.1, 0], xtol=1e-12, ftol=1e-12, gtol=1e-12)
    f = mag.fit_dipole(x, y, z, dT, loss="l2", exact=False, xtol=1e-9)
    assert [f.x, f.y, f.z] == pytest.approx(ref.x[:3], abs=1e-5)
    assert f.moment == pytest.approx(ref.x[3:6], abs=1e-5)
    assert f.base_nt == pytest.approx(ref.x[6], abs=1e-4)


def test_robust_loss_survives_spikes():
    rng = np.random.default_rng(3)
    dip = np.array([0.2, -0.1, -0.35, *(0.3 * U + [0.05, 0.02, -0.04])])
    x, y, z = cart()
    dT = anomaly_np([dip], x, y, z) + rng.normal(0, 0.3, x.size)
    idx = rng.choice(x.size, int(0.05 * x.size), replace=False)
    dT[idx] += rng.choice([-1, 1], idx.size) * rng.uniform(50, 500, idx.size)
    for loss in ("huber", "cauchy"):
        pos, mom = errors(mag.fit_dipole(x, y, z, dT, loss=loss), dip)
        assert pos < 0.05 and mom < 0.10, loss


def test_depth_bounds_are_respected():
    x, y, z = cart()
    dip = np.array([0, 0, -0.6, *(0.5 * U)])
    dT = anomaly_np([dip], x, y, z)
    f = mag.fit_dipole(x, y, z, dT, depth_bounds=(0.05, 0.4))
    assert f.depth == pytest.approx(0.4)
    f = mag.fit_dipole(x, y, z, dT, depth_bounds=(0.8, 2.0), ground_z=0.0)
    assert f.depth == pytest.approx(0.8)


def test_multi_dipole_separates_overlapping_anomalies():
    rng = np.random.default_rng(4)
    a = np.array([-0.45, 0.1, -0.3, *(0.4 * U + [0.05, 0, 0])])
    b = np.array([0.45, -0.2, -0.4, *(0.3 * U + [0, -0.05, 0.03])])
    x, y, z = cart()
    dT = anomaly_np([a, b], x, y, z) + rng.normal(0, 0.3, x.size)
    m = mag.fit_dipoles(x, y, z, dT)
    assert len(m.dipoles) == 2
    for dip in (a, b):
        best = min(m.dipoles, key=lambda f: errors(f, dip)[0])
        pos, mom = errors(best, dip)
        assert pos < 0.05 and mom < 0.10
    model = anomaly_np([[f.x, f.y, f.z, *f.moment] for f in m.dipoles], x, y, z) + m.dipoles[0].base_nt
    assert np.allclose(m.residual_nt, dT - model, atol=1e-3)
    assert m.rms_nt < 0.5


def test_select_window_matches_numpy():
    x, y, _ = cart()
    idx = mag.select_window(x, y, (0.3, -0.4), 0.7)
    assert np.array_equal(idx, np.flatnonzero(np.hypot(x - 0.3, y + 0.4) <= 0.7))


def euler_grids(dip, n, cell, height):
    """The exact anomaly on a grid and its derivatives by central differences, numpy."""
    gx, gy = np.meshgrid(cell * np.arange(n), cell * np.arange(n))
    h = 1e-4
    t = anomaly_np([dip], gx, gy, height)
    dx = (anomaly_np([dip], gx + h, gy, height) - anomaly_np([dip], gx - h, gy, height)) / (2 * h)
    dy = (anomaly_np([dip], gx, gy + h, height) - anomaly_np([dip], gx, gy - h, height)) / (2 * h)
    dz = (anomaly_np([dip], gx, gy, height + h) - anomaly_np([dip], gx, gy, height - h)) / (2 * h)
    return mag.Grid(t, 0, 0, cell, cell), dx, dy, dz


def test_euler_puts_solutions_at_a_dipole():
    dip = np.array([3.23, 3.08, -0.4, *(0.4 * U)])
    g, dx, dy, dz = euler_grids(dip, 64, 0.1, 0.3)
    s = mag.euler_deconvolution(g, dx, dy, dz, window=10, height=0.3)
    near = s["accepted"] & (np.hypot(s["window_x"] - dip[0], s["window_y"] - dip[1]) < 1.0)
    assert near.sum() > 20
    assert abs(np.median(s["x"][near]) - dip[0]) < 0.1
    assert abs(np.median(s["y"][near]) - dip[1]) < 0.1
    assert 0.3 - np.median(s["z"][near]) == pytest.approx(0.3 - dip[2], rel=0.1)


def test_euler_windows_match_numpy_lstsq():
    rng = np.random.default_rng(2)
    dip = np.array([1.0, 1.2, -0.3, *(0.4 * U)])
    g, dx, dy, dz = euler_grids(dip, 24, 0.1, 0.3)
    t = g.values + rng.normal(0, 0.5, g.shape)
    t[4, 5] = np.nan
    g = g.like(t)
    w, step, n_si = 7, 3, 3.0
    s = mag.euler_deconvolution(g, dx, dy, dz, window=w, step=step, structural_index=n_si, height=0.3, threads=1)
    nw = (24 - w) // step + 1
    for jw in range(nw):
        for iw in range(nw):
            sl = (slice(jw * step, jw * step + w), slice(iw * step, iw * step + w))
            yy, xx = np.meshgrid(g.y[sl[0]], g.x[sl[1]], indexing="ij")
            ok = np.isfinite(t[sl])
            a = np.column_stack([dx[sl][ok], dy[sl][ok], dz[sl][ok], np.full(ok.sum(), n_si)])
            b = xx[ok] * dx[sl][ok] + yy[ok] * dy[sl][ok] + 0.3 * dz[sl][ok] + n_si * t[sl][ok]
            sol, res, *_ = np.linalg.lstsq(a, b, rcond=None)
            cov = res[0] / (ok.sum() - 4) * np.linalg.inv(a.T @ a)
            k = jw * nw + iw
            assert s["cells"][k] == ok.sum()
            assert [s["x"][k], s["y"][k], s["z"][k], s["base"][k]] == pytest.approx(sol, rel=1e-6, abs=1e-7)
            assert s["sigma_z"][k] == pytest.approx(np.sqrt(cov[2, 2]), rel=1e-4)


def test_euler_thread_count_does_not_change_results():
    g, dx, dy, dz = euler_grids(np.array([1.5, 1.5, -0.3, *(0.4 * U)]), 32, 0.1, 0.3)
    one = mag.euler_deconvolution(g, dx, dy, dz, window=8, height=0.3, threads=1)
    many = mag.euler_deconvolution(g, dx, dy, dz, window=8, height=0.3, threads=3)
    for k in one:
        assert np.array_equal(one[k], many[k], equal_nan=k not in ("cells", "accepted")), k


def test_forward_model_is_reexported():
    assert mag.dipole_anomaly is simmag.dipole_anomaly
    x, y, z = cart()
    dip = [0.1, 0.2, -0.3, 0.1, 0.2, -0.3]
    assert np.allclose(mag.dipole_anomaly(dip, x, y, z, field=(F, INC, DEC)), anomaly_np([dip], x, y, z), atol=1e-9)


def test_bad_input_is_named():
    x, y, z = cart()
    dT = anomaly_np([[0, 0, -0.3, *(0.3 * U)]], x, y, z)
    with pytest.raises(ValueError, match="broadcast"):
        mag.fit_dipole(x, y, z, dT[:-1])
    bad = dT.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match=r"dT\[7\]"):
        mag.fit_dipole(x, y, z, bad)
    with pytest.raises(ValueError, match="loss"):
        mag.fit_dipole(x, y, z, dT, loss="tukey")
    with pytest.raises(ValueError, match="min_depth"):
        mag.fit_dipole(x, y, z, dT, depth_bounds=(0.5, 0.1))
    with pytest.raises(ValueError, match="at least"):
        mag.fit_dipole(x[:3], y[:3], z[:3], dT[:3])
    with pytest.raises(ValueError, match="inclination"):
        mag.fit_dipole(x, y, z, dT, field=(F, 95, DEC))
    with pytest.raises(ValueError, match="max_dipoles"):
        mag.fit_dipoles(x, y, z, dT, max_dipoles=0)
    with pytest.raises(ValueError, match="radius"):
        mag.select_window(x, y, (0, 0), 0)
    g = mag.Grid(np.zeros((20, 20)), 0, 0, 0.1, 0.1)
    z20 = np.zeros((20, 20))
    with pytest.raises(ValueError, match="dy"):
        mag.euler_deconvolution(g, z20, np.zeros((20, 19)), z20)
    with pytest.raises(ValueError, match="window"):
        mag.euler_deconvolution(g, z20, z20, z20, window=40)
    with pytest.raises(ValueError, match="structural_index"):
        mag.euler_deconvolution(g, z20, z20, z20, structural_index=-1)
    with pytest.raises(ValueError, match="Grid"):
        mag.euler_deconvolution(z20, z20, z20, z20)

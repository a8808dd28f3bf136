"""sapper.mag sources side by side with numpy/scipy, in one run; prints times and ratios.

    PYTHONPATH=<site> python bench/mag/compare_source.py [--full]

1. dipole forward model, 10 dipoles x 1e6 points: sapper.sim.mag.dipole_anomaly
   vs a vectorised numpy |F + B| - |F|;
2. one dipole fit on 1,701 cart readings: sapper.mag.fit_dipole vs
   scipy.optimize.least_squares on the same model (7 parameters: position,
   moment, base), plain least squares and Huber;
3. moving-window Euler deconvolution on a 256 x 256 grid (window 10, every
   window): sapper.mag.euler_deconvolution vs a numpy loop of np.linalg.lstsq
   per window (timed on every 8th row of windows and scaled, unless --full).
"""
import argparse
import os
import sys

import numpy as np
from scipy.optimize import least_squares

import sapper.mag as mag
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402

F, INC, DEC = 49800.0, 58.0, 6.0
U = np.array([np.cos(np.radians(INC)) * np.sin(np.radians(DEC)), np.cos(np.radians(INC)) * np.cos(np.radians(DEC)),
              -np.sin(np.radians(INC))])


def numpy_anomaly(dips, x, y, z):
    bx = np.zeros_like(x)
    by = np.zeros_like(x)
    bz = np.zeros_like(x)
    for d in dips:
        rx, ry, rz = x - d[0], y - d[1], z - d[2]
        r2 = rx * rx + ry * ry + rz * rz
        s = 100.0 / (r2 * np.sqrt(r2))
        t = 3 * (d[3] * rx + d[4] * ry + d[5] * rz) / r2
        bx += s * (t * rx - d[3])
        by += s * (t * ry - d[4])
        bz += s * (t * rz - d[5])
    fx, fy, fz = F * U
    return np.sqrt((fx + bx) ** 2 + (fy + by) ** 2 + (fz + bz) ** 2) - F


def forward():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 20, (2, 1_000_000))
    z = np.full_like(x, 0.3)
    dips = np.column_stack([rng.uniform(0, 20, (10, 2)), np.full(10, -0.2), rng.uniform(-1, 1, (10, 3))])
    ts, a = best(lambda: mag.dipole_anomaly(dips, x, y, z, field=(F, INC, DEC)), 5)
    tn, b = best(lambda: numpy_anomaly(dips, x, y, z), 3)
    assert np.allclose(a, b, atol=1e-6)
    print(f"forward model 10 dipoles x 1e6 points: sapper {ts * 1e3:8.2f} ms  numpy {tn * 1e3:8.2f} ms"
          f"  ratio {tn / ts:6.1f}x")


def fit():
    tx, ty = np.meshgrid(-2.5 + 0.25 * np.arange(21), -2.0 + 0.05 * np.arange(81), indexing="ij")
    x, y = tx.ravel(), ty.ravel()
    z = np.full_like(x, 0.3)
    dip = [0.12, -0.07, -0.35, *(0.3 * U + [0.05, 0, -0.03])]
    dT = mag.dipole_anomaly(dip, x, y, z, field=(F, INC, DEC)) + np.random.default_rng(1).normal(0, 0.3, x.size)

    def resid(p):
        rx, ry, rz = x - p[0], y - p[1], z - p[2]
        r2 = rx * rx + ry * ry + rz * rz
        ur = U[0] * rx + U[1] * ry + U[2] * rz
        mr = p[3] * rx + p[4] * ry + p[5] * rz
        return 100.0 * (3 * ur * mr / r2 - U @ p[3:6]) / (r2 * np.sqrt(r2)) + p[6] - dT

    i = np.argmax(np.abs(dT - np.median(dT)))
    p0 = np.array([x[i], y[i], -0.5, *(0.1 * U), 0.0])  # the peak, a typical depth, an induced moment
    for label, kw_s, kw_p in (("least squares", dict(loss="l2", exact=False), dict()),
                              ("huber", dict(loss="huber", exact=False), dict(loss="huber", f_scale=0.45))):
        ts, f = best(lambda: mag.fit_dipole(x, y, z, dT, field=(F, INC, DEC), **kw_s), 20)
        tp, r = best(lambda: least_squares(resid, p0, **kw_p), 3)
        err_s = np.hypot(np.hypot(f.x - dip[0], f.y - dip[1]), f.z - dip[2])
        err_p = np.hypot(np.hypot(r.x[0] - dip[0], r.x[1] - dip[1]), r.x[2] - dip[2])
        print(f"dipole fit ({label}), 1,701 points: sapper {ts * 1e3:7.3f} ms ({f.iterations} LM iterations, "
              f"error {err_s * 100:.2f} cm)  scipy {tp * 1e3:8.2f} ms ({r.nfev} evaluations, {r.njev} Jacobians, "
              f"error {err_p * 100:.2f} cm)  ratio {tp / ts:6.1f}x")
    ts, f = best(lambda: mag.fit_dipole(x, y, z, dT, field=(F, INC, DEC)), 20)
    print(f"dipole fit (defaults: huber + exact model): sapper {ts * 1e3:7.3f} ms ({f.iterations} LM iterations)")


def euler(full):
    n, w, cell = 256, 10, 0.1
    gx, gy = np.meshgrid(cell * np.arange(n), cell * np.arange(n))
    rng = np.random.default_rng(2)
    dips = np.column_stack([rng.uniform(1, 24, (20, 2)), rng.uniform(-0.6, -0.2, 20), 0.3 * np.tile(U, (20, 1))])
    h = 1e-4
    a = lambda xx, yy, zz: mag.dipole_anomaly(dips, xx, yy, zz, field=(F, INC, DEC))  # noqa: E731
    t = a(gx, gy, 0.3) + rng.normal(0, 0.1, gx.shape)
    dx = (a(gx + h, gy, 0.3) - a(gx - h, gy, 0.3)) / (2 * h)
    dy = (a(gx, gy + h, 0.3) - a(gx, gy - h, 0.3)) / (2 * h)
    dz = (a(gx, gy, 0.3 + h) - a(gx, gy, 0.3 - h)) / (2 * h)
    g = mag.Grid(t, 0, 0, cell, cell)
    ts, s = best(lambda: mag.euler_deconvolution(g, dx, dy, dz, window=w, height=0.3), 5)
    t1, _ = best(lambda: mag.euler_deconvolution(g, dx, dy, dz, window=w, height=0.3, threads=1), 5)
    nw = n - w + 1
    rows = range(nw) if full else range(0, nw, 8)

    def numpy_loop():
        out = {}
        for j in rows:
            for i in range(nw):
                sl = (slice(j, j + w), slice(i, i + w))
                ok = np.isfinite(t[sl])
                A = np.column_stack([dx[sl][ok], dy[sl][ok], dz[sl][ok], np.full(ok.sum(), 3.0)])
                b = gx[sl][ok] * dx[sl][ok] + gy[sl][ok] * dy[sl][ok] + 0.3 * dz[sl][ok] + 3.0 * t[sl][ok]
                out[j, i] = np.linalg.lstsq(A, b, rcond=None)[0]
        return out

    tn, ref = best(numpy_loop, 1)
    tn *= nw / len(rows)
    k = [(j, i) for (j, i) in ref][:: max(1, len(ref) // 200)]
    assert all(np.allclose([s["x"][j * nw + i], s["y"][j * nw + i], s["z"][j * nw + i]], ref[j, i][:3], atol=1e-6)
               for j, i in k)
    print(f"Euler 256 x 256, window {w} ({nw * nw} windows): sapper {ts * 1e3:7.2f} ms (1 thread {t1 * 1e3:.2f} ms)"
          f"  numpy loop {tn:7.2f} s{'' if full else ' (scaled from 1/8 of the rows)'}"
          f"  ratio {tn / ts:6.0f}x (1 thread {tn / t1:.0f}x)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="time the numpy Euler loop on every window")
    args = ap.parse_args()
    forward()
    fit()
    euler(args.full)

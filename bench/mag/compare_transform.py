"""Time sapper's reduction to the pole against the same filter written with numpy.fft (rfft2 /
irfft2, the same cosine-taper padding to the same fast size), side by side in one run, and print
the ratio. Also the total gradient amplitude (one forward, three inverse FFTs).

    python bench/mag/compare_transform.py [--n 1024] [--threads 0] [--reps 5]
"""
import argparse
import math
import os
import sys

import numpy as np

from sapper import mag
from sapper.sim import mag as smag
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402


def good_size(n):
    m = n
    while True:
        r = m
        for p in (2, 3, 5, 7):
            while r % p == 0:
                r //= p
        if r == 1:
            return m
        m += 1


def taper_axis(n, frac=0.25):
    N = good_size(n + 2 * math.ceil(frac * n))
    o = (N - n) // 2
    idx = np.arange(N) - o
    c = np.clip(idx, 0, n - 1)
    d = np.abs(idx - c)
    side = np.where(idx < 0, o, N - n - o)
    return o, c, np.where(d == 0, 1.0, 0.5 * (1 + np.cos(np.pi * d / (side + 1))))


def theta(inc, dec, stab, KX, KY, K):
    I, D = np.radians(inc), np.radians(dec)
    Ip = I if abs(inc) >= stab else math.copysign(np.radians(stab), inc)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(K > 0, np.cos(I) * (np.sin(D) * KX + np.cos(D) * KY) / K, 0.0)
    r = np.cos(Ip) / np.cos(I)
    den = np.sqrt(np.sin(I) ** 2 + b**2) * np.sqrt(np.sin(Ip) ** 2 + (r * b) ** 2)
    return (np.sin(I) - 1j * b) / den


def padded_spectrum(g):
    """rfft2 of the grid padded with the cosine taper, its wavenumbers, and the crop back to the grid."""
    v = g.values
    oy, jc, wy = taper_axis(v.shape[0])
    ox, ic, wx = taper_axis(v.shape[1])
    m = v.mean()
    p = m + (v[jc][:, ic] - m) * wy[:, None] * wx[None, :]
    ky = 2 * np.pi * np.fft.fftfreq(p.shape[0], g.dy)
    kx = 2 * np.pi * np.fft.rfftfreq(p.shape[1], g.dx)
    KX, KY = np.meshgrid(kx, ky)
    crop = (slice(oy, oy + v.shape[0]), slice(ox, ox + v.shape[1]))
    return np.fft.rfft2(p), KX, KY, p.shape, crop


def numpy_rtp(g, inc=58.0, dec=6.0, stab=20.0):
    F, KX, KY, shape, crop = padded_spectrum(g)
    t = theta(inc, dec, stab, KX, KY, np.hypot(KX, KY))
    return np.fft.irfft2(F * t * t, s=shape)[crop]


def numpy_tga(g):
    F, KX, KY, shape, crop = padded_spectrum(g)
    s = 0
    for h in (1j * KX, 1j * KY, -np.hypot(KX, KY)):
        d = np.fft.irfft2(F * h, s=shape)[crop]
        s = s + d * d
    return np.sqrt(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    n, d = a.n, 0.1
    rng = np.random.default_rng(1)
    x = np.arange(n) * d
    X, Y = np.meshgrid(x, x)
    m = smag.induced_moment(1e-4)
    dips = [[*rng.uniform(0, n * d, 2), -rng.uniform(0.2, 1.0), *m] for _ in range(40)]
    g = mag.Grid(smag.dipole_anomaly(dips, X, Y, 0.3) + 0.1 * rng.normal(size=X.shape), 0, 0, d, d)

    err = np.abs(mag.reduction_to_pole(g, 58, 6, threads=a.threads).values - numpy_rtp(g)).max()
    err2 = np.abs(mag.total_gradient_amplitude(g, threads=a.threads).values - numpy_tga(g)).max()
    print(f"{n} x {n} grid, taper padding to {good_size(n + 2 * math.ceil(0.25 * n))}, threads={a.threads} "
          f"({os.cpu_count()} cores); max |sapper - numpy|: RTP {err:.2e} nT, TGA {err2:.2e} nT/m")
    for name, fs, fn in (("reduction_to_pole", lambda: mag.reduction_to_pole(g, 58, 6, threads=a.threads),
                          lambda: numpy_rtp(g)),
                         ("total_gradient_amplitude", lambda: mag.total_gradient_amplitude(g, threads=a.threads),
                          lambda: numpy_tga(g))):
        fs(), fn()  # warm the plan cache and numpy's
        ts, tn = best(fs, a.reps)[0], best(fn, a.reps)[0]
        print(f"{name:26s} sapper {ts * 1e3:8.1f} ms   numpy.fft {tn * 1e3:8.1f} ms   ratio {tn / ts:5.1f}x")


if __name__ == "__main__":
    main()

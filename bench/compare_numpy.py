"""Time sapper's GPR chain against (a) the same chain written the GPRPy way (a Python
loop over one axis, numpy on the other) and (b) the best vectorised numpy/scipy
version, side by side in one run. Prints traces/s and speed ratios.

    python bench/compare_numpy.py [--traces 2000] [--threads 1]
"""
import argparse

import numpy as np
import scipy.ndimage as ndi
import scipy.signal as ss

import sapper
from sapper import gpr
from timing import best

DT, WOW, BG, P, A, G, LO, HI = 0.025, 1.0, 51, 1.0, 0.1, 1e3, 500.0, 3000.0


def gain_curve(n):
    t = np.arange(n) * DT
    return np.minimum(G, np.maximum(t, DT) ** P * np.exp(A * t)).astype(np.float32)


# (a) GPRPy style: Python loops as in gprpy/toolbox/gprpyTools.py
def gprpy_dc(x):
    return x - x.mean(0)

def gprpy_dewow(x):
    w = int(WOW / DT / 2)
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = x[i] - x[max(0, i - w):i + w + 1].mean(0)
    return out

def gprpy_bg(x):
    h = BG // 2
    out = np.empty_like(x)
    for j in range(x.shape[1]):
        out[:, j] = x[:, j] - x[:, max(0, j - h):j + h + 1].mean(1)
    return out

def gprpy_gain(x):
    g = gain_curve(x.shape[0])
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = x[i] * g[i]
    return out

def butter_sos(x):
    return ss.butter(4, [LO * 1e6, HI * 1e6], "bandpass", fs=1e9 / DT, output="sos")

def gprpy_bandpass(x):  # GPRPy has none; loop of filtfilt per trace
    sos = butter_sos(x)
    return np.stack([ss.sosfiltfilt(sos, x[:, j]) for j in range(x.shape[1])], axis=1).astype(np.float32)


# (b) vectorised numpy/scipy
def vec_dewow(x):
    w = 2 * int(WOW / DT / 2) + 1
    return x - ndi.uniform_filter1d(x, w, axis=0, mode="nearest")

def vec_bg(x):
    return x - ndi.uniform_filter1d(x, BG, axis=1, mode="nearest")

def vec_gain(x):
    return x * gain_curve(x.shape[0])[:, None]

def vec_bandpass(x):
    return ss.sosfiltfilt(butter_sos(x), x, axis=0).astype(np.float32)


THR, TARGET = 0.2, 1.0  # time zero: 20% first break, aligned at 1 ns (sample 40) and cropped


def picks_of(x):
    a = np.abs(x)
    level = THR * a.max(0)
    i = np.argmax(a >= level, axis=0)
    j = np.arange(x.shape[1])
    p, q = a[np.maximum(i - 1, 0), j], a[i, j]
    return np.where(i > 0, i - 1 + (level - p) / np.where(q > p, q - p, 1), 0.0)


def gprpy_timezero(x):  # a loop over traces with np.interp, as the peers align traces
    k0 = int(round(TARGET / DT))
    t = np.arange(x.shape[0], dtype=np.float64)
    p = picks_of(x)
    out = np.empty((x.shape[0] - k0, x.shape[1]), np.float32)
    for j in range(x.shape[1]):
        out[:, j] = np.interp(t[k0:] - k0 + p[j], t, x[:, j], left=0, right=0)
    return out


def vec_timezero(x):  # one FFT phase ramp for all traces (zero-padded against wrap-around)
    k0 = int(round(TARGET / DT))
    n = x.shape[0]
    nf = 2 * n
    X = np.fft.rfft(x, nf, axis=0)
    f = np.fft.rfftfreq(nf)[:, None]
    shift = (k0 - picks_of(x))[None, :]
    return np.fft.irfft(X * np.exp(-2j * np.pi * f * shift), nf, axis=0)[k0:n].astype(np.float32)


def scene(n, m):
    rng = np.random.default_rng(0)
    t = np.arange(n)[:, None] * DT
    d = 0.9 + rng.uniform(-0.1, 0.1, m)[None, :]
    a = (np.pi * 1.5 * (t - d)) ** 2
    return np.asfortranarray((1 - 2 * a) * np.exp(-a) + 0.05 * rng.standard_normal((n, m)) + 0.2, dtype=np.float32)


STEPS = [{"op": "remove_dc"}, {"op": "dewow", "window_ns": WOW},
         {"op": "time_zero", "threshold": THR, "target_ns": TARGET},
         {"op": "background", "window_traces": BG}, {"op": "gain", "power": P, "alpha_per_ns": A, "max_gain": G},
         {"op": "bandpass", "low_mhz": LO, "high_mhz": HI}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--traces", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    x = scene(512, a.traces)
    th = a.threads
    tz = gpr.Chain(STEPS[2:3])
    ops = {
        "dc": (gprpy_dc, lambda x: x - x.mean(0), lambda x: gpr.remove_dc(x, DT, threads=th)),
        "dewow": (gprpy_dewow, vec_dewow, lambda x: gpr.dewow(x, DT, WOW, threads=th)),
        "time_zero": (gprpy_timezero, vec_timezero, lambda x: tz.apply(x, DT, threads=th).data),
        "background": (gprpy_bg, vec_bg, lambda x: gpr.moving_background(x, BG, threads=th)),
        "gain": (gprpy_gain, vec_gain, lambda x: gpr.sec_gain(x, DT, power=P, alpha_per_ns=A, max_gain=G, threads=th)),
        "bandpass": (gprpy_bandpass, vec_bandpass, lambda x: gpr.bandpass(x, DT, LO, HI, threads=th)),
    }
    chain = gpr.Chain(STEPS)
    chain.apply(x[:, :2], DT)  # plan the FFTs once outside the timing

    def run_chain(k):
        def f():
            y = x
            for o in ops:
                y = ops[o][k](y)
            return y
        return f
    print(f"B-scan 512 x {a.traces} float32, sapper threads={th}")
    print(f"{'op':<12}{'gprpy-style tr/s':>18}{'scipy tr/s':>14}{'sapper tr/s':>14}{'x gprpy':>10}{'x scipy':>10}")
    rows = [(name, (lambda f=fa: f(x)), (lambda f=fb: f(x)), (lambda f=fc: f(x))) for name, (fa, fb, fc) in ops.items()]
    rows.append(("chain", run_chain(0), run_chain(1), lambda: chain.apply(x, DT, threads=th)))
    for name, fa, fb, fc in rows:
        ta, tb, tc = best(fa, 1)[0], best(fb)[0], best(fc)[0]
        print(f"{name:<12}{a.traces / ta:>18,.0f}{a.traces / tb:>14,.0f}{a.traces / tc:>14,.0f}{ta / tc:>10.1f}{tb / tc:>10.1f}",
              flush=True)
    print("(chain: the six steps back to back; sapper's is one Chain.apply with fused trace passes)")


if __name__ == "__main__":
    main()

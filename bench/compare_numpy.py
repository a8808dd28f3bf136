"""Time sapper's GPR chain against (a) the same chain written the GPRPy way (a Python
loop over one axis, numpy on the other) and (b) the best vectorised numpy/scipy
version, side by side in one run. Prints traces/s and speed ratios.

    python bench/compare_numpy.py [--traces 2000] [--threads 1]
"""
import argparse
import time

import numpy as np
import scipy.ndimage as ndi
import scipy.signal as ss

import sapper
from sapper import gpr

DT, WOW, BG, P, A, G, LO, HI = 0.025, 1.0, 51, 1.0, 0.1, 1e3, 500.0, 3000.0


def best(f, reps=3):
    t = []
    for _ in range(reps):
        s = time.perf_counter(); f(); t.append(time.perf_counter() - s)
    return min(t)


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--traces", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    x = np.asfortranarray(rng.standard_normal((512, a.traces)), dtype=np.float32)
    th = a.threads
    ops = {
        "dc": (lambda: gprpy_dc(x), lambda: x - x.mean(0), lambda: gpr.remove_dc(x, DT, threads=th)),
        "dewow": (lambda: gprpy_dewow(x), lambda: vec_dewow(x), lambda: gpr.dewow(x, DT, WOW, threads=th)),
        "background": (lambda: gprpy_bg(x), lambda: vec_bg(x), lambda: gpr.moving_background(x, BG, threads=th)),
        "gain": (lambda: gprpy_gain(x), lambda: vec_gain(x),
                 lambda: gpr.sec_gain(x, DT, power=P, alpha_per_ns=A, max_gain=G, threads=th)),
        "bandpass": (lambda: gprpy_bandpass(x), lambda: vec_bandpass(x), lambda: gpr.bandpass(x, DT, LO, HI, threads=th)),
    }
    gpr.bandpass(x[:, :2], DT, LO, HI)  # plan once outside the timing
    def chain(k):
        return lambda: [ops[o][k]() for o in ops]
    ops["chain"] = (chain(0), chain(1), chain(2))
    print(f"B-scan 512 x {a.traces} float32, sapper threads={th}")
    print(f"{'op':<12}{'gprpy-style tr/s':>18}{'scipy tr/s':>14}{'sapper tr/s':>14}{'x gprpy':>10}{'x scipy':>10}")
    for name, (fa, fb, fc) in ops.items():
        ta, tb, tc = best(fa, 1), best(fb), best(fc)
        print(f"{name:<12}{a.traces / ta:>18,.0f}{a.traces / tb:>14,.0f}{a.traces / tc:>14,.0f}{ta / tc:>10.1f}{tb / tc:>10.1f}")
    print("(the chain times the ops back to back on fresh copies; sapper's chain in place would be faster)")


if __name__ == "__main__":
    main()

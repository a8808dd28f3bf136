"""GPR B-scan preprocessing.

Every function takes a B-scan of shape ``(n_samples, n_traces)`` (a single trace
of shape ``(n_samples,)`` works too), float32 or float64, and returns a new
array of the same dtype, shape and Fortran (trace-contiguous) order, so that it
goes back into sapper without a copy. Other layouts are converted once;
integer input is converted to float64. ``out=`` writes into a caller-owned
Fortran-ordered array of the same dtype and shape (it may be ``data`` itself
for in-place work). ``threads=0`` uses every core. Exact definitions and units:
``docs/gpr.md``.
"""
from __future__ import annotations

import numpy as np

from . import _core

__all__ = [
    "remove_dc", "dewow", "sec_gain", "tpow_gain", "agc", "bandpass", "envelope",
    "remove_mean_trace", "moving_background",
]


def _prepare(data, out, check_finite):
    a = np.asarray(data)
    if a.dtype.kind in "iu":
        a = a.astype(np.float64)
    elif a.dtype not in (np.float32, np.float64):
        raise TypeError(f"data has dtype {a.dtype}; expected float32 or float64")
    if a.ndim not in (1, 2):
        raise ValueError(f"data has shape {a.shape}; expected (n_samples, n_traces) or (n_samples,)")
    if a.size == 0:
        raise ValueError(f"data has shape {a.shape}: it is empty")
    one = a.ndim == 1
    x = np.asfortranarray(a[:, None] if one else a)
    if check_finite and not np.isfinite(x).all():
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"data holds NaN or Inf (first at sample {i}, trace {j})")
    if out is None:
        y = np.empty_like(x, order="F")
    else:
        if not isinstance(out, np.ndarray) or out.dtype != x.dtype or out.shape != a.shape:
            raise ValueError(f"out must be a {x.dtype} array of shape {a.shape}")
        y = out[:, None] if one else out
        if not y.flags.f_contiguous:
            raise ValueError("out must be Fortran-ordered (trace-contiguous)")
    lib = _core.f32 if x.dtype == np.float32 else _core.f64
    return lib, x, y, one


def _finish(y, one):
    return y[:, 0] if one else y


def _dt(dt_ns):
    if not np.isfinite(dt_ns) or dt_ns <= 0:
        raise ValueError(f"dt_ns = {dt_ns} must be a positive number of ns")
    return float(dt_ns)


def remove_dc(data, dt_ns, *, method="mean", window_ns=None, time_zero_ns=0.0,
              out=None, threads=0, check_finite=True):
    """Subtract each trace's mean or median (DC offset).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
    dt_ns : float
        Sample interval in ns.
    method : {"mean", "median"}
    window_ns : (float, float), optional
        Time window ``[t0, t1]`` in ns (relative to time zero) over which the
        statistic is taken; the whole trace when omitted.
    time_zero_ns : float
        Time of time zero after sample 0, ns.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    a, b = (0.0, 0.0) if window_ns is None else map(float, window_ns)
    if window_ns is not None and not b > a:
        raise ValueError(f"window_ns = {window_ns}: the end must follow the start")
    lib.remove_dc(x, y, _dt(dt_ns), float(time_zero_ns), method, a, b, threads)
    return _finish(y, one)


def dewow(data, dt_ns, window_ns, *, method="mean", out=None, threads=0, check_finite=True):
    """Remove low-frequency "wow": subtract a centred running mean or median.

    The window holds ``2*floor(window_ns/dt_ns/2)+1`` samples and is truncated
    at the ends of the trace. ``window_ns`` is typically 1-3 periods of the
    antenna's centre frequency.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.dewow(x, y, _dt(dt_ns), float(window_ns), method, threads)
    return _finish(y, one)


def sec_gain(data, dt_ns, *, power=1.0, alpha_per_ns=0.0, max_gain=1e6, time_zero_ns=0.0,
             out=None, threads=0, check_finite=True):
    """Spreading and exponential compensation gain.

    ``g(t) = min(max_gain, max(t, dt)**power * exp(alpha_per_ns * max(t, 0)))``
    with ``t = i*dt_ns - time_zero_ns`` in ns.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.sec_gain(x, y, _dt(dt_ns), float(time_zero_ns), float(power), float(alpha_per_ns),
                 float(max_gain), threads)
    return _finish(y, one)


def tpow_gain(data, dt_ns, power, *, max_gain=1e6, time_zero_ns=0.0, out=None, threads=0,
              check_finite=True):
    """t-power gain ``g(t) = min(max_gain, max(t, dt)**power)`` (t in ns from time zero)."""
    return sec_gain(data, dt_ns, power=power, alpha_per_ns=0.0, max_gain=max_gain,
                    time_zero_ns=time_zero_ns, out=out, threads=threads, check_finite=check_finite)


def agc(data, dt_ns, window_ns, *, max_gain=1e6, out=None, threads=0, check_finite=True):
    """Automatic gain control: divide by the RMS of a centred window of ``window_ns``.

    The gain ``1/rms`` is capped at ``max_gain``; the window is truncated at the
    ends of the trace.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.agc(x, y, _dt(dt_ns), float(window_ns), float(max_gain), threads)
    return _finish(y, one)


def bandpass(data, dt_ns, low_mhz, high_mhz, *, taper_mhz=None, out=None, threads=0,
             check_finite=True):
    """Zero-phase band-pass in the frequency domain.

    Gain 1 between ``low_mhz + taper/2`` and ``high_mhz - taper/2`` with cos^2
    ramps of width ``taper_mhz`` (default: a quarter of the band) centred on the
    corners. Traces are zero-padded to ``fft_size(n)`` samples.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    taper = 0.25 * (high_mhz - low_mhz) if taper_mhz is None else taper_mhz
    lib.bandpass(x, y, _dt(dt_ns), float(low_mhz), float(high_mhz), float(taper), threads)
    return _finish(y, one)


def fft_size(n_samples: int) -> int:
    """FFT length that :func:`bandpass` uses for traces of ``n_samples``."""
    return _core.bandpass_fft_size(int(n_samples))


def envelope(data, *, out=None, threads=0, check_finite=True):
    """Instantaneous amplitude ``|x + i H{x}|`` (as ``abs(scipy.signal.hilbert(x, axis=0))``)."""
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.envelope(x, y, threads)
    return _finish(y, one)


def remove_mean_trace(data, *, out=None, threads=0, check_finite=True):
    """Background removal: subtract the mean trace of the whole B-scan."""
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.remove_mean_trace(x, y, threads)
    return _finish(y, one)


def moving_background(data, window_traces, *, method="mean", out=None, threads=0,
                      check_finite=True):
    """Background removal: subtract, per sample, the mean or median of a centred
    window of ``window_traces`` traces (odd), truncated at the ends of the profile."""
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.moving_background(x, y, int(window_traces), method, threads)
    return _finish(y, one)

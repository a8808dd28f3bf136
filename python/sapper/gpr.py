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

import json
from typing import NamedTuple

import numpy as np

from . import _core

__all__ = [
    "remove_dc", "dewow", "sec_gain", "tpow_gain", "agc", "bandpass", "envelope",
    "remove_mean_trace", "moving_background", "first_break", "shift_traces", "time_zero",
    "butterworth_sos", "sosfilt", "stack_traces", "resample_traces", "Resampled",
    "Chain", "Processed", "Stream",
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


def bandpass(data, dt_ns, low_mhz, high_mhz, *, taper_mhz=None, causal=False, order=4, out=None,
             threads=0, check_finite=True):
    """Band-pass between ``low_mhz`` and ``high_mhz``.

    Zero-phase (default): in the frequency domain, gain 1 between
    ``low_mhz + taper/2`` and ``high_mhz - taper/2`` with cos^2 ramps of width
    ``taper_mhz`` (default: a quarter of the band) centred on the corners; traces
    are zero-padded to ``fft_size(n)`` samples. A corner at 0 or Nyquist is not
    applied.

    ``causal=True``: a digital Butterworth of ``order`` (the band-pass has
    ``2*order`` poles; ``-3 dB`` at the corners), run forward only from zero state,
    as ``scipy.signal.sosfilt(butterworth_sos(...), data, axis=0)``. What a real-time
    system can apply; it delays the signal by the filter's group delay.
    """
    if causal:
        return sosfilt(data, butterworth_sos(order, low_mhz, high_mhz, dt_ns), out=out, threads=threads,
                       check_finite=check_finite)
    lib, x, y, one = _prepare(data, out, check_finite)
    taper = 0.25 * (high_mhz - low_mhz) if taper_mhz is None else taper_mhz
    lib.bandpass(x, y, _dt(dt_ns), float(low_mhz), float(high_mhz), float(taper), threads)
    return _finish(y, one)


def butterworth_sos(order, low_mhz, high_mhz, dt_ns):
    """Digital Butterworth band-pass as second-order sections, shape ``(order, 6)``.

    Same response as ``scipy.signal.butter(order, [low_mhz, high_mhz], 'bandpass',
    fs=1e3/dt_ns, output='sos')``; ``low_mhz=0`` gives a low-pass, ``high_mhz`` at
    or above Nyquist a high-pass.
    """
    return _core.butterworth_sos(int(order), float(low_mhz), float(high_mhz), _dt(dt_ns))


def sosfilt(data, sos, *, out=None, threads=0, check_finite=True):
    """Causal filtering of every trace by second-order sections (scipy's ``(n, 6)``
    layout), from zero state, as ``scipy.signal.sosfilt(sos, data, axis=0)``;
    computed in float64 whatever the data's dtype."""
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.sosfilt(np.ascontiguousarray(sos, dtype=np.float64), x, y, threads)
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


def moving_background(data, window_traces, *, method="mean", causal=False, out=None, threads=0,
                      check_finite=True):
    """Background removal: subtract, per sample, the mean or median of a window of
    ``window_traces`` traces (odd), truncated at the ends of the profile.

    The window is centred on the trace, or with ``causal=True`` trailing: the trace
    and the ``window_traces - 1`` before it (what a real-time system can do with no
    latency).
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.moving_background(x, y, int(window_traces), method, threads, bool(causal))
    return _finish(y, one)


def first_break(data, dt_ns, *, threshold=0.2, search_ns=None, threads=0, check_finite=True):
    """First-break time of every trace, ns after sample 0.

    The first sample where ``|x| >= threshold * max|x|`` (the maximum taken over the
    first ``search_ns``, the whole trace by default), linearly interpolated between
    that sample and the one before. NaN for a trace that is all zero.

    Returns
    -------
    picks : ndarray of float64, shape (n_traces,)
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    picks = np.empty(x.shape[1])
    lib.first_break(x, picks, _dt(dt_ns), float(threshold), float(search_ns or 0.0), threads)
    return picks


def shift_traces(data, dt_ns, shifts_ns, *, out=None, threads=0, check_finite=True):
    """Shift every trace later by ``shifts_ns`` (one per trace, or a scalar), ``y(t) = x(t - s)``.

    Sub-sample shifts use 16-tap Lanczos (windowed-sinc) interpolation with weights
    normalised to sum 1; samples shifted in from outside the trace are 0.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    s = np.broadcast_to(np.asarray(shifts_ns, dtype=np.float64), (x.shape[1],)).copy()
    lib.shift_traces(x, y, s, _dt(dt_ns), threads)
    return _finish(y, one)


def time_zero(data, dt_ns, *, threshold=0.2, target_ns=None, search_ns=None, crop=True,
              threads=0, check_finite=True):
    """Align every trace's first break (see :func:`first_break`) at a common time zero.

    ``target_ns`` (default: the median first break) is snapped to the sample grid
    at sample ``k0 = round(target_ns / dt_ns)``; each trace is shifted, with
    sub-sample precision, so that its first break lands there. With ``crop`` the
    ``k0`` samples before time zero are dropped (output has ``n_samples - k0``
    samples and time zero at sample 0). Use :class:`Chain` to get the resolved
    target back.
    """
    step = {"op": "time_zero", "threshold": threshold, "target_ns": target_ns,
            "search_ns": search_ns or 0.0, "crop": crop}
    return Chain([step]).apply(data, dt_ns, threads=threads, check_finite=check_finite).data


def stack_traces(data, n, *, threads=0, check_finite=True):
    """Average every ``n`` consecutive traces (the last, partial group over the traces
    it has): ``ceil(n_traces / n)`` traces out."""
    lib, x, _, one = _prepare(data, None, check_finite)
    if one:
        raise ValueError("stack_traces needs a B-scan (n_samples, n_traces)")
    return lib.stack_traces(x, int(n), threads)


class Resampled(NamedTuple):
    """Traces at uniform spacing: ``data`` ``(n_samples, K)``, ``positions_m`` ``(K,)``, and
    ``count``: input traces stacked into each output trace (0: interpolated)."""
    data: np.ndarray
    positions_m: np.ndarray
    count: np.ndarray


def resample_traces(data, positions_m, spacing_m, *, threads=0, check_finite=True):
    """Stack and resample traces to a uniform spacing along the line.

    ``positions_m`` (one per trace, finite, non-decreasing; repeats where the cart
    stopped) gives output positions ``x_k = positions_m[0] + k * spacing_m`` up to
    the last position. Each output trace is the mean of the input traces within
    ``[x_k - s/2, x_k + s/2)``, or, where there are none, the linear interpolation in
    position between the nearest traces either side. Exact definition: ``docs/gpr.md``.
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    if one:
        raise ValueError("resample_traces needs a B-scan (n_samples, n_traces)")
    pos = np.asarray(positions_m, dtype=np.float64).ravel()
    y, x0, s, count = lib.resample_traces(x, pos.tolist(), float(spacing_m), threads)
    return Resampled(y, x0 + s * np.arange(y.shape[1]), np.asarray(count))


class Processed:
    """A processed B-scan: ``data`` (float32/float64, Fortran order), its sample
    interval and time zero (ns after sample 0), and ``steps``: the steps as applied,
    every default resolved, so that ``processed.chain.apply(raw)`` reproduces it."""

    def __init__(self, data, dt_ns, time_zero_ns, steps):
        self.data, self.dt_ns, self.time_zero_ns, self.steps = data, dt_ns, time_zero_ns, steps

    @property
    def chain(self):
        return Chain(self.steps)

    def __repr__(self):
        ops = " -> ".join(s["op"] for s in self.steps)
        return f"Processed(shape={self.data.shape}, dtype={self.data.dtype}, dt_ns={self.dt_ns}, steps: {ops})"


class Chain:
    """A list of preprocessing steps, applied in batch or as a stream.

    Each step is a dict ``{"op": name, **parameters}``; ``docs/gpr.md`` lists the
    ops (``remove_dc``, ``dewow``, ``time_zero``, ``background``, ``gain``, ``agc``,
    ``bandpass``, ``envelope``), their parameters, units and defaults. A chain is
    built from a list of such dicts, a JSON string of it (or of
    ``{"steps": [...]}``), or another Chain; unknown ops or parameters raise
    ``ValueError``.

    Examples
    --------
    >>> chain = Chain([{"op": "remove_dc"}, {"op": "dewow", "window_ns": 2.0},
    ...                {"op": "background", "window_traces": 51},
    ...                {"op": "bandpass", "low_mhz": 300, "high_mhz": 3000}])
    >>> result = chain.apply(bscan, dt_ns=0.025)      # doctest: +SKIP
    >>> result.steps                                  # doctest: +SKIP
    """

    def __init__(self, steps=()):
        if isinstance(steps, Chain):
            steps = steps.steps
        text = steps if isinstance(steps, str) else json.dumps(list(steps))
        self._json = _core.chain_normalise(text)

    @classmethod
    def default(cls, antenna_mhz=1500.0, dt_ns=0.025):
        """The default GPR chain for an antenna of ``antenna_mhz`` sampled every ``dt_ns``:
        DC removal, dewow (2 periods), time zero, moving background (51 traces), t-gain,
        band-pass [f/4, min(2.5 f, Nyquist)]."""
        c = cls.__new__(cls)
        c._json = _core.chain_default(float(antenna_mhz), _dt(dt_ns))
        return c

    @property
    def steps(self):
        """The steps as a list of dicts, every parameter written out (None: unset)."""
        return json.loads(self._json)["steps"]

    def to_json(self):
        return self._json

    def __repr__(self):
        return f"Chain({self.steps!r})"

    def __eq__(self, other):
        return isinstance(other, Chain) and self._json == other._json

    def apply(self, data, dt_ns, *, time_zero_ns=0.0, threads=0, check_finite=True):
        """Apply every step to a whole B-scan ``(n_samples, n_traces)``.

        Returns
        -------
        Processed
            ``.data`` has fewer samples when a time-zero step crops.
        """
        lib, x, _, one = _prepare(data, None, check_finite)
        y, steps, t0 = lib.chain_apply(self._json, x, _dt(dt_ns), float(time_zero_ns), threads)
        return Processed(_finish(y, one), float(dt_ns), t0, json.loads(steps)["steps"])

    def stream(self, n_samples, dt_ns, *, time_zero_ns=0.0, max_block=256, dtype=np.float32):
        """A :class:`Stream` of this chain for traces of ``n_samples``."""
        return Stream(self, n_samples, dt_ns, time_zero_ns=time_zero_ns, max_block=max_block, dtype=dtype)


class Stream:
    """A chain fed blocks of traces as they arrive; gives the same numbers as ``Chain.apply``.

    ``process(block)`` takes ``(n_samples, k)`` with ``k <= max_block`` (or one trace
    ``(n_samples,)``) and returns the ``(output_samples, k')`` traces completed so far,
    ``latency`` traces behind the input (a centred background window holds back half of
    it; a causal one nothing). ``flush()`` returns the held-back traces at the end of
    the profile and leaves the stream ready for the next one. Every parameter must be
    resolved up front: a time-zero step needs ``target_ns`` (take it from a batch run's
    ``Processed.steps``), and the global mean trace cannot stream. The work runs
    without the GIL and allocates nothing in C++.
    """

    def __init__(self, chain, n_samples, dt_ns, *, time_zero_ns=0.0, max_block=256, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype {self.dtype}: expected float32 or float64")
        lib = _core.f32 if self.dtype == np.float32 else _core.f64
        self._s = lib.Stream(Chain(chain).to_json(), int(n_samples), _dt(dt_ns), float(time_zero_ns),
                             int(max_block))
        self.n_samples = int(n_samples)

    latency = property(lambda self: self._s.latency, doc="traces held back")
    max_block = property(lambda self: self._s.max_block)
    output_samples = property(lambda self: self._s.output_samples)
    steps = property(lambda self: json.loads(self._s.steps)["steps"])

    def process(self, block, *, check_finite=True):
        a = np.asarray(block)
        if a.dtype != self.dtype:
            raise TypeError(f"block has dtype {a.dtype}; this stream takes {self.dtype}")
        _, x, _, _ = _prepare(a, None, check_finite)
        if x.shape[0] != self.n_samples or x.shape[1] > self.max_block:
            raise ValueError(f"block has shape {a.shape}; expected ({self.n_samples}, k <= {self.max_block})")
        out = np.empty((self.output_samples, x.shape[1]), self.dtype, order="F")
        k = self._s.process(x, out)
        return out[:, :k]

    def flush(self):
        out = np.empty((self.output_samples, max(self.latency, 1)), self.dtype, order="F")
        k = self._s.flush(out)
        return out[:, :k]

    def reset(self):
        self._s.reset()

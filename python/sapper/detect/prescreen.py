"""GPR prescreeners: depth-gated energy, LMS prediction error, and CFAR normalisation, batch and
streaming, raising alarms a deminer (and :func:`sapper.eval.score`) can use.

Every prescreener computes a statistic per trace and channel, averages it over ``window``
traces, divides it by its local background (the CFAR: ``"ca"`` cell-averaging, ``"os"``
order-statistic, ``None`` none) to a unitless score, and raises an alarm where the score is at
least ``threshold`` and the largest within ``separation`` traces and ``separation_channels``
channels. Data are ``(n_samples, n_traces)`` B-scans or ``(n_samples, n_traces, n_channels)``
sets of equal B-scans, float32 or float64 (integers become float64). Times are ns after time
zero (sample ``i`` is at ``i * dt_ns - time_zero_ns``). Formulas, defaults, costs and
throughput: ``docs/detect_prescreen.md``. The C++ work runs without the GIL.

Common keyword arguments (``**kw`` below):

cfar : {"ca", "os", None}, default "ca"
    Background estimate: mean (``"ca"``) or ``ceil(os_rank * cells)``-th smallest (``"os"``) of
    the training cells; None: score = statistic.
window : int, default 1
    Odd number of traces the statistic is averaged over (centred).
guard, train : int, default 4, 16
    Guard and training traces on each side of the cell under test.
train_channels : int, default 0
    Train also over channels ``c - train_channels .. c + train_channels`` (2-D CFAR).
causal : bool, default False
    Training traces before the cell only: no look-ahead, latency ``separation`` traces.
os_rank : float, default 0.75
    Rank of the order statistic as a fraction of the training cells, in (0, 1].
threshold : float, default 2.0
    Alarm where the score (statistic / background) is at least this.
separation : int, default 10
    Minimum separation of alarms, traces (non-maximum suppression); ``separation_m`` instead
    gives it in m (converted with ``trace_spacing_m`` or the median spacing of ``x``).
separation_channels : int, default 2
    Minimum separation of alarms across channels.
x, y : array_like, optional
    Positions (m) for the alarms: ``x`` of shape (n_traces,) or (n_traces, n_channels); ``y`` a
    float, (n_channels,) or (n_traces, n_channels). Unknown positions are NaN.
check_finite : bool, default True
    Reject NaN/Inf with a ValueError.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _core
from ..gpr import _as_float, _check_finite

__all__ = [
    "ALARM_DTYPE", "Prescreen", "energy", "lms", "cfar", "PrescreenStream", "ca_threshold", "pfa_ca", "pfa_os",
]

#: Fields of the alarm arrays (a numpy structured array; ``sapper.eval.score`` reads x, y, confidence).
ALARM_DTYPE = np.dtype([("trace", np.int64), ("channel", np.int64), ("sample", np.int64), ("time_ns", np.float64),
                        ("x", np.float64), ("y", np.float64), ("confidence", np.float64)])

_CFAR = {"ca": "ca", "cell_average": "ca", "os": "os", "order_statistic": "os", None: "none", "none": "none"}


class Prescreen(NamedTuple):
    """Alarms and the per-trace rows they came from."""

    alarms: np.ndarray     #: structured array of ALARM_DTYPE, by trace then channel
    statistic: np.ndarray  #: (n_traces, n_channels) windowed statistic (the CFAR's input); (n_traces,) for a B-scan
    score: np.ndarray      #: (n_traces, n_channels) CFAR score (statistic / background; 0 where no background)
    sample: np.ndarray     #: (n_traces, n_channels) sample of the statistic's peak in the gate (-1: none)


def _int(name, v, lo, hi=None):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
        lim = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} = {v!r} must be an integer {lim}")
    return int(v)


def _float(name, v, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    f = float(v)
    if not math.isfinite(f) or f < lo or f > hi or (lo_open and f == lo) or (hi_open and f == hi):
        raise ValueError(f"{name} = {v!r} must be a finite number in {'(' if lo_open else '['}{lo}, {hi}"
                         f"{')' if hi_open else ']'}")
    return f


def _data(data, check_finite):
    a = _as_float(data)
    if a.ndim not in (2, 3) or a.size == 0:
        raise ValueError(f"data has shape {a.shape}; expected a non-empty (n_samples, n_traces[, n_channels])")
    one = a.ndim == 2
    x = np.asfortranarray(a[:, :, None] if one else a)
    if check_finite:
        _check_finite(x)
    return x, one


def _cfar_opts(n_traces, x, cfar="ca", window=1, guard=4, train=16, train_channels=0, causal=False, os_rank=0.75,
               threshold=2.0, separation=10, separation_channels=2, separation_m=None, trace_spacing_m=None):
    if cfar not in _CFAR:
        raise ValueError(f"cfar = {cfar!r} must be 'ca', 'os' or None")
    window = _int("window", window, 1)
    if window % 2 == 0:
        raise ValueError(f"window = {window} must be odd")
    if separation_m is not None:
        sep_m = _float("separation_m", separation_m, 0)
        if trace_spacing_m is not None:
            dx = _float("trace_spacing_m", trace_spacing_m, 0, lo_open=True)
        elif x is not None and n_traces > 1:
            xs = np.asarray(x, dtype=np.float64).reshape(n_traces, -1).mean(axis=1)
            dx = float(np.median(np.abs(np.diff(xs))))
            if not dx > 0:
                raise ValueError("separation_m needs a positive trace spacing; x does not give one")
        else:
            raise ValueError("separation_m needs trace_spacing_m or x")
        separation = int(math.ceil(sep_m / dx - 1e-9))
    return {
        "cfar": _CFAR[cfar], "window": window, "guard": _int("guard", guard, 0), "train": _int("train", train, 1),
        "train_channels": _int("train_channels", train_channels, 0), "causal": bool(causal),
        "os_rank": _float("os_rank", os_rank, 0, 1, lo_open=True), "threshold": _float("threshold", threshold),
        "separation": _int("separation", separation, 0),
        "separation_channels": _int("separation_channels", separation_channels, 0),
    }


def _positions(x, y, n, nc):
    """x, y as (n, nc) float64 arrays (NaN: unknown)."""
    out = []
    for name, v in (("x", x), ("y", y)):
        if v is None:
            out.append(np.full((n, nc), np.nan))
            continue
        a = np.asarray(v, dtype=np.float64)
        if name == "x" and a.ndim == 1:
            a = a[:, None]
        try:
            out.append(np.broadcast_to(a, (n, nc)))
        except ValueError:
            raise ValueError(f"{name} has shape {a.shape}; expected one that broadcasts to (n_traces, n_channels) = "
                             f"{(n, nc)}" + (" or (n_traces,)" if name == "x" else "")) from None
    return out


def _alarms(arrays, px, py, first=0):
    tr, ch, sm, t, s = arrays
    a = np.empty(len(tr), ALARM_DTYPE)
    a["trace"], a["channel"], a["sample"], a["time_ns"], a["confidence"] = tr, ch, sm, t, s
    a["x"], a["y"] = px[tr - first, ch], py[tr - first, ch]
    return a


def _result(r, px, py, one):
    arrays, stat, score, sample = r
    sq = (lambda v: v[:, 0]) if one else (lambda v: v)
    return Prescreen(_alarms(arrays, px, py), sq(stat), sq(score), sq(sample))


def _run(statistic, data, dt_ns, time_zero_ns, gate_ns, extra, x, y, check_finite, kw):
    d, one = _data(data, check_finite)
    dt = _float("dt_ns", dt_ns, 0, lo_open=True)
    tz = _float("time_zero_ns", time_zero_ns)
    g0, g1 = (float(v) for v in gate_ns)
    opts = {"statistic": statistic, "gate_start_ns": g0, "gate_end_ns": g1, **extra,
            **_cfar_opts(d.shape[1], x, **kw)}
    px, py = _positions(x, y, d.shape[1], d.shape[2])
    lib = _core.detect_prescreen.f32 if d.dtype == np.float32 else _core.detect_prescreen.f64
    return _result(lib.prescreen(d, dt, tz, opts), px, py, one)


def _lms_opts(traces, gap, depth, channels, step):
    return {"lms_traces": _int("traces", traces, 1), "lms_gap": _int("gap", gap, 0),
            "lms_depth": _int("depth", depth, 0), "lms_channels": _int("channels", channels, 0),
            "lms_step": _float("step", step, 0, 2, lo_open=True, hi_open=True)}


def energy(data, dt_ns, *, time_zero_ns=0.0, gate_ns=(0.0, math.inf), x=None, y=None, check_finite=True,
           **kw) -> Prescreen:
    """Depth-gated energy prescreener.

    Statistic of trace j, channel c: ``mean_{i in gate} x[i, j, c]**2``; its peak sample is
    ``argmax_{i in gate} x[i, j, c]**2``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples, n_traces, n_channels)
        B-scan(s) after the processing you want (e.g. ground-bounce removal; to gate after the
        ground bounce, flatten it first with :mod:`sapper.clutter`).
    dt_ns : float
        Sample interval, ns.
    time_zero_ns : float, default 0
        Sample 0 is at ``-time_zero_ns`` after time zero.
    gate_ns : (float, float), default (0, inf)
        Time gate, ns after time zero, inclusive, clipped to the record; must hold a sample.
    x, y, check_finite, **kw
        See the module docstring.

    Returns
    -------
    Prescreen
        ``alarms`` (structured array: trace, channel, sample, time_ns, x, y, confidence) and the
        per-trace ``statistic``, ``score`` and ``sample``.

    Raises
    ------
    ValueError
        For a bad parameter, a gate outside the record, NaN/Inf data.
    """
    return _run("energy", data, dt_ns, time_zero_ns, gate_ns, {}, x, y, check_finite, kw)


def lms(data, dt_ns, *, time_zero_ns=0.0, gate_ns=(0.0, math.inf), traces=4, gap=4, depth=1, channels=0, step=0.05,
        x=None, y=None, check_finite=True, **kw) -> Prescreen:
    """LMS prediction-error prescreener (after Torrione & Collins's NIITEK LMS prescreener).

    Each gate sample ``x[i, j, c]`` is predicted by an NLMS filter (one weight vector per sample
    and channel) from the samples ``i - depth .. i + depth`` of channels ``c - channels .. c +
    channels`` in the ``traces`` traces ``j - gap - traces .. j - gap - 1``: ``e = x - w . u``,
    then ``w += step * e * u / (u . u)``. Weights start as the mean of those traces (a flat
    background is cancelled at once); the first trace stands in for the traces before it.
    Statistic: ``mean_{i in gate} e**2``; peak sample ``argmax e**2``. The gap keeps a target
    out of its own reference, so its apex is not predicted away.

    Parameters
    ----------
    data, dt_ns, time_zero_ns, gate_ns
        As for :func:`energy`.
    traces : int, default 4
        Reference traces.
    gap : int, default 4
        Traces skipped between the current trace and its reference.
    depth : int, default 1
        Reference samples on each side of the predicted sample.
    channels : int, default 0
        Reference channels on each side (``< n_channels``).
    step : float, default 0.05
        NLMS step size in (0, 2); small: slow adaptation, a target stays unpredictable.
    x, y, check_finite, **kw
        See the module docstring.

    Returns
    -------
    Prescreen

    Raises
    ------
    ValueError
        For a bad parameter, a gate outside the record, NaN/Inf data.
    """
    return _run("lms", data, dt_ns, time_zero_ns, gate_ns, _lms_opts(traces, gap, depth, channels, step), x, y,
                check_finite, kw)


def cfar(statistic, *, sample=None, dt_ns=None, time_zero_ns=0.0, x=None, y=None, **kw) -> Prescreen:
    """CFAR normalisation, threshold and suppression of any per-trace statistic.

    Score of trace j, channel c: ``s[j, c] / b`` with ``b`` the mean (``"ca"``) or the
    ``ceil(os_rank * N)``-th smallest (``"os"``) of the N training cells ``s[k, d]``,
    ``guard < |k - j| <= guard + train`` (``causal``: ``k < j`` only), ``|d - c| <= train_channels``,
    truncated at the ends of the line; 0 where ``b = 0``. For exponential cells, ``"ca"`` gives a
    false-alarm rate of ``(1 + T/N)**-N`` (:func:`pfa_ca`).

    Parameters
    ----------
    statistic : array_like, shape (n_traces,) or (n_traces, n_channels)
        Finite, ``>= 0`` unless ``cfar=None``.
    sample : array_like of int, optional
        Peak sample of each cell (same shape), carried into the alarms.
    dt_ns, time_zero_ns : float, optional
        Alarm times from ``sample`` (NaN when not given).
    x, y, **kw
        See the module docstring.

    Returns
    -------
    Prescreen
    """
    s = np.asarray(statistic, dtype=np.float64)
    if s.ndim not in (1, 2) or s.size == 0:
        raise ValueError(f"statistic has shape {s.shape}; expected a non-empty (n_traces[, n_channels])")
    one = s.ndim == 1
    s2 = np.asfortranarray(s[:, None] if one else s)
    smp = None if sample is None else np.asfortranarray(np.asarray(sample, dtype=np.int64).reshape(s2.shape))
    dt = math.nan if dt_ns is None else _float("dt_ns", dt_ns, 0, lo_open=True)
    opts = _cfar_opts(s2.shape[0], x, **kw)
    px, py = _positions(x, y, *s2.shape)
    return _result(_core.detect_prescreen.cfar(s2, smp, dt, _float("time_zero_ns", time_zero_ns), opts), px, py, one)


class PrescreenStream:
    """Streaming prescreener: feed blocks of traces, get the alarms of the traces decided.

    Trace ``j`` is decided once trace ``j + delay`` has arrived (or at :meth:`flush`); for any
    split of a line into blocks the alarms and rows equal those of :func:`energy` / :func:`lms`
    on the whole line. Not thread-safe; the C++ stream allocates nothing per block.

    Parameters
    ----------
    statistic : {"energy", "lms"}
    n_samples : int
        Samples per trace.
    dt_ns, time_zero_ns, gate_ns
        As for :func:`energy`.
    n_channels : int, default 1
    lms : dict, optional
        ``traces``, ``gap``, ``depth``, ``channels``, ``step`` of :func:`lms`.
    dtype : float32 or float64, default float32
        Of the blocks (others are converted).
    y : float or array_like (n_channels,), optional
        Cross-track position of each channel, m.
    **kw
        CFAR options (module docstring; ``separation_m`` needs ``trace_spacing_m`` here).
    """

    def __init__(self, statistic, n_samples, dt_ns, *, time_zero_ns=0.0, gate_ns=(0.0, math.inf), n_channels=1,
                 lms=None, dtype=np.float32, y=None, **kw):
        if statistic not in ("energy", "lms"):
            raise ValueError(f"statistic = {statistic!r} must be 'energy' or 'lms'")
        self._nc = _int("n_channels", n_channels, 1)
        self._ns = _int("n_samples", n_samples, 1)
        self._dtype = np.dtype(dtype)
        if self._dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype = {dtype} must be float32 or float64")
        opts = {"statistic": statistic, "gate_start_ns": float(gate_ns[0]), "gate_end_ns": float(gate_ns[1]),
                **(_lms_opts(**{"traces": 4, "gap": 4, "depth": 1, "channels": 0, "step": 0.05, **(lms or {})})
                   if statistic == "lms" else {}),
                **_cfar_opts(0, None, **kw)}
        lib = _core.detect_prescreen.f32 if self._dtype == np.float32 else _core.detect_prescreen.f64
        self._s = lib.PrescreenStream(self._ns, _float("dt_ns", dt_ns, 0, lo_open=True),
                                      _float("time_zero_ns", time_zero_ns), self._nc, opts)
        self._y = _positions(None, y, 1, self._nc)[1][0]
        self._x = []
        self._decided = 0

    @property
    def delay(self) -> int:
        """Traces between the arrival of a trace and its decision."""
        return self._s.delay

    def process(self, block, x=None) -> Prescreen:
        """Feed a block ``(n_samples, n)`` or ``(n_samples, n, n_channels)``; ``x``: its (n,) positions, m.

        Returns the Prescreen of the traces decided by this block (their rows; alarms with
        global trace numbers). Blocks are not checked for NaN/Inf.
        """
        b = np.asarray(block, dtype=self._dtype)
        if b.ndim == 2 and self._nc == 1:
            b = b[:, :, None]
        if b.ndim != 3 or b.shape[0] != self._ns or b.shape[2] != self._nc:
            raise ValueError(f"block has shape {np.shape(block)}; expected ({self._ns}, n, {self._nc})")
        self._x.append(np.full(b.shape[1], np.nan) if x is None else np.asarray(x, np.float64).reshape(b.shape[1]))
        return self._finish(self._s.process(np.asfortranarray(b)))

    def flush(self) -> Prescreen:
        """End the line: decide the last ``delay`` traces, then start a new line."""
        r = self._finish(self._s.flush())
        self._x, self._decided = [], 0
        return r

    def reset(self):
        """Start a new line, dropping undecided traces."""
        self._s.reset()
        self._x, self._decided = [], 0

    def _finish(self, r):
        arrays, stat, score, sample = r
        xs = np.concatenate(self._x) if self._x else np.zeros(0)
        first, n = self._decided, len(stat)
        px = np.broadcast_to(xs[first:first + n, None], (n, self._nc))
        py = np.broadcast_to(self._y, (n, self._nc))
        self._decided += n
        return Prescreen(_alarms(arrays, px, py, first), stat, score, sample)


def pfa_ca(threshold, n_cells):
    """False-alarm probability of cell-averaging CFAR on exponential cells: ``(1 + T/N)**-N``."""
    return (1 + np.asarray(threshold, dtype=np.float64) / n_cells) ** -float(n_cells)


def ca_threshold(pfa, n_cells):
    """The CA-CFAR threshold of a false-alarm probability on exponential cells: ``N (pfa**(-1/N) - 1)``."""
    return n_cells * (np.asarray(pfa, dtype=np.float64) ** (-1.0 / n_cells) - 1)


def pfa_os(threshold, n_cells, k):
    """False-alarm probability of order-statistic CFAR (k-th smallest of N exponential cells):
    ``prod_{i<k} (N - i) / (N - i + T)``."""
    t = np.asarray(threshold, dtype=np.float64)
    p = np.ones_like(t)
    for i in range(int(k)):
        p = p * (n_cells - i) / (n_cells - i + t)
    return p

"""Hyperbola analysis around GPR alarms: apex, velocity / permittivity, depth and polarity.

:func:`fit_hyperbola` picks the diffraction hyperbola trace by trace around an
alarm and fits the travel-time model of a point scatterer (ground-coupled or
elevated antenna, transmitter-receiver offset) robustly; :func:`pick_ground`
reads the ground bounce's time and sign; :func:`hyperbola_time` evaluates the
model. B-scans are ``(n_samples, n_traces)`` arrays, float32 or float64;
sample ``i`` is at ``i * dt_ns - time_zero_ns`` ns after time zero. Alarms are
``(trace, sample)`` pairs, an ``(n, 2)`` integer array, or objects with
``trace`` and ``sample`` attributes (and optionally ``time_ns``). Formulas and
cost: ``docs/detect_features.md``. The C++ work runs without the GIL.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from .. import _core
from ..gpr import _as_float, _check_finite

__all__ = ["fit_hyperbola", "pick_ground", "hyperbola_time", "HyperbolaFit", "GroundBounce", "C_M_NS"]

C_M_NS = 0.2998  #: speed of light, m/ns


@dataclass(frozen=True)
class HyperbolaFit:
    """A fitted hyperbola.

    Attributes
    ----------
    status : str
        ``"ok"``, ``"invalid_input"``, ``"non_finite"``, ``"too_few_traces"``,
        ``"no_curvature"``, ``"velocity_out_of_range"`` or ``"not_converged"``.
        The numbers below are NaN unless ``"ok"``.
    x0_m, x0_trace : float
        Apex position, m along track and as a fractional trace index.
    t0_ns : float
        Two-way time of the apex, ns after time zero.
    velocity_m_ns, permittivity : float
        Ground velocity (m/ns) and relative permittivity ``(0.2998 / v)**2``.
    depth_m : float
        Depth of the scatterer below the surface, m.
    residual_ns : float
        rms of picked minus model times, ns.
    ground_time_ns : float
        Ground bounce time used (NaN: unknown).
    apex_amplitude : float
        Signed amplitude of the first pick.
    traces_used : int
        Picks in the fit.
    polarity : int
        +1: the apex wavelet has the ground reflection's sign (metal-like,
        higher permittivity), -1: opposite (plastic / void-like), 0: no ground
        reference.
    iterations : int
    radius_m : float
        Fitted half-width of the target's flat top (the footprint seen from
        above: each ray goes to its nearest point), m; about 0 for a point.
    """
    status: str
    x0_m: float
    x0_trace: float
    t0_ns: float
    velocity_m_ns: float
    permittivity: float
    depth_m: float
    residual_ns: float
    ground_time_ns: float
    apex_amplitude: float
    traces_used: int
    polarity: int
    iterations: int
    radius_m: float = math.nan

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict:
        return asdict(self)


class GroundBounce(NamedTuple):
    time_ns: float
    amplitude: float
    sign: int


def _bscan(data, check_finite=False):
    a = _as_float(data)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"data has shape {a.shape}; expected a non-empty (n_samples, n_traces) array")
    x = np.asfortranarray(a)
    if check_finite:
        _check_finite(x)
    lib = _core.detect_features.f32 if x.dtype == np.float32 else _core.detect_features.f64
    return lib, x


def _dt(dt_ns, time_zero_ns):
    dt, tz = float(dt_ns), float(time_zero_ns)
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt_ns = {dt_ns} must be a positive number of ns")
    if not math.isfinite(tz):
        raise ValueError(f"time_zero_ns = {time_zero_ns} must be finite")
    return dt, tz


def _alarms(alarms):
    """(traces_samples (k, 2) int64, times (k,), single) from one alarm or a sequence of them."""
    def is_pair(a):
        return (isinstance(a, (tuple, list, np.ndarray)) and len(a) == 2
                and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in a))

    def one(a):
        if hasattr(a, "trace") and hasattr(a, "sample"):
            return int(a.trace), int(a.sample), float(getattr(a, "time_ns", math.nan))
        if isinstance(a, dict):
            return int(a["trace"]), int(a["sample"]), float(a.get("time_ns", math.nan))
        if is_pair(a):
            return int(a[0]), int(a[1]), math.nan
        raise TypeError(f"an alarm must be an integer (trace, sample) pair or have .trace and .sample, not {a!r}")

    if isinstance(alarms, np.ndarray) and alarms.ndim == 2:
        if alarms.shape[1] != 2 or alarms.dtype.kind not in "iu":
            raise ValueError(f"alarms of shape {alarms.shape} and dtype {alarms.dtype}: expected integer (n, 2)")
        rows, single = [(int(t), int(s), math.nan) for t, s in alarms], False
    elif hasattr(alarms, "trace") or isinstance(alarms, dict) or is_pair(alarms):
        rows, single = [one(alarms)], True
    else:
        rows, single = [one(a) for a in alarms], False
    ts = np.array([(t, s) for t, s, _ in rows], dtype=np.int64).reshape(-1, 2)
    times = np.array([t for _, _, t in rows], dtype=np.float64)
    return ts, times, single


def _positions(positions, trace_spacing_m, n_traces):
    if positions is None:
        if trace_spacing_m is None:
            raise ValueError("give positions (m, one per trace) or trace_spacing_m")
        s = float(trace_spacing_m)
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"trace_spacing_m = {trace_spacing_m} must be > 0 m")
        return np.empty(0), s
    p = np.ascontiguousarray(positions, dtype=np.float64)
    if p.shape != (n_traces,):
        raise ValueError(f"positions has shape {p.shape}; expected ({n_traces},), one per trace")
    if not np.isfinite(p).all() or np.any(np.diff(p) <= 0):
        raise ValueError("positions must be finite and strictly increasing")
    return p, 0.0


def _hyp_options(trace_spacing_m=0.0, *, half_width=20, gate_ns=None, min_amplitude=0.1, min_traces=5,
                 antenna_height_m=0.0, offset_m=0.0, ground_time_ns=None, ground_sign=0,
                 velocity_bounds=(0.02, C_M_NS), huber_k=1.345, max_iterations=100, max_radius_m=0.1):
    """The options dict read by the binding (validated again, with named errors, in C++)."""
    if ground_sign not in (-1, 0, 1):
        raise ValueError(f"ground_sign = {ground_sign!r} must be -1, 0 or 1")
    v_min, v_max = map(float, velocity_bounds)
    h = math.nan if antenna_height_m is None else float(antenna_height_m)
    return {"half_width": int(half_width), "trace_spacing_m": float(trace_spacing_m),
            "gate_ns": 0.0 if gate_ns is None else float(gate_ns), "min_amplitude": float(min_amplitude),
            "min_traces": int(min_traces), "antenna_height_m": h, "offset_m": float(offset_m),
            "ground_time_ns": math.nan if ground_time_ns is None else float(ground_time_ns),
            "ground_sign": int(ground_sign), "v_min": v_min, "v_max": v_max, "huber_k": float(huber_k),
            "max_iterations": int(max_iterations), "max_radius_m": float(max_radius_m)}


def fit_hyperbola(data, alarms, dt_ns, time_zero_ns=0.0, *, positions=None, trace_spacing_m=None, half_width=20,
                  gate_ns=None, min_amplitude=0.1, min_traces=5, antenna_height_m=0.0, offset_m=0.0,
                  ground_time_ns=None, ground_sign=0, velocity_bounds=(0.02, C_M_NS), huber_k=1.345,
                  max_iterations=100, max_radius_m=0.1, check_finite=False):
    """Fit the diffraction hyperbola around one alarm or several.

    Picks: on the alarm's trace, the extreme of ``|x|`` within ``gate`` of the
    alarm's sample (climbed to the top of its lobe) fixes the polarity ``s``
    and the template (that trace's wavelet, 3 gates each side); the arms are
    then tracked outward, alternately left and right, each trace's pick being
    the peak of its correlation with the template within ``gate`` of the time
    predicted by the picks so far, until the window's edge or a correlation
    below ``min_amplitude`` times the template's energy. The absolute time is
    read on the stack of the picked traces aligned by their lags. Fit: a
    least-squares ``t^2 = A x^2 + B x + C`` (and a scan of the flat-top
    half-width) gives the start; Levenberg-Marquardt over apex position,
    depth, velocity and flat-top half-width on the exact travel-time model
    (antenna at ``antenna_height_m`` with refraction at a flat surface,
    transmitter and receiver ``offset_m`` apart along track, each ray to the
    nearest point of a footprint of half-width ``radius_m``), weighted by the
    picks' squared amplitudes and Huber weights, finishes. For a point, a
    ground-coupled antenna and no offset the model is
    ``t(x) = sqrt(t0^2 + 4 (x - x0)^2 / v^2)``.

    Parameters
    ----------
    data : numpy.ndarray
        B-scan ``(n_samples, n_traces)``.
    alarms : tuple, array or sequence
        ``(trace, sample)``, an ``(n, 2)`` integer array, or alarm objects.
    dt_ns, time_zero_ns : float
        Sample interval and time of sample 0 before time zero, ns.
    positions : array_like, optional
        Along-track position of each trace, m, strictly increasing.
    trace_spacing_m : float, optional
        Used when ``positions`` is None, m.
    half_width : int, default 20
        Traces each side of the alarm that may be picked.
    gate_ns : float, optional
        Search half-gate, ns; default half the width of the apex lobe.
    min_amplitude : float, default 0.1
        An arm ends where a trace's correlation with the apex wavelet (1 at
        the apex) falls below this.
    min_traces : int, default 5
    antenna_height_m : float or None, default 0.0
        Height of the antenna above the ground, m (0: ground-coupled). None:
        from ``ground_time_ns``.
    offset_m : float, default 0.0
        Transmitter-receiver separation along track, m.
    ground_time_ns : float, optional
        Ground bounce time, ns; with ``ground_sign = 0`` its sign is read from
        ``data`` (the mean trace of the window near that time).
    ground_sign : {-1, 0, 1}, default 0
        Sign of the ground reflection in ``data`` when known (e.g. read from
        the raw B-scan with :func:`pick_ground` before background removal).
    velocity_bounds : (float, float), default (0.02, 0.2998)
        m/ns; a fit at a bound has status ``"velocity_out_of_range"``.
    huber_k : float, default 1.345
        Huber threshold in robust scales (1.4826 MAD of the amplitude-weighted
        residuals).
    max_iterations : int, default 100
    max_radius_m : float, default 0.1
        Upper bound of the fitted flat-top half-width, m; 0 fits a point.
    check_finite : bool, default False
        Reject NaN/Inf anywhere in ``data`` (else only the traces picked
        matter: status ``"non_finite"``).

    Returns
    -------
    HyperbolaFit or list of HyperbolaFit
        One fit for one alarm, else a list in the alarms' order.

    Raises
    ------
    ValueError
        Invalid options, positions or alarms' shape.
    TypeError
        Non-float data or unknown alarm objects.
    """
    lib, x = _bscan(data, check_finite)
    dt, tz = _dt(dt_ns, time_zero_ns)
    pos, spacing = _positions(positions, trace_spacing_m, x.shape[1])
    ts, times, single = _alarms(alarms)
    o = _hyp_options(spacing, half_width=half_width, gate_ns=gate_ns, min_amplitude=min_amplitude,
                     min_traces=min_traces, antenna_height_m=antenna_height_m, offset_m=offset_m,
                     ground_time_ns=ground_time_ns, ground_sign=ground_sign, velocity_bounds=velocity_bounds,
                     huber_k=huber_k, max_iterations=max_iterations, max_radius_m=max_radius_m)
    fits = [HyperbolaFit(**d) for d in lib.fit_hyperbola(x, dt, tz, pos, ts, times, o)]
    return fits[0] if single else fits


def pick_ground(data, dt_ns, time_zero_ns=0.0, *, gate_ns, traces=None) -> GroundBounce:
    """The ground bounce: the extreme of the mean of ``traces`` within ``gate_ns``.

    Parameters
    ----------
    data : numpy.ndarray
        B-scan ``(n_samples, n_traces)``, before background removal.
    dt_ns, time_zero_ns : float
    gate_ns : (float, float)
        Times searched, ns after time zero.
    traces : (int, int), optional
        Trace range ``[first, last)``; default all.

    Returns
    -------
    GroundBounce
        ``time_ns`` (sub-sample), signed ``amplitude`` of the mean trace, and
        its ``sign``.

    Raises
    ------
    ValueError
        An empty trace range or a gate outside the record.
    """
    lib, x = _bscan(data)
    dt, tz = _dt(dt_ns, time_zero_ns)
    first, last = (0, x.shape[1]) if traces is None else map(int, traces)
    lo, hi = map(float, gate_ns)
    return GroundBounce(*lib.pick_ground(x, dt, tz, first, last, lo, hi))


def hyperbola_time(x, x0, depth_m, velocity_m_ns, antenna_height_m=0.0, offset_m=0.0):
    """Two-way travel time (ns) of the fit's model for antenna midpoints ``x`` (m).

    Parameters
    ----------
    x : float or array_like
        Antenna midpoint positions, m.
    x0, depth_m : float
        Scatterer position along track and depth below the surface, m.
    velocity_m_ns : float
        Ground velocity, m/ns.
    antenna_height_m, offset_m : float
        Antenna height above the surface and transmitter-receiver offset, m.

    Returns
    -------
    float or numpy.ndarray
    """
    f = _core.detect_features.hyperbola_time
    args = (float(x0), float(depth_m), float(velocity_m_ns), float(antenna_height_m), float(offset_m))
    if np.ndim(x) == 0:
        return f(float(x), *args)
    return np.array([f(float(v), *args) for v in np.ravel(x)]).reshape(np.shape(x))

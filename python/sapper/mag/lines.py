"""Line preprocessing of magnetometer survey readings.

Readings are a dict of 1-D numpy arrays of one length, one entry per reading
per sensor: ``time_s`` (s), ``x_m``, ``y_m`` (sensor position, m, x east, y
north), ``line``, ``sensor`` (int32) and ``value_nt`` (total field, nT; NaN
marks a missing or flagged value, skipped by every estimate). Build them with
:func:`readings_from_survey` (a simulated survey) or :func:`readings_from_mag`
(a file read by :func:`sapper.io.read_mag`). Every step returns new arrays
(the input is never modified); corrections return ``(readings, info)``.
:func:`preprocess` runs the usual sequence. Formulas and defaults:
``docs/mag_lines.md``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _core
from ..sim.mag import KARABAKH, _field

_m = _core.mag_lines

__all__ = [
    "readings_from_survey", "readings_from_mag", "line_geometry", "track_velocity", "interpolate_series",
    "diurnal_base", "diurnal_line_median", "diurnal_trend", "despike", "estimate_lag", "correct_lag",
    "estimate_heading", "correct_heading", "offset_position", "apply_sensor_offsets", "level_median",
    "level_tie_lines", "fit_poly_surface", "remove_regional", "remove_main_field", "preprocess",
]

_KEYS = ("time_s", "x_m", "y_m", "line", "sensor", "value_nt")


def _threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"threads = {threads!r} must be an int >= 0 (0 = all cores)")
    return int(threads)


def _readings(r):
    if not hasattr(r, "keys"):
        raise TypeError(f"readings must be a dict of arrays, not {type(r).__name__}")
    missing = [k for k in _KEYS if k not in r]
    if missing:
        raise ValueError(f"readings have no {missing} (need {list(_KEYS)})")
    out = {}
    n = None
    for k in _KEYS:
        a = np.asarray(r[k])
        if a.ndim != 1:
            raise ValueError(f"readings['{k}'] has shape {a.shape}; it must be 1-D")
        if n is None:
            n = a.shape[0]
        elif a.shape[0] != n:
            raise ValueError(f"readings['{k}'] has length {a.shape[0]}; time_s has {n}")
        if k in ("line", "sensor"):
            if a.size and not np.issubdtype(a.dtype, np.integer):
                if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
                    raise ValueError(f"readings['{k}'] must hold integers")
            out[k] = np.ascontiguousarray(a, dtype=np.int32)
        else:
            out[k] = np.ascontiguousarray(a, dtype=np.float64)
    return out


def _float(v, name, *, positive=False, allow_nan=False):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {v!r} is not a number") from None
    if math.isnan(f) and allow_nan:
        return f
    if not math.isfinite(f) or (positive and f <= 0):
        raise ValueError(f"{name} = {v!r} must be {'positive' if positive else 'finite'}")
    return f


def _int(v, name, lo, hi):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
        raise ValueError(f"{name} = {v!r} must be an int in [{lo}, {hi}]")
    return int(v)


def readings_from_survey(survey):
    """Readings of a simulated survey (:func:`sapper.sim.mag.simulate`).

    Parameters
    ----------
    survey : sapper.sim.mag.Survey

    Returns
    -------
    dict
        ``value_nt`` is the survey's ``total_field_nt``; positions are the
        recorded ones (with lag and GPS jitter).
    """
    h = getattr(survey, "_handle", None)
    if h is None:
        raise TypeError("survey must be a Survey returned by sapper.sim.mag.simulate()")
    return _m.survey_readings(h)


def readings_from_mag(data, line_column="line"):
    """Readings of line data read from a file (:func:`sapper.io.read_mag`).

    Rows with ``valid`` set, a finite line number (``data.extra[line_column]``,
    e.g. a Geometrics G-858 file's lines), time and position become one
    reading per sensor (sensor ``k`` is ``data.sensors[k]``), in row order;
    other rows are dropped.

    Parameters
    ----------
    data : sapper.io.MagData
    line_column : str, default "line"

    Returns
    -------
    dict
    """
    if line_column not in data.extra:
        raise ValueError(f"line data has no extra column '{line_column}' (it has: {sorted(data.extra) or 'none'})")
    line = np.asarray(data.extra[line_column], dtype=float)
    t, x, y = (np.asarray(v, dtype=float) for v in (data.time_s, data.x_m, data.y_m))
    keep = (np.asarray(data.valid) != 0) & np.isfinite(line) & np.isfinite(t) & np.isfinite(x) & np.isfinite(y)
    s = np.atleast_2d(np.asarray(data.sensors, dtype=float))[:, keep]  # (n_sensors, rows)
    ns, rows = s.shape
    rep = lambda a: np.repeat(a[keep], ns)  # noqa: E731
    return {"time_s": rep(t), "x_m": rep(x), "y_m": rep(y), "line": rep(np.round(line)).astype(np.int32),
            "sensor": np.tile(np.arange(ns, dtype=np.int32), rows), "value_nt": s.T.reshape(-1).copy()}


def line_geometry(readings):
    """Direction of travel of every line.

    Returns
    -------
    dict
        ``line`` (sorted ids), ``direction`` (+1 forward, -1 back: forward is
        along the survey axis, pointed north or east, whichever it is closer
        to), ``heading_deg`` (azimuth of travel, clockwise from north),
        ``cross_m`` (median position across the axis, m), ``axis_deg`` and
        ``reading_direction`` (per reading).
    """
    return _m.line_geometry(_readings(readings))


def track_velocity(readings, half_window=5):
    """Velocity along each (line, sensor) track, m/s: central differences over
    ``+-half_window`` samples (one-sided at the ends). Returns ``(vx, vy)``."""
    return _m.track_velocity(_readings(readings), _int(half_window, "half_window", 1, 10**6))


def interpolate_series(series_t, series_v, t, *, offset_s=0.0, max_gap_s=None, threads=0):
    """Linear interpolation of a time series (e.g. a base station) at reading times.

    Parameters
    ----------
    series_t, series_v : array_like
        Series times (s, strictly increasing) and values (NaN: missing).
    t : array_like
        Reading times, s.
    offset_s : float, default 0
        Clock offset: the series at ``series_t + offset_s`` is on the
        readings' clock.
    max_gap_s : float, optional
        Longest interval between valid samples bridged; default 5 x the
        median sample interval.
    threads : int, default 0

    Returns
    -------
    value : numpy.ndarray
        NaN in a gap.
    gap : numpy.ndarray of bool
        Outside the series, or between valid samples more than ``max_gap_s``
        apart.
    """
    gap = 0.0 if max_gap_s is None else _float(max_gap_s, "max_gap_s", positive=True)
    v, g, _ = _m.interpolate_series(np.asarray(series_t, float).ravel(), np.asarray(series_v, float).ravel(),
                                    np.asarray(t, float).ravel(), _float(offset_s, "offset_s"), gap, _threads(threads))
    return v, g


def diurnal_base(readings, base, *, offset_s=0.0, max_gap_s=None, reference_nt=None, threads=0):
    """Diurnal correction from a base station: ``value - (base(t) - reference)``.

    Parameters
    ----------
    readings : dict
    base : dict or sapper.io.BaseStation
        ``time_s`` and ``field_nt`` (NaN: missing).
    offset_s, max_gap_s : float
        As in :func:`interpolate_series`.
    reference_nt : float, optional
        The level kept; default the median of the base station.
    threads : int, default 0

    Returns
    -------
    readings : dict
        Readings in a base-station gap become NaN.
    info : dict
        ``correction_nt`` (subtracted), ``gap`` (bool), ``gaps``, ``reference_nt``.
    """
    bt = base["time_s"] if hasattr(base, "keys") else base.time_s
    bv = base["field_nt"] if hasattr(base, "keys") else base.field_nt
    ref = math.nan if reference_nt is None else _float(reference_nt, "reference_nt")
    gap = 0.0 if max_gap_s is None else _float(max_gap_s, "max_gap_s", positive=True)
    return _m.diurnal_base(_readings(readings), np.asarray(bt, float).ravel(), np.asarray(bv, float).ravel(),
                           _float(offset_s, "offset_s"), gap, ref, _threads(threads))


def diurnal_line_median(readings):
    """Diurnal correction without a base station: each line's median moved to
    the median of the line medians. Returns ``(readings, info)``."""
    return _m.diurnal_line_median(_readings(readings))


def diurnal_trend(readings, order=2):
    """Diurnal correction without a base station: ``value - (p(t) - median p)``,
    ``p`` a polynomial of ``order`` (0-5) in time fitted robustly (Huber then
    Tukey IRLS) to every reading. Returns ``(readings, info)``."""
    return _m.diurnal_trend(_readings(readings), _int(order, "order", 0, 5))


def despike(readings, *, half_window=3, k=3.5, min_deviation_nt=1.0, replace=True, threads=0):
    """Hampel filter along each (line, sensor) track.

    A value is a spike when ``|x - med| > max(k * 1.4826 * MAD, min_deviation_nt)``
    over the ``2 half_window + 1`` samples around it (fewer at the ends).

    Parameters
    ----------
    readings : dict
    half_window : int, default 3
        Samples each side: keep it below an object anomaly's half-width in
        samples (0.3 m at 10 samples/m), or its peak looks like a spike.
    k : float, default 3.5
    min_deviation_nt : float, default 1.0
        So that noise on flat ground is not taken for spikes, nT.
    replace : bool, default True
        Spikes replaced by the window median; False: set to NaN.
    threads : int, default 0

    Returns
    -------
    readings : dict
    spike : numpy.ndarray of bool
    """
    return _m.despike_hampel(_readings(readings), _int(half_window, "half_window", 1, 10000),
                             _float(k, "k", positive=True), _float(min_deviation_nt, "min_deviation_nt"),
                             bool(replace), _threads(threads))


def estimate_lag(readings, *, max_lag_s=0.5, step_s=0.01, max_separation_m=0.15, neighbour_separation_m=2.0,
                 velocity_half_window=5, method="profiles", field=KARABAKH, sensor_height_m=0.3,
                 min_anomaly_nt=30.0, radius_m=0.0, max_anomalies=12, threads=0):
    """Position lag (recorded position = true - lag * velocity), s.

    ``method="profiles"``: every forward (line, sensor) track is paired with
    every back track whose median position across the survey axis is within
    ``max_separation_m``. Without such pairs (no track retraces another: an
    ordinary back-and-forth survey), every forward track is paired with the
    nearest back track on each side within ``neighbour_separation_m`` (0 =
    never). For each trial lag on a grid over ``[-max_lag_s, max_lag_s]``
    both are moved by ``lag * velocity``, the back track is interpolated
    (cubic Hermite) at the forward track's positions, each less a straight
    line in the along-axis position, and the misfit is the
    orthogonal-regression residual; the minimum is refined by a parabola.

    ``method="dipoles"``: values less their (line, sensor) track median; the
    strongest readings (``|value| >= min_anomaly_nt``, each at least
    ``2 radius_m`` from a stronger one, both directions' peaks within
    ``radius_m`` at least ``min_anomaly_nt / 3``) are anomalies; for each
    trial lag every anomaly's readings within ``radius_m`` are moved by
    ``lag * velocity`` and one dipole is fitted (:func:`sapper.mag.fit_dipole`,
    Huber loss, sensors ``sensor_height_m`` above the ground); the misfit is
    the summed residual over the summed data sum of squares of the anomalies
    whose fit explains at least 95 % at some lag inside the search; the
    minimum is refined by a parabola. Needs no track pairing: the dipole
    model accounts for the tracks' different distances to each source, so
    the error that neighbouring tracks give at an inclined field goes away.

    Parameters
    ----------
    readings : dict
    max_lag_s, step_s : float
        Search grid ``[-max_lag_s, max_lag_s]`` by ``step_s``, s.
    max_separation_m, neighbour_separation_m : float
        profiles: track pairing across, m.
    velocity_half_window : int
        Velocity by central differences over this many samples each side.
    method : {"profiles", "dipoles"}
    field : (float, float, float) or dict, default KARABAKH
        dipoles: Earth field ``(total_nt, inclination_deg, declination_deg)``.
    sensor_height_m : float
        dipoles: sensor height above the ground, m.
    min_anomaly_nt : float
        dipoles: weakest anomaly peak used, nT.
    radius_m : float
        dipoles: window radius, m; 0: 1 m, or 1.5 x the median spacing
        between tracks across when that is larger.
    max_anomalies : int
        dipoles: the strongest this many anomalies are fitted.
    threads : int, default 0

    Returns
    -------
    dict
        ``lag_s`` (NaN: no pair / no anomaly), ``pairs``, ``points``,
        ``neighbours`` (the pairs are neighbouring tracks), ``lags_s``,
        ``misfit`` (profiles: mean, nT^2; dipoles: relative), ``method``;
        dipoles also ``anomalies`` (the number used: 0 gives NaN),
        ``radius_m`` (used), ``anomaly_x_m``, ``anomaly_y_m`` (fitted
        positions at the estimated lag).

    Raises
    ------
    ValueError
        On malformed readings or an option out of range (named).
    """
    if method not in ("profiles", "dipoles"):
        raise ValueError(f"method = {method!r} must be 'profiles' or 'dipoles'")
    return _m.estimate_lag(_readings(readings), _float(max_lag_s, "max_lag_s", positive=True),
                           _float(step_s, "step_s", positive=True),
                           _float(max_separation_m, "max_separation_m", positive=True),
                           _int(velocity_half_window, "velocity_half_window", 1, 10**6),
                           _float(neighbour_separation_m, "neighbour_separation_m"), method,
                           _float(min_anomaly_nt, "min_anomaly_nt", positive=True), _float(radius_m, "radius_m"),
                           _int(max_anomalies, "max_anomalies", 1, 10**6),
                           _float(sensor_height_m, "sensor_height_m", positive=True), _field(field), _threads(threads))


def correct_lag(readings, lag_s, *, velocity_half_window=5):
    """Positions moved forward by ``lag_s * velocity`` (recorded = true - lag v)."""
    return _m.correct_lag(_readings(readings), _float(lag_s, "lag_s"),
                          _int(velocity_half_window, "velocity_half_window", 1, 10**6))


def estimate_heading(readings, *, radius_m=0.5, coincident=True, min_pairs=100):
    """Heading error per sensor: ``value = truth + direction * h[sensor]``.

    Coincident (default): each forward reading is paired with the nearest
    back reading within ``radius_m``; ``h_a + h_b`` = the median difference of
    each sensor pair ``(a, b)``, solved by weighted least squares. With fewer
    than ``min_pairs`` pairs (or a sensor in none), or ``coincident=False``:
    ``h = (median of forward line medians - median of back ones) / 2``.

    Returns
    -------
    dict
        ``sensor``, ``offset_nt``, ``pairs``, ``method``.
    """
    return _m.estimate_heading(_readings(readings), _float(radius_m, "radius_m", positive=True), bool(coincident),
                               _int(min_pairs, "min_pairs", 1, 2**62))


def correct_heading(readings, heading):
    """``value - direction * h[sensor]`` with ``heading`` from :func:`estimate_heading`."""
    return _m.correct_heading(_readings(readings), {"sensor": np.asarray(heading["sensor"], np.int32),
                                                    "offset_nt": np.asarray(heading["offset_nt"], float)})


def offset_position(x, y, heading_deg, across_m, along_m=0.0):
    """The point ``across_m`` right of travel and ``along_m`` ahead of ``(x, y)``.

    ``(x, y) + along (sin h, cos h) + across (cos h, -sin h)``, heading ``h``
    clockwise from north. Arrays broadcast. Returns ``(x, y)``.
    """
    h = np.radians(np.asarray(heading_deg, float))
    s, c = np.sin(h), np.cos(h)
    return np.asarray(x) + along_m * s + across_m * c, np.asarray(y) + along_m * c - across_m * s


def apply_sensor_offsets(readings, across_m, along_m=None, *, half_window=5):
    """Readings recorded at a reference point (GPS) moved to their sensors.

    Parameters
    ----------
    readings : dict
    across_m, along_m : array_like
        Offsets per sensor id (right of travel, ahead), m; ``along_m``
        default 0.
    half_window : int, default 5
        For the heading of the reference track (:func:`track_velocity`).
    """
    across = np.ascontiguousarray(across_m, float).ravel()
    along = np.zeros_like(across) if along_m is None else np.ascontiguousarray(along_m, float).ravel()
    return _m.apply_sensor_offsets(_readings(readings), across, along, _int(half_window, "half_window", 1, 10**6))


def level_median(readings):
    """Each line's median moved to the median of the line medians.
    Returns ``(readings, info)``: ``line``, ``offset_nt`` (subtracted)."""
    return _m.level_median(_readings(readings))


def level_tie_lines(readings, tie_lines, *, radius_m=0.25):
    """Tie-line levelling.

    For each traverse reading, the nearest tie-line reading within
    ``radius_m``; ``D(L, T)`` = the median difference per crossing; offsets
    minimise ``sum n_LT (o_L - o_T - D)^2`` with the mean tie offset 0.
    Returns ``(readings, info)``: ``line``, ``offset_nt``, ``crossovers``.
    """
    ties = np.atleast_1d(np.asarray(tie_lines)).astype(np.int32)
    return _m.level_tie_lines(_readings(readings), ties, _float(radius_m, "radius_m", positive=True))


def fit_poly_surface(x, y, v, order=1):
    """Robust polynomial surface of ``order`` (0-3) in x, y (NaN values skipped).

    Returns
    -------
    dict
        ``order``, ``cx``, ``cy``, ``scale``, ``coef`` (terms ``u^i v^j``,
        ``u = (x - cx) / scale``, by total degree then falling ``i``),
        ``gradient_nt_m`` (at the centre), ``value_at_centre_nt``.
    """
    return _m.fit_poly_surface(np.asarray(x, float).ravel(), np.asarray(y, float).ravel(),
                               np.asarray(v, float).ravel(), _int(order, "order", 0, 3))


def remove_regional(readings, order=1):
    """``value - surface(x, y)``, the surface from :func:`fit_poly_surface`.
    Returns ``(readings, surface)``."""
    return _m.remove_regional(_readings(readings), _int(order, "order", 0, 3))


def remove_main_field(readings, field_nt):
    """``value - field_nt`` (e.g. the IGRF total field)."""
    return _m.remove_main_field(_readings(readings), _float(field_nt, "field_nt"))


def preprocess(readings, *, base=None, sensor_offsets=None, despike_spikes=True, lag="estimate", heading=True,
               diurnal="auto", regional_order=1, main_field_nt=None, tie_lines=None, field=None, sensor_height_m=0.3,
               threads=0):
    """The usual line preprocessing sequence.

    1. sensor offsets (``sensor_offsets=(across_m, along_m)``, if given);
    2. diurnal: ``base`` given: :func:`diurnal_base`; else ``diurnal="auto"``
       or ``"trend"``: :func:`diurnal_trend` (order 2), ``"none"``: skipped;
    3. despiking (:func:`despike`, defaults);
    4. lag: ``"estimate"``: :func:`estimate_lag` (profiles), applied when
       found (else skipped: no tracks over the same ground); ``"dipoles"``:
       :func:`estimate_lag` with ``method="dipoles"`` (needs ``field`` =
       (total nT, inclination, declination deg) and ``sensor_height_m``),
       falling back to profiles where no anomaly qualifies; a number: that
       lag; None: skipped;
    5. heading: :func:`estimate_heading` then :func:`correct_heading`;
    6. regional: ``main_field_nt`` subtracted if given, then a robust
       surface of ``regional_order`` (None: skipped);
    7. levelling: tie lines if ``tie_lines`` given, else median levelling.

    Returns
    -------
    readings : dict
    steps : list of dict
        ``{"step": name, ...what it estimated}``, in order.
    """
    r = _readings(readings)
    steps = []
    if sensor_offsets is not None:
        across, along = sensor_offsets
        r = apply_sensor_offsets(r, across, along)
        steps.append({"step": "sensor_offsets", "across_m": list(np.ravel(across)), "along_m": list(np.ravel(along))})
    if diurnal not in ("auto", "trend", "none"):
        raise ValueError(f"diurnal = {diurnal!r} must be 'auto', 'trend' or 'none'")
    if base is not None:
        r, info = diurnal_base(r, base, threads=threads)
        steps.append({"step": "diurnal_base", "reference_nt": info["reference_nt"], "gaps": info["gaps"]})
    elif diurnal != "none":
        r, info = diurnal_trend(r, 2)
        steps.append({"step": "diurnal_trend", "order": 2, "reference_nt": info["reference_nt"]})
    if despike_spikes:
        r, spike = despike(r, threads=threads)
        steps.append({"step": "despike", "spikes": int(spike.sum())})
    if isinstance(lag, str):
        if lag not in ("estimate", "dipoles"):
            raise ValueError(f"lag = {lag!r} must be 'estimate', 'dipoles', a number (s) or None")
        if lag == "dipoles" and field is None:
            raise ValueError("lag = 'dipoles' needs field = (total_nt, inclination_deg, declination_deg)")
        method = lag if lag == "dipoles" else "profiles"
        if method == "dipoles":
            e = estimate_lag(r, method="dipoles", field=field, sensor_height_m=sensor_height_m, threads=threads)
        if method == "profiles" or not np.isfinite(e["lag_s"]):  # no anomaly qualified: fall back
            method, e = "profiles", estimate_lag(r, threads=threads)
        if np.isfinite(e["lag_s"]):
            r = correct_lag(r, e["lag_s"])
            steps.append({"step": "lag", "lag_s": e["lag_s"], "method": method, "pairs": e["pairs"],
                          "neighbours": e["neighbours"], "estimated": True})
        else:
            steps.append({"step": "lag", "lag_s": None, "pairs": 0, "skipped": "no opposite tracks within 2 m"})
    elif lag is not None:
        r = correct_lag(r, lag)
        steps.append({"step": "lag", "lag_s": float(lag), "estimated": False})
    if heading:
        h = estimate_heading(r)
        r = correct_heading(r, h)
        steps.append({"step": "heading", "method": h["method"], "sensor": h["sensor"].tolist(),
                      "offset_nt": h["offset_nt"].tolist(), "pairs": h["pairs"]})
    if main_field_nt is not None:
        r = remove_main_field(r, main_field_nt)
        steps.append({"step": "main_field", "field_nt": float(main_field_nt)})
    if regional_order is not None:
        r, surf = remove_regional(r, regional_order)
        steps.append({"step": "regional", "order": surf["order"], "gradient_nt_m": surf["gradient_nt_m"],
                      "value_at_centre_nt": surf["value_at_centre_nt"]})
    if tie_lines is not None:
        r, info = level_tie_lines(r, tie_lines)
        steps.append({"step": "level_tie_lines", "line": info["line"].tolist(),
                      "offset_nt": info["offset_nt"].tolist(), "crossovers": info["crossovers"]})
    else:
        r, info = level_median(r)
        steps.append({"step": "level_median", "line": info["line"].tolist(), "offset_nt": info["offset_nt"].tolist()})
    return r, steps

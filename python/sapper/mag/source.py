"""Magnetic sources: dipole fits, greedy multi-dipole fits and Euler deconvolution.

:func:`fit_dipole` fits one point dipole to scattered total-field readings
(Levenberg-Marquardt over the position, moment and base level solved linearly
at each position, analytic Jacobian, bounded depth, robust loss) and returns
the target's features; :func:`fit_dipoles` separates overlapping anomalies;
:func:`select_window` picks the readings around a target;
:func:`euler_deconvolution` solves Euler's equation in moving windows of a
grid. :func:`dipole_anomaly` (the forward model, from :mod:`sapper.sim.mag`)
is re-exported here.

Coordinates x east, y north, z up, m; depths positive down from ``ground_z``;
moments A m^2; fields nT. Every formula: ``docs/mag_source.md``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .. import _core
from ..sim.mag import KARABAKH, _field, dipole_anomaly, dipole_field
from ._grid import Grid

__all__ = ["fit_dipole", "fit_dipoles", "select_window", "euler_deconvolution", "DipoleFit", "MultiDipoleFit",
           "dipole_anomaly", "dipole_field"]


@dataclass(frozen=True)
class DipoleFit:
    """One fitted dipole and its target features.

    Attributes
    ----------
    x, y, z : float
        Position, m (z up).
    depth : float
        ``ground_z - z``, m.
    moment : tuple of float
        ``(mx, my, mz)``, A m^2.
    moment_am2 : float
        ``|m|``, A m^2.
    inclination_deg, declination_deg : float
        Direction of the moment: below the horizontal, east of north.
    remanence_deg : float
        Angle between the moment and the Earth field (0 for a purely induced
        moment), deg.
    base_nt : float
        Fitted constant base level, nT.
    rms_nt : float
        rms of data minus model over the readings, nT.
    scale_nt : float
        Robust residual scale ``1.4826 MAD``, nT.
    coherence : float
        Correlation coefficient of data and model.
    amplitude_nt : float
        Max minus min of the fitted dipole's anomaly at the readings, nT.
    width_m : float
        Diameter of the circle whose area equals that where the fitted
        anomaly's magnitude is at least half its maximum (at the mean sensor
        height), m.
    iterations : int
        Levenberg-Marquardt iterations, all rounds.
    converged : bool
        Position step below ``xtol`` and robust weights settled within the
        limits.
    points_used : int
        Readings in the fit.
    """
    x: float
    y: float
    z: float
    depth: float
    moment: tuple
    moment_am2: float
    inclination_deg: float
    declination_deg: float
    remanence_deg: float
    base_nt: float
    rms_nt: float
    scale_nt: float
    coherence: float
    amplitude_nt: float
    width_m: float
    iterations: int
    converged: bool
    points_used: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MultiDipoleFit:
    """Dipoles of a greedy multi-dipole fit.

    Attributes
    ----------
    dipoles : list of DipoleFit
        In the order found (strongest first); ``rms_nt``, ``coherence``,
        ``base_nt``, ``iterations`` and ``converged`` are those of the joint
        fit.
    residual_nt : numpy.ndarray
        Data minus the joint model, per reading, nT.
    rms_nt : float
        rms of ``residual_nt``, nT.
    """
    dipoles: list
    residual_nt: np.ndarray
    rms_nt: float


def _readings(x, y, z, dT):
    try:
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, y, z, dT)))
    except ValueError:
        shapes = [np.shape(v) for v in (x, y, z, dT)]
        raise ValueError(f"x, y, z and dT have shapes {shapes} that do not broadcast together") from None
    return [np.ascontiguousarray(a).ravel() for a in arrays]


def _options(field, depth_bounds, ground_z, loss, base, exact, start, start_depths, max_iterations, max_irls, xtol):
    f = _field(field)
    if len(depth_bounds) != 2:
        raise ValueError(f"depth_bounds = {depth_bounds!r} must be (min_depth, max_depth), m")
    if start is None:
        sx = sy = math.nan
    else:
        if len(start) != 2:
            raise ValueError(f"start = {start!r} must be (x, y), m")
        sx, sy = (float(v) for v in start)
        if not (math.isfinite(sx) and math.isfinite(sy)):
            raise ValueError(f"start = {start!r} must be finite")
    for name, v in (("max_iterations", max_iterations), ("max_irls", max_irls)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} = {v!r} must be an int")
    return {"total_nt": f[0], "inclination_deg": f[1], "declination_deg": f[2], "ground_z": float(ground_z),
            "min_depth": float(depth_bounds[0]), "max_depth": float(depth_bounds[1]), "loss": str(loss),
            "base": bool(base), "exact": bool(exact), "max_iterations": int(max_iterations),
            "max_irls": int(max_irls), "xtol": float(xtol),
            "start_depths": [float(d) for d in (start_depths or [])], "start_x": sx, "start_y": sy}


def _fit(d):
    d = dict(d)
    d["moment"] = tuple(d["moment"])
    return DipoleFit(**d)


def fit_dipole(x, y, z, dT, field=KARABAKH, *, depth_bounds=(0.02, 3.0), ground_z=0.0, loss="huber", base=True,
               exact=True, start=None, start_depths=None, max_iterations=50, max_irls=10, xtol=1e-5):
    """Fit one point dipole to total-field readings.

    Levenberg-Marquardt over the position ``(x0, y0, z0)``; for each position
    the moment and a constant base level are the weighted linear least-squares
    solution of ``dT ~ F^.B(m) + b`` (variable projection). The Jacobian is
    analytic; the depth stays within ``depth_bounds``; a robust loss is
    applied by iteratively reweighted least squares with the scale
    ``1.4826 MAD`` of the residuals. With ``exact``, the small nonlinear part
    ``|F+B| - |F| - F^.B`` of the fitted model is moved to the data side and
    the fit repeated (two passes), so that the exact anomaly is fitted.

    Parameters
    ----------
    x, y, z : array_like
        Reading positions, m (z up: the sensor height); broadcast with ``dT``.
    dT : array_like
        Total-field anomaly, nT (any constant base level is fitted).
    field : (float, float, float) or dict, default KARABAKH
        Earth field ``(total_nt, inclination_deg, declination_deg)``.
    depth_bounds : (float, float), default (0.02, 3.0)
        Depth of the source below ``ground_z`` is kept within these, m;
        ``0 < min < max``.
    ground_z : float, default 0.0
        z of the ground, m. Every reading must be above ``ground_z - min``.
    loss : {"huber", "cauchy", "l2"}, default "huber"
        Robust loss (Huber k = 1.345, Cauchy c = 2.385, in robust sigmas).
    base : bool, default True
        Fit a constant base level (else it is 0).
    exact : bool, default True
        Fit the exact ``|F+B| - |F|`` (see above) rather than ``F^.B``.
    start : (float, float), optional
        Start (x, y), m; default: the strongest anomaly, robust to spikes.
    start_depths : sequence of float, optional
        Start depths, m (the best by its linear misfit is used); default:
        five around the depth implied by the anomaly's half-width.
    max_iterations : int, default 50
        Levenberg-Marquardt iterations per solve.
    max_irls : int, default 10
        Reweighting rounds of the robust loss.
    xtol : float, default 1e-5
        Converged when the position step is below this, m.

    Returns
    -------
    DipoleFit

    Raises
    ------
    ValueError
        On mismatched shapes, fewer than 8 readings, a NaN/Inf value (named,
        e.g. ``dT[12]``), a reading below the shallowest allowed source, an
        invalid field, bound or option.

    Examples
    --------
    >>> gx, gy = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41))
    >>> dT = dipole_anomaly([0.1, 0, -0.3, 0.05, 0.2, -0.3], gx, gy, 0.3)
    >>> f = fit_dipole(gx, gy, 0.3, dT)
    >>> round(f.x, 3), round(f.depth, 3)
    (0.1, 0.3)
    """
    x, y, z, dT = _readings(x, y, z, dT)
    o = _options(field, depth_bounds, ground_z, loss, base, exact, start, start_depths, max_iterations, max_irls,
                 xtol)
    return _fit(_core.mag_source.fit_dipole(x, y, z, dT, o))


def fit_dipoles(x, y, z, dT, field=KARABAKH, *, max_dipoles=4, min_peak_nt=0.0, depth_bounds=(0.02, 3.0),
                ground_z=0.0, loss="huber", base=True, exact=True, max_iterations=50, max_irls=10, xtol=1e-5):
    """Greedy multi-dipole fit of overlapping anomalies.

    Fit the strongest anomaly with one dipole; then, while the residual's peak
    ``|dT|`` is at least ``min_peak_nt`` and fewer than ``max_dipoles`` are
    fitted: fit one more dipole to the residual, started at its peak, and
    refit all positions jointly (all moments and the base linear). A new
    dipole that lowers the rms by less than 5 % is dropped and the search
    stops.

    Parameters
    ----------
    x, y, z, dT, field
        As :func:`fit_dipole`.
    max_dipoles : int, default 4
        In [1, 20].
    min_peak_nt : float, default 0.0
        Stop threshold, nT; 0: five times the residual's robust scale.
    depth_bounds, ground_z, loss, base, exact, max_iterations, max_irls, xtol
        As :func:`fit_dipole` (applied to every dipole).

    Returns
    -------
    MultiDipoleFit

    Raises
    ------
    ValueError
        As :func:`fit_dipole`, or ``max_dipoles`` / ``min_peak_nt`` out of
        range.
    """
    x, y, z, dT = _readings(x, y, z, dT)
    o = _options(field, depth_bounds, ground_z, loss, base, exact, None, None, max_iterations, max_irls, xtol)
    if isinstance(max_dipoles, bool) or not isinstance(max_dipoles, (int, np.integer)):
        raise ValueError(f"max_dipoles = {max_dipoles!r} must be an int")
    dips, res, rms = _core.mag_source.fit_dipoles(x, y, z, dT, o, int(max_dipoles), float(min_peak_nt))
    return MultiDipoleFit([_fit(d) for d in dips], res, float(rms))


def select_window(x, y, center, radius):
    """Indices of the readings within ``radius`` (horizontal) of ``center``.

    Parameters
    ----------
    x, y : array_like, 1-D
        Reading positions, m (NaN positions are never selected).
    center : (float, float)
        The pick, m.
    radius : float
        m; positive.

    Returns
    -------
    numpy.ndarray
        int64 indices, increasing.

    Raises
    ------
    ValueError
        On mismatched lengths, a non-finite centre or a non-positive radius.
    """
    x = np.ascontiguousarray(x, dtype=np.float64).ravel()
    y = np.ascontiguousarray(y, dtype=np.float64).ravel()
    if len(center) != 2:
        raise ValueError(f"center = {center!r} must be (x, y), m")
    return _core.mag_source.select_window(x, y, float(center[0]), float(center[1]), float(radius))


def _like(name, g, shape):
    v = g.values if isinstance(g, Grid) else np.asarray(g, dtype=np.float64)
    if v.shape != shape:
        raise ValueError(f"{name} has shape {v.shape}; it must match the grid's {shape}")
    return np.ascontiguousarray(v, dtype=np.float64)


def euler_deconvolution(grid, dx, dy, dz, window=10, structural_index=3.0, *, step=1, height=0.0,
                        min_valid_fraction=0.5, max_depth_uncertainty=0.1, max_offset=0.5, threads=0):
    """Moving-window Euler deconvolution of a gridded anomaly.

    In every ``window x window`` window (stride ``step``) the least-squares
    solution of ``(x - x0) Tx + (y - y0) Ty + (z - z0) Tz = N (B - T)`` over
    its finite cells, for ``(x0, y0, z0, B)``, with one-sigma uncertainties
    from the residual. A solution is accepted when ``z0 < height``,
    ``sigma_z / (height - z0) <= max_depth_uncertainty`` and it lies within
    ``max_offset`` window widths of the window's centre.

    Parameters
    ----------
    grid : Grid
        The anomaly ``T``, nT (NaN cells are skipped).
    dx, dy, dz : Grid or array_like
        ``dT/dx``, ``dT/dy``, ``dT/dz`` on the same cells, nT/m; z up (an
        upward derivative; negate a downward one).
    window : int, default 10
        Window side, cells; at least 3 and at most the grid.
    structural_index : float, default 3.0
        ``N``: 3 dipole (sphere), 2 horizontal cylinder / pipe, 1 dyke, 0
        contact; in [0, 10].
    step : int, default 1
        Window stride, cells.
    height : float, default 0.0
        z of the grid (the sensors), m.
    min_valid_fraction : float, default 0.5
        Windows with fewer finite cells (and fewer than 5) are skipped.
    max_depth_uncertainty, max_offset : float
        The acceptance filter (see above).
    threads : int, default 0
        0 = all cores; the numbers do not depend on it.

    Returns
    -------
    dict of str to numpy.ndarray
        One entry per window (row-major): ``x, y, z`` (m), ``base`` (nT),
        ``sigma_x, sigma_y, sigma_z, sigma_base``, ``window_x, window_y``
        (window centre, m), ``cells`` (int64), ``accepted`` (bool). NaN where
        a window is skipped or singular.

    Raises
    ------
    ValueError
        On a shape mismatch, a window that does not fit, or an option out of
        range (named).
    """
    if not isinstance(grid, Grid):
        raise ValueError(f"grid must be a sapper.mag.Grid, not {type(grid).__name__}")
    shape = grid.values.shape
    gx, gy, gz = (_like(n, g, shape) for n, g in (("dx", dx), ("dy", dy), ("dz", dz)))
    for name, v in (("window", window), ("step", step), ("threads", threads)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} = {v!r} must be an int")
    o = {"structural_index": float(structural_index), "window": int(window), "step": int(step),
         "height": float(height), "min_valid_fraction": float(min_valid_fraction),
         "max_depth_uncertainty": float(max_depth_uncertainty), "max_offset": float(max_offset),
         "threads": int(threads)}
    return _core.mag_source.euler(grid.values, grid.x0, grid.y0, grid.dx, grid.dy, gx, gy, gz, o)

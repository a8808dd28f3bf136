"""Synthetic magnetometer surveys with ground truth, and the dipole forward model.

:func:`simulate` walks a cart of total-field sensors back and forth along
parallel lines over buried dipoles (metal AT mines, mortars, shells,
minimum-metal AP mines, shrapnel) and adds the nuisances of a real survey:
diurnal drift (with its base-station record), heading error, position lag,
sensor noise, GPS jitter, magnetic soil and a regional gradient. The same
``(scene, seed)`` gives the same numbers for any thread count.
:func:`dipole_anomaly` and :func:`dipole_field` are the forward model it uses.

Coordinates: x east, y north, z up, m (the ground is z = 0; depths are
positive down). Moments in A m^2, fields in nT, times in s. The scene JSON
schema and every formula: ``docs/sim_mag.md``. Bad input raises ``ValueError``
naming the key or value.
"""
from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .. import _core

__all__ = ["simulate", "write", "default_scene", "scene_over_lane", "Survey", "dipole_anomaly", "dipole_field",
           "induced_moment", "KARABAKH", "LANE_TYPE_TO_CLASS"]

KARABAKH = (49800.0, 58.0, 6.0)
"""Default Earth field ``(total_nt, inclination_deg, declination_deg)``: Karabakh."""


@dataclass(frozen=True)
class Survey:
    """A simulated survey.

    Attributes
    ----------
    readings : dict of str to numpy.ndarray
        One entry per reading, in time order (line, sample, sensor), all of
        one length: ``time_s`` (s), ``line``, ``direction`` (+1 north/east,
        -1 back), ``sensor`` (int32); ``x_m``, ``y_m`` (recorded position:
        with lag and jitter), ``z_m`` (sensor height), ``total_field_nt``
        (what the sensor reads); noise-free parts, for tests and training:
        ``x_true_m``, ``y_true_m`` (true position), ``anomaly_nt`` (the
        objects), ``diurnal_nt``, ``heading_nt``, ``soil_nt``,
        ``gradient_nt``. ``total_field_nt = F + anomaly + soil + gradient +
        diurnal + heading + white noise``. Read-only.
    base_station : dict of str to numpy.ndarray
        ``time_s`` (s) and ``field_nt``: ``F + diurnal`` plus the base
        station's own noise. Read-only.
    truth : dict
        The objects (:mod:`sapper.sim` truth format, with moments); the area
        is the surveyed rectangle.
    scene : dict
        The scene as applied: every default written out, random objects and
        drawn moments listed, so that ``simulate(scene, seed)`` replays it.
    """
    readings: dict
    base_station: dict
    truth: dict
    scene: dict
    _handle: object = field(default=None, repr=False, compare=False)


def default_scene():
    """The default scene: every default, plus a few objects of each class scattered at random.

    A 20 m x 20 m survey, lines 1 m apart along north, four sensors 0.25 m
    apart at 0.3 m, 1 m/s, 10 Hz, Karabakh field; 2 AT mines, 2 mortars, 1
    shell, 3 minimum-metal AP mines and 15 fragments at least 1 m apart; every
    nuisance on at a typical level.

    Returns
    -------
    dict
        The scene, every key written out (schema: ``docs/sim_mag.md``).
    """
    return json.loads(_core.sim_mag_default_scene())


LANE_TYPE_TO_CLASS = {"PMN": "ap_mine", "PMA-1": "ap_mine", "TS-50": "ap_mine", "TM-62P": "ap_mine",
                      "TM-62M": "at_mine", "mortar": "mortar", "fragment": "fragment", "point": "fragment"}
"""Magnetometer class of each :mod:`sapper.sim.gpr` object type. A TM-62P's metal is its fuze,
as much as a minimum-metal AP mine's; rocks, roots and voids are not magnetic and are left out."""


def scene_over_lane(truth, *, line_spacing_m=1.0, sensor_offsets_m=(-0.375, -0.125, 0.125, 0.375),
                    margin_m=0.5, **sections):
    """A magnetometer scene over the objects of a GPR lane, for fusing the two sensors.

    The survey covers the lane's area (plus ``margin_m`` at both ends and
    enough across it for at least 0.5 m), lines run along the lane (x), and
    every magnetic object of the lane is placed at its x, y and depth as the
    class :data:`LANE_TYPE_TO_CLASS` gives it, with a moment drawn by the
    simulator for that class. Truth ids are kept in the same order, so
    object k of the survey's truth is the k-th magnetic object of the lane.

    Parameters
    ----------
    truth : dict
        The lane's truth (``GprLane.truth``).
    line_spacing_m : float, default 1.0
        Distance between survey lines, m.
    sensor_offsets_m : sequence of float
        Sensor offsets across the cart, m (the default: 4 sensors 0.25 m apart).
    margin_m : float, default 0.5
        Survey beyond each end of the lane, m.
    **sections : dict
        Further scene sections (``earth_field``, ``nuisances``, ``classes``)
        or ``survey`` keys to override.

    Returns
    -------
    dict
        A scene for :func:`simulate` (schema: ``docs/sim_mag.md``).

    Raises
    ------
    ValueError
        If ``truth`` has no area or an object type that is not a GPR type.
    """
    try:
        a = truth["area"]
        x0, x1, y0, y1 = (float(a[k]) for k in ("x0", "x1", "y0", "y1"))
    except (KeyError, TypeError) as e:
        raise ValueError(f"truth must have an area with x0, x1, y0, y1: {e}") from None
    pad = max(0.0, 0.5 - (y1 - y0)) / 2
    survey = {"x0": x0 - margin_m, "x1": x1 + margin_m, "y0": y0 - pad, "y1": y1 + pad,
              "line_direction": "east", "line_spacing_m": float(line_spacing_m),
              "sensor_offsets_m": [float(o) for o in sensor_offsets_m]}
    survey.update(sections.pop("survey", {}))
    objects = []
    for o in truth.get("objects", []):
        t = o.get("type")
        if t not in LANE_TYPE_TO_CLASS and t not in ("rock", "root", "void"):
            raise ValueError(f"truth object {o.get('id')} has type {t!r}, not a sapper.sim.gpr type")
        if t in LANE_TYPE_TO_CLASS:
            objects.append({"type": LANE_TYPE_TO_CLASS[t], "x": float(o["x"]), "y": float(o["y"]),
                            "depth": float(o["depth"])})
    return {"survey": survey, "objects": objects, **sections}


def _scene_text(scene):
    if scene is None:
        return _core.sim_mag_default_scene()
    if isinstance(scene, Mapping):
        return json.dumps(dict(scene))
    if isinstance(scene, os.PathLike) or (isinstance(scene, str) and not scene.lstrip().startswith("{")):
        return pathlib.Path(scene).read_text()
    if isinstance(scene, str):
        return scene
    raise TypeError(f"scene must be a dict, JSON text or a path, not {type(scene).__name__}")


def _seed(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed = {seed} must be in [0, 2**64)")
    return int(seed)


def _threads(threads):
    if not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"threads = {threads!r} must be an int >= 0 (0 = all cores)")
    return int(threads)


def _frozen(d):
    for a in d.values():
        a.flags.writeable = False
    return d


def simulate(scene=None, seed=0, *, threads=0):
    """Simulate a magnetometer survey with ground truth.

    Parameters
    ----------
    scene : dict, str or os.PathLike, optional
        The scene: a dict, JSON text, or the path of a JSON file (schema:
        ``docs/sim_mag.md``). Missing keys take their defaults; ``{}`` is an
        empty field with every nuisance at its default. Default:
        :func:`default_scene`.
    seed : int, default 0
        Seed of every random draw (object placement and moments, drift, soil,
        noise, jitter); in ``[0, 2**64)``.
    threads : int, default 0
        Number of threads; 0 = all cores. Does not change the numbers.

    Returns
    -------
    Survey
        Readings, base-station record, truth and the scene as applied.

    Raises
    ------
    ValueError
        On invalid JSON, an unknown key (named with its path, e.g.
        ``survey.speeed_m_s``), a value of the wrong type or out of its range
        (named with its value and range), random objects that cannot be
        placed at their minimum spacing, or a survey of more than 10 million
        readings.
    TypeError
        If ``scene`` or ``seed`` has the wrong type.
    OSError
        If ``scene`` names a file that cannot be read.

    Examples
    --------
    >>> s = simulate(seed=1)
    >>> r = s.readings
    >>> corrected = r["total_field_nt"] - np.interp(r["time_s"], s.base_station["time_s"],
    ...                                             s.base_station["field_nt"])  # doctest: +SKIP
    """
    h = _core.sim_mag_simulate(_scene_text(scene), _seed(seed), _threads(threads))
    return Survey(_frozen(h.readings()), _frozen(h.base_station()), json.loads(h.truth_json),
                  json.loads(h.scene_json), h)


def write(result, directory):
    """Write a survey to a directory (created if missing).

    Files: ``readings.csv`` (header ``time_s,line,direction,sensor,x_m,y_m,
    z_m,total_field_nt``; recorded positions), ``base_station.csv``
    (``time_s,field_nt``), ``truth.json`` and ``scene.json`` (the scene as
    applied). Numbers are written in the shortest form that reads back
    exactly.

    Parameters
    ----------
    result : Survey
        As returned by :func:`simulate`.
    directory : str or os.PathLike
        Where to write.

    Raises
    ------
    TypeError
        If ``result`` is not a Survey from :func:`simulate`.
    RuntimeError
        If a file cannot be written (the message names it).
    """
    if not isinstance(result, Survey) or result._handle is None:
        raise TypeError("result must be a Survey returned by simulate()")
    result._handle.write(os.fspath(directory))


def _dipoles(dipoles):
    d = np.asarray(dipoles, dtype=np.float64)
    if d.ndim == 1 and d.size == 6:
        d = d[None, :]
    if d.ndim != 2 or d.shape[1] != 6:
        raise ValueError(f"dipoles has shape {d.shape}; expected (n_dipoles, 6): x, y, z, mx, my, mz")
    return np.ascontiguousarray(d)


def _points(x, y, z):
    x, y, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, y, z)))
    return x.shape, *(np.ascontiguousarray(v).ravel() for v in (x, y, z))


def _field(f):
    if isinstance(f, Mapping):
        f = (f["total_nt"], f["inclination_deg"], f["declination_deg"])
    if len(f) != 3:
        raise ValueError(f"field = {f!r}: expected (total_nt, inclination_deg, declination_deg)")
    return tuple(float(v) for v in f)


def dipole_anomaly(dipoles, x, y, z, field=KARABAKH, *, threads=0):
    """Total-field anomaly of point dipoles, nT: ``|F + B| - |F|``.

    ``B`` is the sum over dipoles of ``1e-7 [3 (m.r^) r^ - m] / |r|^3`` T
    (``r`` from the dipole to the point). Exact, not the ``F^.B``
    approximation (to which it tends for ``|B| << |F|``).

    Parameters
    ----------
    dipoles : array_like, shape (n_dipoles, 6) or (6,)
        Rows ``x, y, z`` (m, z up: negative underground) and ``mx, my, mz``
        (A m^2).
    x, y, z : array_like
        Points, m; broadcast together.
    field : (float, float, float) or dict, default KARABAKH
        Earth field ``(total_nt, inclination_deg, declination_deg)`` (or a
        dict with those keys): total > 0, inclination in [-90, 90] (positive
        down), declination east of north.
    threads : int, default 0
        Number of threads; 0 = all cores.

    Returns
    -------
    numpy.ndarray
        float64, the broadcast shape of the points, nT.

    Raises
    ------
    ValueError
        On a wrong shape, a NaN/Inf coordinate or moment (named, e.g.
        ``x[3]`` in the flattened points, ``dipole[1].mx``), an invalid
        field, or a point at a dipole.

    Examples
    --------
    >>> round(float(dipole_anomaly([0, 0, -0.4, 0, 0, -0.5], 0, 0, 0, field=(5e4, 90, 0))), 6)
    1562.5
    """
    d = _dipoles(dipoles)
    shape, x, y, z = _points(x, y, z)
    return _core.mag_total_field_anomaly(d, x, y, z, *_field(field), _threads(threads)).reshape(shape)


def dipole_field(dipoles, x, y, z, *, threads=0):
    """Magnetic field of point dipoles, nT: ``sum 1e-7 [3 (m.r^) r^ - m] / |r|^3`` T.

    Parameters
    ----------
    dipoles : array_like, shape (n_dipoles, 6) or (6,)
        Rows ``x, y, z`` (m) and ``mx, my, mz`` (A m^2).
    x, y, z : array_like
        Points, m; broadcast together.
    threads : int, default 0
        Number of threads; 0 = all cores.

    Returns
    -------
    numpy.ndarray
        float64, shape ``points.shape + (3,)``: ``(Bx, By, Bz)`` (east,
        north, up), nT.

    Raises
    ------
    ValueError
        As :func:`dipole_anomaly`.
    """
    d = _dipoles(dipoles)
    shape, x, y, z = _points(x, y, z)
    b = _core.mag_dipole_field(d, x, y, z, _threads(threads))
    return np.stack(b, axis=-1).reshape(shape + (3,))


def induced_moment(volume_m3, field=KARABAKH, apparent_susceptibility=3.0):
    """Induced moment of a compact steel object, A m^2: ``k V B0 / mu0`` along the field.

    For a sphere of susceptibility ``chi`` the apparent susceptibility is
    ``k = 3 chi / (chi + 3)``; steel (``chi`` of hundreds) is
    demagnetisation-limited, ``k -> 3``.

    Parameters
    ----------
    volume_m3 : float
        Volume of steel, m^3; >= 0.
    field : (float, float, float) or dict, default KARABAKH
        Earth field, as in :func:`dipole_anomaly`.
    apparent_susceptibility : float, default 3.0
        ``k``; positive.

    Returns
    -------
    numpy.ndarray
        Shape (3,): ``(mx, my, mz)``, A m^2.

    Examples
    --------
    >>> round(float(np.linalg.norm(induced_moment(1e-3, (5e4, 60, 0)))), 4)  # 1 litre of steel
    0.1194
    """
    return np.array(_core.mag_induced_moment(float(volume_m3), *_field(field), float(apparent_susceptibility)))

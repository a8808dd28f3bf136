"""Scoring alarms against ground truth the way demining trials do.

:func:`score` matches a detector's alarms to the buried targets of a scene's
truth (the dict/JSON of :mod:`sapper.sim`) within halos, in decreasing
confidence, and reports Pd against false alarms per m^2 of surveyed area: the
whole ROC, Pd at fixed FA rates with Clopper-Pearson intervals, the normalised
partial AUC, breakdowns by target type, label and depth, and a confusion
matrix of alarm labels. :func:`scr`, :func:`target_mask` and
:func:`scr_gain_db` measure clutter suppression on a B-scan.

Units: positions, halos and depths in m; false-alarm rates in FA/m^2; SCR in
dB. Exact definitions: ``docs/eval.md``. Bad input raises ``ValueError``
naming the value.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from . import _core
from .gpr import _as_float

__all__ = ["score", "Score", "Roc", "OperatingPoint", "Group", "clopper_pearson",
           "scr", "target_mask", "scr_gain_db", "DEPTH_BINS", "FA_RATES"]

DEPTH_BINS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, math.inf)
"""Default depth bin edges, m: bins ``[e_k, e_k+1)`` of the depth of a target's top."""
FA_RATES = (0.001, 0.01, 0.1)
"""Default false-alarm rates (FA/m^2) at which Pd is reported."""

_HALO_KEYS = ("ap_m", "large_m", "large_size_m", "margin_m")
_HALO_DEFAULT = {"ap_m": 0.25, "large_m": 0.5, "large_size_m": 0.6, "margin_m": 0.2}


@dataclass(frozen=True)
class OperatingPoint:
    """The detector run at one threshold: the alarms with ``confidence >= threshold``.

    ``rate`` is the requested FA/m^2 (NaN when the point was chosen by
    threshold); ``far`` the achieved one; ``[pd_lo, pd_hi]`` the
    Clopper-Pearson interval of ``pd``. ``threshold = inf``: no alarm.
    """
    rate: float
    threshold: float
    pd: float
    far: float
    n_detected: int
    n_false: int
    pd_lo: float
    pd_hi: float


@dataclass(frozen=True)
class Group:
    """Detection of one group of targets (a type, a label or a depth bin) at the operating threshold."""
    name: str
    n_targets: int
    n_detected: int
    pd: float
    pd_lo: float
    pd_hi: float


@dataclass(frozen=True)
class Roc:
    """Pd against false alarms per m^2 over every threshold.

    Point ``k`` holds the alarms with ``confidence >= threshold[k]``: point 0 is
    ``threshold = inf`` (no alarm), then one point per distinct confidence,
    decreasing. ``pd`` and ``far`` (FA/m^2) never decrease along the arrays.
    """
    threshold: np.ndarray
    pd: np.ndarray
    far: np.ndarray
    n_detected: np.ndarray
    n_false: np.ndarray


@dataclass(frozen=True)
class Score:
    """Result of :func:`score`. ``str(score)`` is :meth:`table`.

    Attributes
    ----------
    n_targets : int
        Truth objects whose label is not ``"clutter"``.
    n_alarms, n_scored, n_outside : int
        Alarms given, inside the surveyed area (scored), outside it (ignored).
    area_m2 : float
        Surveyed area, m^2: the denominator of every FAR.
    roc : Roc
        The whole ROC.
    at_rates : list of OperatingPoint
        Highest Pd with FAR <= each requested rate, at the highest threshold reaching it.
    max_far, pauc : float
        Normalised partial AUC of the Pd(FAR) step curve over ``[0, max_far]`` FA/m^2.
    operating : OperatingPoint
        The threshold of the breakdowns and of the confusion matrix.
    n_false_on_clutter : int
        False alarms within a clutter object's halo at the operating threshold.
    by_type, by_label, by_depth : list of Group
        Pd per target type (sorted), per label, per depth bin at the operating threshold.
    depth_bins : numpy.ndarray
        Depth bin edges, m.
    target_id : numpy.ndarray of int
        ``id`` of each truth object (in truth order); ``target_label`` its label.
    target_alarm : numpy.ndarray of int
        Per truth object: index of the most confident alarm that detected it, or -1
        (always -1 for clutter). It is detected at threshold ``t`` iff
        ``target_alarm >= 0 and target_confidence >= t``.
    target_distance, target_confidence, target_halo : numpy.ndarray
        Distance (m) and confidence of that alarm (NaN if none); the object's halo, m.
    alarm_target, alarm_duplicate_of, alarm_clutter : numpy.ndarray of int
        Per alarm, indices into the truth objects (-1: none): the target it
        detected; for a duplicate, the already-detected target it lies on; for a
        false alarm, the nearest clutter object whose halo holds it.
    alarm_target_id : numpy.ndarray of int
        ``id`` of the detected target, or -1.
    alarm_outside : numpy.ndarray of bool
        Outside the surveyed area (not scored).
    alarm_distance : numpy.ndarray
        Distance (m) to the target / duplicated target / clutter object; NaN if none.
    confusion : numpy.ndarray of int, shape (5, 5), or None
        At the operating threshold, when some alarm carries a label: rows
        ``CONFUSION_ROWS`` (what the alarm lies on), columns ``CONFUSION_COLS`` (its label).
    """
    CONFUSION_ROWS = ("ap_mine", "at_mine", "uxo", "false_alarm", "on_clutter")
    CONFUSION_COLS = ("ap_mine", "at_mine", "uxo", "clutter", "none")

    n_targets: int
    n_alarms: int
    n_scored: int
    n_outside: int
    area_m2: float
    roc: Roc
    at_rates: list
    max_far: float
    pauc: float
    operating: OperatingPoint
    n_false_on_clutter: int
    by_type: list
    by_label: list
    by_depth: list
    depth_bins: np.ndarray
    target_id: np.ndarray
    target_label: np.ndarray
    target_alarm: np.ndarray
    target_distance: np.ndarray
    target_confidence: np.ndarray
    target_halo: np.ndarray
    alarm_target: np.ndarray
    alarm_target_id: np.ndarray
    alarm_duplicate_of: np.ndarray
    alarm_clutter: np.ndarray
    alarm_outside: np.ndarray
    alarm_distance: np.ndarray
    confusion: np.ndarray | None = field(default=None)

    def table(self) -> str:
        """Compact text report: Pd at each rate with its interval, pAUC, breakdowns, confusion."""
        def pd(p):
            return "   -   " if math.isnan(p.pd) else f"{p.pd:7.3f} [{p.pd_lo:.3f}, {p.pd_hi:.3f}]"

        lines = [f"{self.n_targets} targets, {self.n_scored} alarms scored ({self.n_outside} outside the area), "
                 f"{self.area_m2:g} m^2",
                 f"{'FA/m^2':>8} {'threshold':>10} {'Pd  [CI]':>22} {'found':>9} {'FA':>6} {'FAR':>8}"]
        for p in self.at_rates:
            found = f"{p.n_detected}/{self.n_targets}"
            lines.append(f"{p.rate:8g} {p.threshold:10.4g} {pd(p):>22} {found:>9} {p.n_false:6d} {p.far:8.4g}")
        lines.append(f"pAUC over [0, {self.max_far:g}] FA/m^2: {self.pauc:.4f}")
        o = self.operating
        lines.append(f"at threshold {o.threshold:.4g}: Pd {pd(o).strip()}, {o.n_false} FA ({o.far:.4g} FA/m^2, "
                     f"{self.n_false_on_clutter} on clutter)")
        for title, groups in (("type", self.by_type), ("label", self.by_label), ("depth, m", self.by_depth)):
            if groups:
                lines.append(f"  by {title}: " + "; ".join(
                    f"{g.name or '(none)'} {g.n_detected}/{g.n_targets}" for g in groups))
        if self.confusion is not None:
            lines.append("  confusion at the operating threshold (rows: what the alarm lies on, columns: its label)")
            lines.append(f"    {'':>11} " + " ".join(f"{c:>7}" for c in self.CONFUSION_COLS))
            for name, row in zip(self.CONFUSION_ROWS, self.confusion):
                lines.append(f"    {name:>11} " + " ".join(f"{v:>7d}" for v in row))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _alarm_columns(alarms):
    """x, y, confidence float64 arrays and a list of labels (empty: none) from any accepted form."""
    if isinstance(alarms, np.ndarray) and alarms.dtype.names:
        cols = {k: alarms[k] for k in alarms.dtype.names}
    elif isinstance(alarms, Mapping) or hasattr(alarms, "keys"):
        cols = {k: alarms[k] for k in alarms.keys()}
    else:
        rows = list(alarms)
        if any(not isinstance(r, Mapping) for r in rows):
            raise TypeError("alarms must be a dict of arrays, a structured array or a list of dicts")
        keys = {"x", "y", "confidence"} | ({"label"} if any("label" in r for r in rows) else set())
        cols = {k: [r.get(k, "") if k == "label" else r[k] for r in rows] for k in keys}
    missing = [k for k in ("x", "y", "confidence") if k not in cols]
    if missing:
        raise ValueError(f"alarms lack {', '.join(missing)} (need x, y, confidence and optionally label)")
    xyc = []
    for k in ("x", "y", "confidence"):
        a = np.asarray(cols[k], dtype=np.float64)
        if a.ndim != 1:
            raise ValueError(f"alarm {k} has shape {a.shape}; expected 1-D")
        xyc.append(np.ascontiguousarray(a))
    n = {len(a) for a in xyc}
    labels = []
    if "label" in cols and cols["label"] is not None:
        labels = ["" if v is None else str(v) for v in np.asarray(cols["label"], dtype=object).ravel()]
        n.add(len(labels))
    if len(n) > 1:
        raise ValueError(f"alarm columns have different lengths {sorted(n)}")
    return (*xyc, labels)


def _truth_text(truth):
    if isinstance(truth, Mapping):
        return json.dumps(truth, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))  # numpy values
    if isinstance(truth, (str, os.PathLike)):
        if isinstance(truth, str) and truth.lstrip().startswith("{"):
            return truth
        with open(truth, encoding="utf-8") as f:
            return f.read()
    raise TypeError(f"truth must be a dict, JSON text or a path, not {type(truth).__name__}")


def _halo(halo):
    if halo is None:
        return dict(_HALO_DEFAULT)
    if isinstance(halo, Mapping):
        unknown = set(halo) - set(_HALO_KEYS)
        if unknown:
            raise ValueError(f"halo has unknown keys {sorted(unknown)}; expected some of {_HALO_KEYS}")
        return {**_HALO_DEFAULT, **{k: float(v) for k, v in halo.items()}}
    h = float(halo)
    return {"ap_m": h, "large_m": h, "large_size_m": math.inf, "margin_m": 0.0}


def score(alarms, truth, *, halo=None, halo_by_id=None, depth_bins=DEPTH_BINS, fa_rates=FA_RATES,
          max_far=0.1, confidence_level=0.95, duplicates_are_false_alarms=True, threshold=None,
          operating_far=0.01) -> Score:
    """Score alarms against ground truth: halo matching, ROC, Pd at FA rates, pAUC, breakdowns.

    Alarms inside the surveyed area are taken in decreasing confidence (ties in
    input order); each goes to the nearest not-yet-detected target (truth
    object not labelled clutter) whose halo holds it (distance <= halo). An
    alarm only within halos of already-detected targets is a duplicate; every
    other alarm is a false alarm. The matches at threshold ``t`` are those of
    the alarms with ``confidence >= t``, so one pass gives the whole ROC.

    Parameters
    ----------
    alarms : dict of array_like, numpy structured array, or list of dict
        ``x``, ``y`` (m, the truth's frame), ``confidence`` (higher = surer),
        optionally ``label`` ("" / None = none, or "ap_mine", "at_mine",
        "uxo", "clutter"). All finite.
    truth : dict, str or os.PathLike
        The truth in :mod:`sapper.sim`'s schema: the dict, its JSON text, or
        the path of a JSON file.
    halo : float or dict, optional
        Default (None): 0.25 m for AP mines and clutter, 0.5 m for AT mines and
        UXO, and ``size/2 + 0.2`` m for objects larger than 0.6 m. A dict
        overrides some of ``ap_m``, ``large_m``, ``large_size_m``,
        ``margin_m``; a float is one halo (m) for every object.
    halo_by_id : dict of int to float, optional
        Halo (m) of individual objects by truth ``id``.
    depth_bins : sequence of float
        Increasing bin edges, m, of the depth breakdown (bins ``[e_k, e_k+1)``).
    fa_rates : sequence of float
        False-alarm rates, FA/m^2, at which Pd is reported.
    max_far : float, default 0.1
        Upper limit, FA/m^2, of the partial AUC.
    confidence_level : float, default 0.95
        Two-sided coverage of the Clopper-Pearson intervals.
    duplicates_are_false_alarms : bool, default True
        Count duplicates as false alarms (trial practice: one detection per
        target) or leave them unscored.
    threshold : float, optional
        Operating threshold of the breakdowns and the confusion matrix.
        Default: the threshold of the Pd at ``operating_far``.
    operating_far : float, default 0.01
        FA/m^2 that sets the default operating threshold.

    Returns
    -------
    Score
        Arrays and summaries; ``print(result)`` gives a compact table.

    Raises
    ------
    ValueError
        On NaN/Inf coordinates or confidences, unknown labels, columns of
        different lengths, an empty area, a negative halo, non-increasing
        depth bins, or other bad options (the message names the value).
    TypeError
        If ``alarms`` or ``truth`` is of an unsupported type.

    Examples
    --------
    >>> s = score({"x": x, "y": y, "confidence": c}, "scene_truth.json")  # doctest: +SKIP
    >>> print(s)                                                           # doctest: +SKIP
    """
    x, y, c, labels = _alarm_columns(alarms)
    text = _truth_text(truth)
    h = _halo(halo)
    by_id = [(int(k), float(v)) for k, v in (halo_by_id or {}).items()]
    bins = [float(v) for v in depth_bins]
    r = _core.eval.score(x, y, c, labels, text, h["ap_m"], h["large_m"], h["large_size_m"], h["margin_m"], by_id,
                         bool(duplicates_are_false_alarms), [float(v) for v in fa_rates], float(max_far),
                         float(confidence_level), bins, None if threshold is None else float(threshold),
                         float(operating_far))
    objects = json.loads(text)["objects"]
    ids = np.array([o.get("id", k) for k, o in enumerate(objects)], dtype=np.int64)
    t, a = r["targets"], r["alarms"]
    target = a["target"]
    groups = {k: [Group(*g) for g in r[k]] for k in ("by_type", "by_label", "by_depth")}
    return Score(
        n_targets=r["n_targets"], n_alarms=r["n_alarms"], n_scored=r["n_scored"], n_outside=r["n_outside"],
        area_m2=r["area_m2"], roc=Roc(**r["roc"]), at_rates=[OperatingPoint(**p) for p in r["at_rates"]],
        max_far=r["max_far"], pauc=r["pauc"], operating=OperatingPoint(**r["operating"]),
        n_false_on_clutter=r["n_false_on_clutter"], **groups, depth_bins=np.array(bins),
        target_id=ids, target_label=np.array([o["label"] for o in objects], dtype=object),
        target_alarm=t["alarm"], target_distance=t["distance"], target_confidence=t["confidence"],
        target_halo=t["halo"], alarm_target=target,
        alarm_target_id=np.where(target >= 0, ids[np.maximum(target, 0)] if len(ids) else -1, -1),
        alarm_duplicate_of=a["duplicate_of"], alarm_clutter=a["clutter"], alarm_outside=a["outside"],
        alarm_distance=a["distance"], confusion=r["confusion"] if r["has_labels"] else None)


def clopper_pearson(k, n, level=0.95):
    """Clopper-Pearson ("exact") interval of a proportion: k successes in n trials.

    ``lo = B^-1(alpha/2; k, n-k+1)`` (0 when k = 0) and
    ``hi = B^-1(1-alpha/2; k+1, n-k)`` (1 when k = n), with ``alpha = 1 -
    level`` and ``B^-1`` the Beta quantile (computed in C++: a continued
    fraction for the regularised incomplete beta, inverted by bisection).

    Parameters
    ----------
    k, n : int or array_like of int
        Successes and trials, ``0 <= k <= n`` (broadcast together); n = 0 gives [0, 1].
    level : float, default 0.95
        Two-sided coverage, in (0, 1).

    Returns
    -------
    (lo, hi) : tuple of float, or of numpy.ndarray for array input
    """
    kb, nb = np.broadcast_arrays(np.asarray(k), np.asarray(n))
    for name, v in (("k", kb), ("n", nb)):
        if v.size and not np.array_equal(v, np.floor(v)):
            raise ValueError(f"{name} = {v} must hold integers")
    lo, hi = _core.eval.clopper_pearson(kb.ravel().astype(np.int64), nb.ravel().astype(np.int64), float(level))
    if kb.ndim == 0:
        return float(lo[0]), float(hi[0])
    return lo.reshape(kb.shape), hi.reshape(kb.shape)


def _bscan(a, name):
    a = _as_float(a, name, kinds="iub")
    if a.ndim != 2:
        raise ValueError(f"{name} has shape {a.shape}; expected (n_samples, n_traces)")
    return a


def _common(*arrays):
    t = np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64
    suffix = "_f32" if t == np.float32 else "_f64"
    return [np.asfortranarray(a, dtype=t) for a in arrays], suffix


def _mask(mask, shape):
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"mask has dtype {m.dtype}; expected bool")
    if m.shape != shape:
        raise ValueError(f"mask has shape {m.shape} but the data has {shape}")
    return np.asfortranarray(m)


def _window(window):
    if window is None:
        return 0, -1
    i0, i1 = window
    return int(i0), -1 if i1 is None else int(i1)


def scr(data, mask, window=None) -> float:
    """Signal-to-clutter ratio of a B-scan over a target mask, dB.

    ``SCR = 10 log10( mean_M(Y^2) / mean_notM(Y^2) )`` over the rows
    ``[i0, i1)`` of ``window`` (e.g. below the ground bounce, to leave out
    the air), accumulated in float64.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
        B-scan Y, float32 or float64 (integers are converted to float64).
    mask : array_like of bool, same shape
        True on the target's signature (see :func:`target_mask`).
    window : (int, int or None), optional
        Sample rows ``[i0, i1)``; ``i1 = None``: to the last sample. Default: all.

    Returns
    -------
    float
        SCR in dB (+inf if the clutter is exactly zero).

    Raises
    ------
    ValueError
        If the shapes differ, the window is empty or out of range, the
        window holds NaN/Inf (the message names the first sample and trace),
        or the mask or its complement is empty within the window.
    """
    d = _bscan(data, "data")
    (x,), s = _common(d)
    i0, i1 = _window(window)
    return getattr(_core.eval, "scr_db" + s)(x, _mask(mask, d.shape), i0, i1)


def target_mask(scene, twin, level_db=-20.0) -> np.ndarray:
    """Target mask from a scene and its target-free twin.

    ``M = |scene - twin| >= 10^(level_db/20) * max|scene - twin|``: where the
    target's own signature is within ``level_db`` dB of its peak. The
    simulators render the twin (same scene, no target), so the signature is
    known exactly.

    Parameters
    ----------
    scene, twin : array_like, shape (n_samples, n_traces)
        B-scans with and without the target (float32/float64; mixed: float64).
    level_db : float, default -20
        Level below the peak, dB, <= 0.

    Returns
    -------
    numpy.ndarray of bool, shape of ``scene``

    Raises
    ------
    ValueError
        If the shapes differ, either holds NaN/Inf, ``level_db`` > 0 or not
        finite, or scene equals twin everywhere.
    """
    a, b = _bscan(scene, "scene"), _bscan(twin, "twin")
    if a.shape != b.shape:
        raise ValueError(f"scene has shape {a.shape} but twin has {b.shape}")
    (a, b), s = _common(a, b)
    return getattr(_core.eval, "target_mask" + s)(a, b, float(level_db))


def scr_gain_db(raw, processed, mask, window=None) -> float:
    """Clutter-suppression gain: ``scr(processed, mask) - scr(raw, mask)``, dB.

    Parameters
    ----------
    raw, processed : array_like, shape (n_samples, n_traces)
        The B-scan before and after processing (same shape; mixed dtypes are
        compared in float64).
    mask : array_like of bool, same shape
        Target mask, e.g. ``target_mask(scene_raw, twin_raw)``.
    window : (int, int or None), optional
        Sample rows ``[i0, i1)`` as in :func:`scr`.

    Returns
    -------
    float
        Gain in dB; positive when processing raised the target above the clutter.

    Raises
    ------
    ValueError
        As :func:`scr`, or if ``raw`` and ``processed`` differ in shape.
    """
    a, b = _bscan(raw, "raw"), _bscan(processed, "processed")
    if a.shape != b.shape:
        raise ValueError(f"raw has shape {a.shape} but processed has {b.shape}")
    (a, b), s = _common(a, b)
    i0, i1 = _window(window)
    return getattr(_core.eval, "scr_gain_db" + s)(a, b, _mask(mask, a.shape), i0, i1)

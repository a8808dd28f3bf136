"""Fusion of GPR alarms and magnetometer targets into one alarm list with class probabilities.

Alarms of the two sensors within ``halo`` metres of each other are one object (pairs taken in
increasing distance, each alarm used once); class probabilities are combined by the naive-Bayes
rule of ``docs/classify.md``. The result converts directly to :func:`sapper.eval.score` alarms.
"""
from __future__ import annotations

import numpy as np

from .. import _core

__all__ = ["fuse", "CLASSES"]

#: The class labels of the simulated lanes and of sapper.eval.
CLASSES = ("ap_mine", "at_mine", "uxo", "clutter")


def _alarms(a, name, classes):
    if a is None:
        return np.zeros((0, 2)), np.zeros((0, len(classes)))
    try:
        x, y, p = (np.asarray(a[k], dtype=np.float64) for k in ("x", "y", "proba"))
    except (KeyError, TypeError, IndexError):
        raise ValueError(f"{name} must be a mapping with x, y (m) and proba (n, n_classes)") from None
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    p = p.reshape(len(x), -1) if p.ndim < 2 else p
    if x.ndim != 1 or x.shape != y.shape or p.shape[0] != len(x):
        raise ValueError(f"{name}: x {x.shape}, y {y.shape} and proba {p.shape} disagree")
    cols = a.get("classes") if hasattr(a, "get") else None
    if cols is not None:
        cols = [str(c) for c in cols]
        if sorted(cols) != sorted(classes) or p.shape[1] != len(cols):
            raise ValueError(f"{name}['classes'] = {cols} must be the fusion classes {list(classes)} in some order")
        p = p[:, [cols.index(c) for c in classes]]
    if p.shape[1] != len(classes):
        raise ValueError(f"{name}['proba'] has {p.shape[1]} columns for {len(classes)} classes")
    return np.ascontiguousarray(np.column_stack([x, y])), np.ascontiguousarray(p)


def _vector(v, name, n):
    if v is None:
        return []
    v = np.asarray(v, dtype=np.float64).ravel()
    if len(v) != n:
        raise ValueError(f"{name} has {len(v)} entries for {n} classes")
    return v.tolist()


def fuse(gpr=None, mag=None, *, classes=CLASSES, prior=None, gpr_prior=None, gpr_pd=None, mag_prior=None,
         mag_pd=None, gpr_covers=None, mag_covers=None, halo=0.3, gpr_position_weight=0.5, clutter_label="clutter"):
    """Fuse GPR alarms and magnetometer targets by location and class probabilities.

    ``P(c | evidence) ∝ prior(c) * L_gpr(c) * L_mag(c)``, where a sensor that alarmed contributes
    ``L_s(c) = p_s(c) / prior_s(c)`` (its classifier's posterior over its training prior), a sensor
    that covers the area but did not alarm contributes its miss probability ``1 - pd_s(c)``, and an
    absent sensor contributes 1.

    Parameters
    ----------
    gpr, mag : mapping or None
        Each sensor's alarms: ``x``, ``y`` (m, shape (n,)) and ``proba`` (n, n_classes), the
        sensor classifier's probabilities over ``classes`` (or over ``a["classes"]``, any order of
        the same labels, e.g. a model's ``classes_``). None: no alarms from that sensor.
    classes : sequence of str, default ("ap_mine", "at_mine", "uxo", "clutter")
    prior : array_like, optional
        ``P(c)`` where some sensor alarms (normalised); default uniform.
    gpr_prior, mag_prior : array_like, optional
        Each classifier's training class fractions; default ``prior``.
    gpr_pd, mag_pd : array_like, optional
        ``P(sensor alarms | class c present)``, in [0, 1]; default 0 (silence says nothing). The
        magnetometer's is near 0 for minimum-metal AP mines, near 1 for AT mines and UXO.
    gpr_covers, mag_covers : bool, optional
        Whether the sensor surveyed the area (its silence is evidence); default: its alarms were
        given (not None).
    halo : float, default 0.3
        Association radius, m.
    gpr_position_weight : float, default 0.5
        Position of a pair = ``w * gpr + (1 - w) * mag``.
    clutter_label : str, default "clutter"
        ``confidence = 1 - P(clutter_label)``; the largest probability when it is not a class.

    Returns
    -------
    dict
        ``x``, ``y`` (m), ``confidence``, ``label`` (``clutter_label`` when its probability is at
        least 0.5, else the most probable other class) — ready for
        :func:`sapper.eval.score` — and ``proba`` (n, n_classes), ``gpr``, ``mag`` (index of each
        sensor's contributing alarm, -1 = none), ``classes``. One entry per GPR alarm in input
        order, then the unassociated magnetometer alarms in input order.

    Raises
    ------
    ValueError
        On mismatched shapes, non-finite positions, negative or non-finite probabilities, ``pd``
        outside [0, 1], or a negative ``halo``.
    """
    classes = [str(c) for c in classes]
    K = len(classes)
    gxy, gp = _alarms(gpr, "gpr", classes)
    mxy, mp = _alarms(mag, "mag", classes)
    g_cov = gpr is not None if gpr_covers is None else bool(gpr_covers)
    m_cov = mag is not None if mag_covers is None else bool(mag_covers)
    out = _core.classify.fuse(gxy, gp, mxy, mp, classes, _vector(prior, "prior", K), g_cov,
                              _vector(gpr_prior, "gpr_prior", K), _vector(gpr_pd, "gpr_pd", K), m_cov,
                              _vector(mag_prior, "mag_prior", K), _vector(mag_pd, "mag_pd", K), float(halo),
                              float(gpr_position_weight), str(clutter_label))
    out["label"] = np.array(out["label"], dtype=object)
    out["classes"] = list(classes)
    return out

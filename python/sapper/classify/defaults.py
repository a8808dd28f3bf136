"""The models shipped with sapper: trained on simulated lanes by ``tools/train_models.py``.

``models/gpr_default.json`` and ``models/mag_default.json`` are :mod:`sapper.classify` model files
over the classes ``ap_mine, at_mine, clutter, uxo`` and the features of :mod:`sapper.pipeline`;
``models/fusion_default.json`` holds the keyword arguments of :func:`sapper.classify.fuse` measured
on the same lanes (each sensor's Pd by class, the association halo). Scores: ``docs/detect.md``.
"""
from __future__ import annotations

import functools
import json
import os

from .models import load

__all__ = ["default_model", "default_fusion", "MODEL_DIR"]

#: Folder of the shipped model files.
MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
_SENSORS = ("gpr", "mag")


def _path(name):
    p = os.path.join(MODEL_DIR, name)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{p} is missing: run tools/train_models.py to make the default models")
    return p


@functools.lru_cache(maxsize=None)
def _load(sensor):
    return load(_path(f"{sensor}_default.json"))


def default_model(sensor="gpr"):
    """The shipped classifier of a sensor.

    Parameters
    ----------
    sensor : {"gpr", "mag"}

    Returns
    -------
    GradientBoosting, RandomForest or LogisticRegression
        Loaded once and shared (models are immutable).

    Raises
    ------
    ValueError
        An unknown sensor.
    FileNotFoundError
        The model file is missing (an installation without it).
    """
    if sensor not in _SENSORS:
        raise ValueError(f"sensor = {sensor!r} must be one of {_SENSORS}")
    return _load(sensor)


def default_fusion():
    """Keyword arguments of :func:`sapper.classify.fuse` for the shipped models.

    Returns
    -------
    dict
        ``gpr_pd``, ``mag_pd`` (per class of ``classes``, measured on the training lanes),
        ``classes`` and ``halo`` (m). A new dict each call.
    """
    with open(_path("fusion_default.json"), encoding="utf-8") as f:
        return json.load(f)

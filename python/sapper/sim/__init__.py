"""Synthetic minefield scenes with ground truth: GPR lanes (:mod:`sapper.sim.gpr`) and
magnetometer surveys (:mod:`sapper.sim.mag`).

The truth of a scene is a dict (JSON on disk)::

    {"area": {"x0": m, "x1": m, "y0": m, "y1": m},
     "objects": [{"id": int, "label": "ap_mine" | "at_mine" | "uxo" | "clutter",
                  "type": "PMN" | "TM-62" | "rock" | ..., "x": m, "y": m,
                  "depth": m, "size": m, "material": str, "moment": [mx, my, mz]}]}

x runs along the lane, y across it, depth is that of the object's top below the
mean ground surface (positive down); moments in A m^2 (x east, y north, z up).
"""
from . import gpr, mag

__all__ = ["gpr", "mag"]

"""Synthetic GPR lanes (B-scans and C-scans) over buried mines and clutter, with
ground truth and a target-free twin.

A lane is rendered by a ray model: Ricker wavelets at Fermat travel times
(refraction at a rough surface), reflection and transmission coefficients with
their signs (plastic opposite to the ground bounce, metal the same), spreading,
attenuation, a beam pattern, antenna coupling and ringing that drift along the
lane, and receiver noise. The same ``(scene, seed)`` gives the same numbers on
any number of threads. Formulas and the scene schema: ``docs/sim_gpr.md``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from .. import _core

__all__ = ["GprLane", "default_scene", "normalise_scene", "simulate", "write", "read"]


def default_scene() -> dict:
    """The default scene: a 10 m single-channel lane in soil of permittivity 6
    (10 mS/m, 5 mm rms roughness), a 1.5 GHz antenna 7 cm up, 512 samples over
    12 ns, 2 cm trace spacing, SNR 40 dB, and three AP mines, one AT mine and
    six clutter objects scattered at random.

    Returns
    -------
    dict
        Every key of the schema with its value (see ``docs/sim_gpr.md``).
    """
    scene = json.loads(_core.sim_gpr_scene("{}"))
    scene["random"].update(ap_mines=3, at_mines=1, clutter=6)
    return scene


def normalise_scene(scene=None) -> dict:
    """Validate a scene and write out every default.

    Parameters
    ----------
    scene : dict, str or os.PathLike, optional
        Scene as a dict, JSON text or a path to a JSON file; ``None`` gives
        :func:`default_scene`.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        Naming the unknown key or the parameter out of its range.
    """
    return json.loads(_core.sim_gpr_scene(_scene_text(scene)))


def _scene_text(scene) -> str:
    if scene is None:
        return json.dumps(default_scene())
    if isinstance(scene, dict):
        return json.dumps(scene)
    if isinstance(scene, os.PathLike) or (isinstance(scene, str) and not scene.lstrip().startswith("{")):
        with open(scene, encoding="utf-8") as f:
            return f.read()
    if isinstance(scene, str):
        return scene
    raise TypeError(f"scene must be a dict, JSON text or a path, not {type(scene).__name__}")


@dataclass
class GprLane:
    """A simulated lane.

    Attributes
    ----------
    data : numpy.ndarray
        ``(n_samples, n_traces)`` for one channel, ``(n_samples, n_traces,
        n_channels)`` for a C-scan; Fortran-ordered, so each channel
        ``data[:, :, c]`` is a B-scan that goes into :mod:`sapper.gpr` without
        a copy.
    twin : numpy.ndarray or None
        The same scene without its targets (mines; clutter stays), same noise.
    dt_ns, time_zero_ns : float
        Sample interval and time of transmission after sample 0, ns.
    x : numpy.ndarray
        Along-track position of each trace, m.
    y : numpy.ndarray
        Across-track position of each channel, m.
    surface : numpy.ndarray
        Surface height under the antenna, ``(n_traces,)`` or
        ``(n_traces, n_channels)``, m (positive up).
    truth : dict
        ``{"area": ..., "objects": [...]}`` (schema in :mod:`sapper.sim`).
    scene : dict
        The scene as applied: random objects written out, replayable.
    seed : int
    """

    data: np.ndarray
    twin: np.ndarray | None
    dt_ns: float
    time_zero_ns: float
    x: np.ndarray
    y: np.ndarray
    surface: np.ndarray
    truth: dict
    scene: dict
    seed: int = 0
    _extra: dict = field(default_factory=dict, repr=False)

    @property
    def n_channels(self) -> int:
        return len(self.y)

    def channel(self, c: int) -> np.ndarray:
        """The B-scan of channel ``c``, ``(n_samples, n_traces)`` (a view)."""
        return self.data if self.data.ndim == 2 else self.data[:, :, c]


def simulate(scene=None, seed: int = 0, *, twin: bool = False, dtype=np.float32, threads: int = 0) -> GprLane:
    """Render a GPR lane.

    Parameters
    ----------
    scene : dict, str or os.PathLike, optional
        Scene (``docs/sim_gpr.md``); missing keys take their defaults.
        ``None``: :func:`default_scene`.
    seed : int, default 0
        Seed of every random draw (placement, clutter properties, surface,
        drift, noise); non-negative.
    twin : bool, default False
        Also render the target-free twin (for signal-to-clutter ratios).
    dtype : {numpy.float32, numpy.float64}
    threads : int, default 0
        Number of threads; 0 = all cores. The result does not depend on it.

    Returns
    -------
    GprLane

    Raises
    ------
    ValueError
        A scene key unknown or out of range, or random objects that cannot be
        placed ``min_spacing_m`` apart.
    """
    if int(seed) < 0:
        raise ValueError(f"seed = {seed} must be >= 0")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, not {dtype}")
    fn = _core.sim_gpr_f32 if dtype == np.float32 else _core.sim_gpr_f64
    r = fn(_scene_text(scene), int(seed), bool(twin), int(threads))
    n_traces, n_channels = len(r["x"]), len(r["y"])

    def shaped(a):
        if a is None or n_channels == 1:
            return a
        return a.reshape(a.shape[0], n_traces, n_channels, order="F")

    surface = r["surface"] if n_channels == 1 else r["surface"].reshape(n_traces, n_channels, order="F")
    return GprLane(shaped(r["data"]), shaped(r["twin"]), r["dt_ns"], r["time_zero_ns"], r["x"], r["y"],
                   surface, json.loads(r["truth"]), json.loads(r["scene"]), int(seed))


def write(lane: GprLane, directory) -> None:
    """Write a lane to ``directory`` (created if missing): ``data.npy`` (and
    ``twin.npy``) as ``(n_samples, n_traces[, n_channels])`` arrays,
    ``meta.json`` (dt_ns, time_zero_ns, x, y, seed), ``truth.json`` and
    ``scene.json``. :func:`read` loads it back."""
    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, "data.npy"), lane.data)
    if lane.twin is not None:
        np.save(os.path.join(directory, "twin.npy"), lane.twin)
    meta = {"dt_ns": lane.dt_ns, "time_zero_ns": lane.time_zero_ns, "n_samples": lane.data.shape[0],
            "n_traces": len(lane.x), "channels": len(lane.y), "x_m": lane.x.tolist(), "y_m": lane.y.tolist(),
            "surface_m": np.asarray(lane.surface).T.ravel().tolist(), "seed": lane.seed}
    for name, obj in (("meta.json", meta), ("truth.json", lane.truth), ("scene.json", lane.scene)):
        with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1)


def read(directory) -> GprLane:
    """Load a lane written by :func:`write`."""
    def load(name):
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            return json.load(f)

    meta = load("meta.json")
    data = np.load(os.path.join(directory, "data.npy"))
    twin_path = os.path.join(directory, "twin.npy")
    twin = np.load(twin_path) if os.path.exists(twin_path) else None
    x, y = np.asarray(meta["x_m"]), np.asarray(meta["y_m"])
    surface = np.asarray(meta.get("surface_m", np.zeros(len(x) * len(y))))
    surface = surface if len(y) == 1 else surface.reshape(len(y), len(x)).T
    return GprLane(np.asfortranarray(data), None if twin is None else np.asfortranarray(twin), meta["dt_ns"],
                   meta["time_zero_ns"], x, y, surface, load("truth.json"), load("scene.json"), meta.get("seed", 0))

"""Scattered magnetometer readings to a regular :class:`~sapper.mag.Grid`.

:func:`grid` block-reduces the readings onto the grid's cells, fits a
minimum-curvature surface with tension (Smith & Wessel 1990, the algorithm of
GMT ``surface``) through the block values at their own sub-cell positions, and
sets cells far from every reading to NaN. :func:`block_reduce` gives the block
values themselves. Same numbers for any thread count.

Coordinates x east, y north, m; values nT. A reading whose value is NaN is
skipped; a NaN/Inf position or an infinite value raises ``ValueError`` naming
its index. Formulas, defaults, costs and measurements: ``docs/mag_gridding.md``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _core
from ._grid import Grid

__all__ = ["grid", "block_reduce"]

_METHODS = ("minimum_curvature", "block_median", "block_mean")


def _readings(x, y, values):
    arrays = []
    for name, a in (("x", x), ("y", y), ("values", values)):
        a = np.asarray(a)
        if a.dtype.kind not in "fiu" or np.iscomplexobj(a):
            raise ValueError(f"{name} must be real numbers, got dtype {a.dtype}")
        if a.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
        arrays.append(np.ascontiguousarray(a, dtype=np.float64))
    if not (len(arrays[0]) == len(arrays[1]) == len(arrays[2])):
        raise ValueError(f"x, y and values have lengths {len(arrays[0])}, {len(arrays[1])} and {len(arrays[2])};"
                         " they must be equal")
    if len(arrays[0]) == 0:
        raise ValueError("no readings (x, y and values are empty)")
    return arrays


def _spacing(spacing):
    if spacing is None:
        raise ValueError("spacing is required: the cell size in m, a number or (dx, dy)")
    dx, dy = (spacing, spacing) if np.ndim(spacing) == 0 else tuple(spacing)
    dx, dy = float(dx), float(dy)
    if not (math.isfinite(dx) and math.isfinite(dy) and dx > 0 and dy > 0):
        raise ValueError(f"spacing (dx, dy) = ({dx}, {dy}) must be positive and finite, m")
    return dx, dy


def _threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"threads = {threads!r} must be an int >= 0 (0 = all cores)")
    return int(threads)


def _spec(x, y, v, spacing, region):
    dx, dy = _spacing(spacing)
    if region is None:
        return _core.mag_gridding.grid_spec(x, y, v, dx, dy)
    if len(region) != 4:
        raise ValueError(f"region = {region!r} must be (xmin, xmax, ymin, ymax), m")
    x0, x1, y0, y1 = (float(r) for r in region)
    if not all(math.isfinite(r) for r in (x0, x1, y0, y1)) or x1 < x0 or y1 < y0:
        raise ValueError(f"region = {region!r} must be finite with xmin <= xmax and ymin <= ymax, m")
    nx, ny = math.floor((x1 - x0) / dx + 1e-9) + 1, math.floor((y1 - y0) / dy + 1e-9) + 1
    if nx * ny > 2**31:
        raise ValueError(f"region {region!r} at spacing ({dx}, {dy}) is {nx} x {ny} nodes, more than 2**31")
    return (x0, y0, dx, dy, nx, ny)


def block_reduce(x, y, values, spacing, *, region=None, statistic="median", location="data", threads=0):
    """Reduce the readings in each grid cell to one value.

    The cell of node ``(i, j)`` (at ``x0 + i dx, y0 + j dy``) is
    ``[x - dx/2, x + dx/2) x [y - dy/2, y + dy/2)`` about it: a reading goes to
    its nearest node. The median of an even count is the mean of the two middle
    values (as :func:`numpy.median`).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Reading positions, m (finite).
    values : array_like, shape (n,)
        Readings, nT; NaN readings are skipped.
    spacing : float or (float, float)
        Cell size ``dx`` (or ``(dx, dy)``), m.
    region : (xmin, xmax, ymin, ymax), optional
        The grid's first and last nodes (the last at or before ``xmax``,
        ``ymax``), m. Default: the readings' bounding box, ``x0 = min x``, the
        last node at or beyond ``max x``. Readings outside every cell are
        skipped (counted in ``n_outside``).
    statistic : {'median', 'mean'}
        Reduction of each cell's values.
    location : {'data', 'centre'}
        Position reported for each cell: ``'data'`` = the readings' own (for
        the median, the middle reading's by value, or the mean of the two
        middle readings'; for the mean, the mean position), ``'centre'`` = the
        node.
    threads : int, default 0
        Number of threads; 0 = all cores.

    Returns
    -------
    dict
        One entry per cell holding a reading, in row-major cell order:
        ``x``, ``y`` (m), ``value`` (nT), ``row``, ``col`` (the node ``j, i``),
        ``count`` (readings in the cell), plus ``n_outside`` (int) and
        ``spec`` ``(x0, y0, dx, dy, nx, ny)``.

    Raises
    ------
    ValueError
        On empty or mismatched inputs, a non-finite position or infinite
        value (named by index), a bad spacing, region, statistic, location or
        threads.
    """
    x, y, v = _readings(x, y, values)
    if location not in ("data", "centre"):
        raise ValueError(f"location = {location!r} must be 'data' or 'centre'")
    spec = _spec(x, y, v, spacing, region)
    d = _core.mag_gridding.block_reduce(x, y, v, spec, statistic, location == "centre", _threads(threads))
    cell = d.pop("cell")
    d["row"], d["col"] = cell // spec[4], cell % spec[4]
    d["spec"] = spec
    return d


def grid(x, y, values, spacing, *, method="minimum_curvature", region=None, tension=0.25, max_distance=None,
         block="median", convergence=0.0, max_cycles=200, refine=1, threads=0, report=False):
    """Grid scattered readings.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Reading positions, m (finite).
    values : array_like, shape (n,)
        Readings, nT; NaN readings are skipped.
    spacing : float or (float, float)
        Grid spacing ``dx`` (or ``(dx, dy)``), m.
    method : {'minimum_curvature', 'block_median', 'block_mean'}
        ``'minimum_curvature'``: block medians (or means, ``block``) at the
        readings' position, then the surface of
        ``(1 - T) lap^2 u - T lap u = 0`` through them. ``'block_median'``,
        ``'block_mean'``: the cell statistic at the node, NaN in empty cells.
    region : (xmin, xmax, ymin, ymax), optional
        See :func:`block_reduce`. Default: the readings' bounding box.
    tension : float, default 0.25
        ``T`` in [0, 1): 0 = minimum curvature, 0.25-0.35 for potential
        fields; derivatives in units of the grid spacing, as GMT.
    max_distance : float, optional
        Nodes farther than this from every reading become NaN, m. Default:
        1.5 x the estimated track spacing (``docs/mag_gridding.md``);
        ``numpy.inf``: no mask.
    block : {'median', 'mean'}
        Reduction per cell before minimum curvature.
    convergence : float, default 0
        Stop when the rms of the estimated error left in the surface is
        under this, nT; 0 = 1e-6 x the range of the block values about their
        least-squares plane.
    max_cycles : int, default 200
        Multigrid V-cycles at most.
    refine : int, default 1
        Solve on a grid ``refine`` times finer (1-16) and return every
        ``refine``-th node: more accurate between survey lines only a few
        cells apart, at ``refine**2`` the time and memory. The tension is
        rescaled to give the same continuous surface (``T / (1 - T)``
        divided by ``refine**2``). The report is the finer grid's.
    threads : int, default 0
        Number of threads; 0 = all cores. Does not change the numbers.
    report : bool, default False
        Also return a dict: ``levels`` (grids of the multigrid hierarchy),
        ``cycles``, ``converged``, ``error_estimate`` (nT, the rms of the
        estimated error left), ``convergence`` (nT, the limit used),
        ``n_blocks``, ``n_outside``, ``max_distance`` (m), ``n_masked``.

    Returns
    -------
    Grid
        Values ``(ny, nx)``, nT, NaN where masked or (block methods) empty.
        With ``report=True``, ``(Grid, dict)``.

    Raises
    ------
    ValueError
        On empty or mismatched inputs, a non-finite position or infinite
        value (named by index), no reading inside the grid, a grid of fewer
        than 3 x 3 nodes (minimum curvature), or an out-of-range parameter
        (named with its value).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.meshgrid(np.arange(0, 5, 0.5), np.arange(0, 5, 0.1))
    >>> g = grid(x.ravel(), y.ravel(), (2 * x + y).ravel(), 0.25)
    >>> g.shape, round(float(g.values[4, 6]), 6)
    ((21, 19), 4.0)
    """
    x, y, v = _readings(x, y, values)
    if method not in _METHODS:
        raise ValueError(f"method = {method!r} must be one of {', '.join(map(repr, _METHODS))}")
    if block not in ("median", "mean"):
        raise ValueError(f"block = {block!r} must be 'median' or 'mean'")
    th = _threads(threads)
    spec = _spec(x, y, v, spacing, region)
    rep = {}
    if method == "minimum_curvature":
        for name, val in (("tension", tension), ("convergence", convergence)):
            if not isinstance(val, (int, float, np.integer, np.floating)) or isinstance(val, bool):
                raise ValueError(f"{name} = {val!r} must be a number")
        if not (0 <= tension < 1):
            raise ValueError(f"tension = {tension} must be in [0, 1)")
        if not (math.isfinite(convergence) and convergence >= 0):
            raise ValueError(f"convergence = {convergence} must be >= 0 (0: automatic), nT")
        if isinstance(max_cycles, bool) or not isinstance(max_cycles, (int, np.integer)) or max_cycles < 1:
            raise ValueError(f"max_cycles = {max_cycles!r} must be an int >= 1")
        if isinstance(refine, bool) or not isinstance(refine, (int, np.integer)) or not 1 <= refine <= 16:
            raise ValueError(f"refine = {refine!r} must be an int in [1, 16]")
        if spec[4] < 3 or spec[5] < 3:
            raise ValueError(f"minimum curvature needs a grid of at least 3 x 3 nodes, got {spec[4]} x {spec[5]}")
        values_, rep = _core.mag_gridding.minimum_curvature(x, y, v, spec, float(tension), float(convergence),
                                                            int(max_cycles), block, th, int(refine))
    else:
        values_, _ = _core.mag_gridding.block_grid(x, y, v, spec, method[len("block_"):], th)
    if max_distance is None:
        max_distance = _core.mag_gridding.default_max_distance(x, y, v, spec)
    max_distance = float(max_distance)
    if not max_distance > 0:
        raise ValueError(f"max_distance = {max_distance} must be positive, m (numpy.inf: no mask)")
    rep["n_masked"] = _core.mag_gridding.distance_mask(values_, spec, x, y, v, max_distance, th)
    rep["max_distance"] = max_distance
    g = Grid(values_, spec[0], spec[1], spec[2], spec[3])
    return (g, rep) if report else g

"""The regular grid every :mod:`sapper.mag` grid function takes and returns."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """Values on a regular grid, shape ``(ny, nx)`` (northing, easting), as harmonica orders them.

    ``values[j, i]`` sits at ``x = x0 + i * dx`` (east), ``y = y0 + j * dy``
    (north), m. NaN marks a cell without data.

    Attributes
    ----------
    values : numpy.ndarray
        float64, C-contiguous, shape ``(ny, nx)``.
    x0, y0 : float
        Coordinates of ``values[0, 0]``, m.
    dx, dy : float
        Cell spacing, m (positive).
    """

    values: np.ndarray
    x0: float = 0.0
    y0: float = 0.0
    dx: float = 1.0
    dy: float = 1.0

    def __post_init__(self):
        v = np.asarray(self.values)
        if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
            raise ValueError(f"grid values must be a 2-D array (ny, nx), got shape {v.shape}")
        if not np.issubdtype(v.dtype, np.number) or np.iscomplexobj(v):
            raise ValueError(f"grid values must be real numbers, got dtype {v.dtype}")
        for name in ("x0", "y0", "dx", "dy"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name} = {getattr(self, name)} must be finite")
        if not (self.dx > 0 and self.dy > 0):
            raise ValueError(f"grid spacing (dx, dy) = ({self.dx}, {self.dy}) must be positive, m")
        object.__setattr__(self, "values", np.ascontiguousarray(v, dtype=np.float64))

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def x(self) -> np.ndarray:
        """Easting of each column, m."""
        return self.x0 + self.dx * np.arange(self.values.shape[1])

    @property
    def y(self) -> np.ndarray:
        """Northing of each row, m."""
        return self.y0 + self.dy * np.arange(self.values.shape[0])

    def like(self, values: np.ndarray) -> "Grid":
        """A grid with the same coordinates and new values."""
        return Grid(values, self.x0, self.y0, self.dx, self.dy)

"""Magnetometer processing: survey lines to a clean grid, grid transforms, and sources.

- :mod:`sapper.mag.lines`: line preprocessing of survey readings (diurnal
  correction, despiking, lag, heading, sensor geometry, levelling, regional
  field);
- :mod:`sapper.mag.gridding`: scattered readings to a regular :class:`Grid`;
- :mod:`sapper.mag.transform`: FFT grid transforms and target picking;
- :mod:`sapper.mag.source`: dipole fits, multi-dipole fits, Euler
  deconvolution and target features.

Coordinates: x east, y north, z up, m. Fields in nT, moments in A m^2. Grids
are :class:`Grid` objects, values of shape ``(ny, nx)``. Every formula:
``docs/mag.md`` and the pages it links.
"""
from ._grid import Grid
from . import gridding, lines, source, transform
from .gridding import *  # noqa: F401,F403
from .lines import *  # noqa: F401,F403
from .source import *  # noqa: F401,F403
from .transform import *  # noqa: F401,F403

__all__ = ["Grid", "gridding", "lines", "source", "transform"] + gridding.__all__ + lines.__all__ + source.__all__ + transform.__all__

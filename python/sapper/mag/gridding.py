"""See the package docstring of :mod:`sapper.mag`."""
from __future__ import annotations

__all__: list[str] = []

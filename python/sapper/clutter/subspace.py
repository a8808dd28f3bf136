"""See the package docstring of :mod:`sapper.clutter`."""
from __future__ import annotations

__all__: list[str] = []

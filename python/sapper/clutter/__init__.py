"""GPR clutter suppression: ground bounce, antenna ringing and soil clutter.

- :mod:`sapper.clutter.ground`: ground-bounce tracking, flattening and
  adaptive removal;
- :mod:`sapper.clutter.subspace`: eigen-image removal by truncated SVD and
  robust PCA (low rank + sparse).

B-scans are numpy arrays of shape ``(n_samples, n_traces)``, float32 or
float64, as in :mod:`sapper.gpr`. Formulas, parameters and costs:
``docs/clutter.md``.
"""
from . import ground, subspace
from .ground import *  # noqa: F401,F403
from .subspace import *  # noqa: F401,F403

__all__ = ["ground", "subspace"] + ground.__all__ + subspace.__all__

"""GPR detection: prescreeners that raise alarms, hyperbola analysis around an alarm, and the
features that classifiers read.

- :mod:`sapper.detect.prescreen`: energy, LMS prediction-error and CFAR prescreeners (batch and
  streaming);
- :mod:`sapper.detect.hyperbola`: apex, velocity, depth and polarity of the hyperbola at an alarm;
- :mod:`sapper.detect.features`: HOG, edge-histogram, energy and spectral features.
"""
from . import features, hyperbola, prescreen
from .features import *  # noqa: F401,F403
from .hyperbola import *  # noqa: F401,F403
from .prescreen import *  # noqa: F401,F403

__all__ = ["features", "hyperbola", "prescreen"] + features.__all__ + hyperbola.__all__ + prescreen.__all__

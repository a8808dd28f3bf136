"""Classification and fusion: logistic regression and tree ensembles trained from numpy features
and saved as small versioned JSON models, and fusion of GPR alarms with magnetometer targets.

- :mod:`sapper.classify.models`: classifiers, training, save/load;
- :mod:`sapper.classify.fusion`: GPR + magnetometer alarms to one list with class probabilities;
- :mod:`sapper.classify.defaults`: the shipped models (``default_model``, ``default_fusion``).
"""
from . import defaults, fusion, models
from .defaults import *  # noqa: F401,F403
from .fusion import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403

__all__ = ["defaults", "fusion", "models"] + defaults.__all__ + fusion.__all__ + models.__all__

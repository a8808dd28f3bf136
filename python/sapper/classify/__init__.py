"""Classification and fusion: logistic regression and tree ensembles trained from numpy features
and saved as small versioned JSON models, and fusion of GPR alarms with magnetometer targets.

- :mod:`sapper.classify.models`: classifiers, training, save/load;
- :mod:`sapper.classify.fusion`: GPR + magnetometer alarms to one list with class probabilities.
"""
from . import fusion, models
from .fusion import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403

__all__ = ["fusion", "models"] + fusion.__all__ + models.__all__

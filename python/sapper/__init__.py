"""sapper: sensor signal processing for humanitarian demining (GPR and magnetometers)."""
from . import classify, clutter, detect, eval, gpr, io, mag, sim

__version__ = "0.1.0"
__all__ = ["classify", "clutter", "detect", "eval", "gpr", "io", "mag", "sim", "__version__"]

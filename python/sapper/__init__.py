"""sapper: sensor signal processing for humanitarian demining (GPR and magnetometers)."""
from . import clutter, eval, gpr, io, mag, sim

__version__ = "0.1.0"
__all__ = ["clutter", "eval", "gpr", "io", "mag", "sim", "__version__"]

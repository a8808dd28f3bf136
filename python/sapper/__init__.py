"""sapper: sensor signal processing for humanitarian demining (GPR and magnetometers)."""
from . import eval, gpr, io, mag, sim

__version__ = "0.1.0"
__all__ = ["eval", "gpr", "io", "mag", "sim", "__version__"]

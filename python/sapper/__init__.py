"""sapper: sensor signal processing for humanitarian demining (GPR and magnetometers)."""
from . import gpr

__version__ = "0.1.0"
__all__ = ["gpr", "__version__"]

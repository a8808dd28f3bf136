"""sapper: sensor signal processing for humanitarian demining (GPR and magnetometers)."""
from . import _core, classify, clutter, detect, eval, gpr, io, mag, sim

__version__ = "0.1.0"
__all__ = ["classify", "clutter", "detect", "eval", "gpr", "io", "mag", "sim", "__version__", "fft_planning",
           "set_fft_planning"]


def set_fft_planning(mode):
    """Choose how new FFT plans pick FFTW's algorithm.

    Parameters
    ----------
    mode : {"measure", "estimate"}
        ``"measure"`` (the default) times candidate algorithms and keeps the fastest, which may
        change from one process to the next with the machine's load, and with it the last bits
        of results that go through FFTs. ``"estimate"`` always picks the same algorithm: runs
        are bit-reproducible (e.g. training the shipped models), at some cost in speed. The
        environment variable ``SAPPER_FFT_PLANNING=estimate`` selects it at start-up.
        Setting it empties the plan cache.

    Raises
    ------
    ValueError
        For another mode.
    """
    if mode not in ("measure", "estimate"):
        raise ValueError(f"mode = {mode!r} must be 'measure' or 'estimate'")
    _core.set_fft_planning(mode == "estimate")


def fft_planning():
    """The current FFT planning mode: ``"measure"`` or ``"estimate"`` (:func:`set_fft_planning`)."""
    return "estimate" if _core.fft_planning_is_estimate() else "measure"

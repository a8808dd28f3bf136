"""sapper.set_fft_planning: the estimate mode still transforms correctly, is read from the
environment, and gives bit-identical results in separate processes."""
import os
import subprocess
import sys

import numpy as np
import pytest

import sapper
from sapper import gpr

CHILD = """
import sys, numpy as np, sapper
from sapper import gpr
x = np.asfortranarray(np.random.default_rng(3).standard_normal((500, 64)))
sys.stdout.write(sapper.fft_planning() + " " + gpr.bandpass(x, 0.1, 100.0, 2000.0).tobytes().hex()[:20000])
"""


def test_modes_give_the_same_transform_to_rounding():
    x = np.asfortranarray(np.random.default_rng(1).standard_normal((700, 40)))
    assert sapper.fft_planning() == "measure"
    measured = gpr.bandpass(x, 0.1, 100.0, 2000.0)
    try:
        sapper.set_fft_planning("estimate")
        assert sapper.fft_planning() == "estimate"
        estimated = gpr.bandpass(x, 0.1, 100.0, 2000.0)
    finally:
        sapper.set_fft_planning("measure")
    np.testing.assert_allclose(estimated, measured, rtol=0, atol=1e-12 * np.abs(measured).max())
    # and the band-pass itself: almost no energy left outside 100-2000 MHz
    spec = np.abs(np.fft.rfft(estimated, axis=0)) ** 2
    f = np.fft.rfftfreq(700, 0.1e-9) / 1e6
    assert spec[f > 4000].sum() < 1e-3 * spec.sum()


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        sapper.set_fft_planning("patient")


def test_estimate_from_the_environment_is_reproducible_across_processes():
    env = dict(os.environ, SAPPER_FFT_PLANNING="estimate")
    runs = [subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0].startswith("estimate ")
    assert runs[0] == runs[1]

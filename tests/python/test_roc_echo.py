"""bench/detect/roc.py --echo: each target's echo over the background from the target-free twin,
and the Pd table by echo strength, against direct computations."""
import pathlib
import sys

import numpy as np
import pytest
from scipy import stats

from sapper import pipeline
from sapper.sim import gpr as simgpr

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "bench" / "detect")]
roc = pytest.importorskip("roc")

SCENE = {"lane": {"length_m": 4, "channels": 4, "channel_spacing_m": 0.1},
         "ground": {"roughness_rms_m": 0.005, "permittivity": 6},
         "objects": [{"type": "TM-62M", "x": 1.0, "y": 0.0, "depth": 0.05},
                     {"type": "PMA-1", "x": 2.5, "y": 0.05, "depth": 0.10},
                     {"type": "rock", "x": 3.3, "y": -0.1, "depth": 0.1, "size_m": 0.05}]}


def test_echo_ratio_orders_targets_and_ignores_clutter():
    lane = simgpr.simulate(SCENE, seed=3, twin=True)
    objs, q = roc.echo_ratio(lane)
    assert [o["type"] for o in objs] == ["TM-62M", "PMA-1"]   # the rock is clutter: no ratio
    assert q[0] > q[1] > 1.0                                   # a shallow metal AT mine outshines a deeper plastic AP mine
    # the same lane with the twin as its data: no echo left anywhere
    flat = simgpr.simulate(SCENE, seed=3, twin=True)
    flat.data = flat.twin
    assert np.all(roc.echo_ratio(flat)[1] == 0.0)


def test_echo_ratio_is_the_peak_difference_over_the_twin_rms():
    lane = simgpr.simulate(SCENE, seed=3, twin=True)
    d, dt, tz, x, y = pipeline._lane_arrays(lane)
    pd = pipeline.preprocess_gpr(d, dt, x)
    pt = pipeline.preprocess_gpr(np.asarray(lane.twin, dtype=d.dtype).reshape(d.shape), dt, x)
    i0 = int(np.ceil((tz + 0.6) / dt))
    o = SCENE["objects"][1]
    traces = np.nonzero(np.abs(x - o["x"]) <= 0.3)[0]
    chans = np.argsort(np.abs(y - o["y"]))[:2]
    peak = max(abs(float(pd[i, t, c]) - float(pt[i, t, c])) for i in range(i0, d.shape[0], 1) for t in traces[::7]
               for c in chans)                              # a sample of the window: a lower bound
    bg = np.sqrt(np.mean(pt[i0:].astype(np.float64) ** 2))
    assert roc.echo_ratio(lane)[1][1] >= peak / bg * (1 - 1e-6)


def test_echo_report_bins_counts_and_intervals():
    pma, pmn = {"type": "PMA-1", "depth": 0.09}, {"type": "PMN", "depth": 0.05}
    rows = [(pma, 1.5, 0.2), (pma, 2.5, 0.99), (pmn, 2.9, -np.inf), (pmn, 4.0, 0.97), (pma, 12.0, 0.5),
            (pmn, 30.0, 0.99), (pmn, 7.0, 0.96)]
    lines = roc.echo_report(rows, 0.95).splitlines()
    body = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:6]] for ln in lines[2:6]}
    assert body["[0, 2)"][:2] == ["1", "0"]
    assert body["[2, 3)"][:3] == ["2", "1", "0.500"]
    assert body["[3, 5)"][:3] == ["1", "1", "1.000"]
    assert body["[5, inf)"][:3] == ["3", "2", "0.667"]
    lo = stats.beta.ppf(0.025, 2, 2)                        # Clopper-Pearson of 2 of 3
    hi = stats.beta.ppf(0.975, 3, 1)
    assert body["[5, inf)"][3] == f"{lo:.2f}-{hi:.2f}"
    assert lines[-1] == "missed: PMA-1 9 cm (echo 12.0x), PMN 5 cm (echo 2.9x), PMA-1 9 cm (echo 1.5x)"

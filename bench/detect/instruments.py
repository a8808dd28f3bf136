#!/usr/bin/env python3
"""GPR-alone Pd of the shipped chain on unseen lanes recorded by other instruments.

Each row simulates the same lanes (seeds 5000 + i, the soils and objects of
tools/train_models.random_scene) with one recording setting changed from the simulator's default
(1.5 GHz Ricker antenna 7 cm up, 512 samples over 12 ns, time zero at 1 ns, 2 cm traces), or with
the instrument drawn per lane (``varied``: train_models.acquisition, the training's family on
other seeds), and prints Pd at 0.01 / 0.02 / 0.05 / 0.1 FA/m^2 and pAUC(0.1) as bench/detect/roc.py
scores them. The 700 MHz and 3 GHz rows lie outside the training's 0.8-2.6 GHz.

    python bench/detect/instruments.py [--lanes 30] [--model FILE] [--seed0 5000] [row ...]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path[:0] = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"),
                os.path.dirname(os.path.abspath(__file__))]
import roc  # noqa: E402
import train_models as tm  # noqa: E402
from sapper import eval as sev  # noqa: E402
from sapper import pipeline  # noqa: E402
from sapper.sim import gpr as simgpr  # noqa: E402

ROWS = {
    "default": {},
    "varied": None,
    "1024 samples": {"recording": {"n_samples": 1024}},
    "256 samples": {"recording": {"n_samples": 256}},
    "16 ns window": {"recording": {"n_samples": 683, "time_window_ns": 16}},
    "1 cm traces": {"recording": {"trace_spacing_m": 0.01}},
    "4 cm traces": {"recording": {"trace_spacing_m": 0.04}},
    "1 GHz": {"antenna": {"frequency_mhz": 1000}},
    "2.5 GHz": {"antenna": {"frequency_mhz": 2500}},
    "700 MHz": {"antenna": {"frequency_mhz": 700}},
    "3 GHz": {"antenna": {"frequency_mhz": 3000}},
    "5 cm up": {"antenna": {"height_m": 0.05}},
    "10 cm up": {"antenna": {"height_m": 0.10}},
    "time zero 2 ns": {"recording": {"time_zero_ns": 2.0}},
    "ringing 0.4 over 3 ns": {"antenna": {"ringing": 0.4, "ringing_decay_ns": 3.0}},
    "coupling x3": {"antenna": {"coupling": 3.0}},
    "wet soil (permittivity 18)": {"ground": {"permittivity": 18.0}},
}


def score_row(change, lanes, model, seed0=tm.EVAL_SEED0):
    """GPR-alone score of ``lanes`` lanes (seeds seed0 + i) with the recording ``change`` (None:
    drawn per lane)."""
    parts = []
    for i in range(lanes):
        seed = seed0 + i
        scene = tm.random_scene(seed, varied=change is None)
        for k, v in (change or {}).items():
            scene[k] = {**scene.get(k, {}), **v}
        lane = simgpr.simulate(scene, seed=seed)
        parts.append((lane.truth, {"gpr": pipeline.gpr_alarms(lane, model)}))
    truth, alarms = roc.stack(parts, parts[0][0]["area"]["y1"] - parts[0][0]["area"]["y0"])
    return sev.score(alarms["gpr"], truth, fa_rates=roc.RATES)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lanes", type=int, default=30)
    p.add_argument("--model", help="GPR model file (default: the shipped)")
    p.add_argument("--seed0", type=int, default=tm.EVAL_SEED0,
                   help="first lane seed (2000: validation lanes, to choose among models without the evaluation's)")
    p.add_argument("rows", nargs="*", help=f"rows to score (default: all): {', '.join(ROWS)}")
    a = p.parse_args(argv)
    for r in a.rows:
        if r not in ROWS:
            p.error(f"unknown row {r!r}; rows: {', '.join(ROWS)}")
    print(f"GPR alone, {a.lanes} lanes per row (seeds {a.seed0}+); Pd at {' / '.join(f'{r:g}' for r in roc.RATES)} FA/m^2\n")
    print("| recording | Pd | pAUC(0.1) | targets | s |\n|---|---|---|---|---|")
    for name in a.rows or ROWS:
        t0 = time.perf_counter()
        s = score_row(ROWS[name], a.lanes, a.model, a.seed0)
        print(f"| {name} | {' / '.join(f'{q.pd:.2f}' for q in s.at_rates)} | {s.pauc:.3f} | {s.n_targets} | "
              f"{time.perf_counter() - t0:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

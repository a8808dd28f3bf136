"""Time per lane of the GPR branch: sapper.pipeline.gpr_alarms (the C++ chain, sapper::pipeline::GprChain)
beside the Python glue it replaced (the reference copy in tests/python/test_pipeline_chain.py, calling the
same C++ stages one by one from Python), on one 10 m, 8-channel lane of tools/train_models.py (seed 4100),
float32 and float64, one run, the best of --repeat.

    PYTHONPATH=/tmp/site-X python bench/pipeline/compare_chain.py [--repeat 3]
"""
import argparse
import pathlib
import sys
import os

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests" / "python")]
import train_models as tm  # noqa: E402
import test_pipeline_chain as ref  # noqa: E402
from sapper import classify, pipeline  # noqa: E402
from sapper.sim import gpr as simgpr  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from timing import best  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    model = classify.default_model("gpr")
    print(f"{'dtype':8} {'shape':>16} {'alarms':>6} {'C++ chain ms':>13} {'Python glue ms':>15} {'ratio':>6}")
    for dtype in (np.float32, np.float64):
        lane = simgpr.simulate(tm.random_scene(4100), seed=4100, dtype=dtype)
        g = pipeline.gpr_alarms(lane, model)
        r = ref.ref_alarms(lane, model)
        assert np.allclose(g["proba"], r["proba"], rtol=0, atol=1e-9)
        tc = best(lambda: pipeline.gpr_alarms(lane, model), a.repeat)[0]
        tp = best(lambda: ref.ref_alarms(lane, model), a.repeat)[0]
        print(f"{np.dtype(dtype).name:8} {str(lane.data.shape):>16} {len(g['prescreen'].alarms):6d} {1e3 * tc:13.0f} "
              f"{1e3 * tp:15.0f} {tc / tp:6.2f}")


if __name__ == "__main__":
    main()

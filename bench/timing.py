"""The timer of the comparison scripts (bench/*/compare_*.py): the best of several runs."""
from __future__ import annotations

import time


def best(f, reps=3):
    """Fastest wall time of ``reps`` calls of ``f`` in seconds, and the last call's result."""
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out

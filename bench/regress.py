#!/usr/bin/env python3
"""Benchmark regression check for sapper (stdlib only).

Runs a short subset of the Google Benchmark suite (sapper_bench; by default the 1-thread variant
of every benchmark) with 5 repetitions in random interleaved order, takes the MINIMUM real time of
each benchmark over its repetitions (noise on a shared machine only ever adds time), and divides it
by the reference kernel BM_Copy/1 measured in the same run. Ratios, not absolute times, so that a
baseline stays meaningful on a faster or slower machine of the same kind. These ratios are compared
with the committed baseline bench/baseline.json, written by --update as the 2nd highest ratio of 5
runs: on a shared VM the compute-bound kernels (FFT-based ones, AGC, dewow) have slow phases of
several seconds, up to 1.6-2x, that the memory-bound BM_Copy does not see.

A benchmark whose ratio is more than --tolerance (25%) above its baseline is rerun, with the
reference, in up to 5 fresh processes 3 s apart (each with the ones still over); the minimum times
over the first run and these are pooled, and it fails only if its ratio is still over the threshold. Safeguards for an oversubscribed machine (other
processes keep more than all CPUs but one busy, so the benchmark thread shares its CPU): the rerun
first waits up to 15 s for a CPU to free up; if in the rerun even the best repetition of a
benchmark was descheduled (real time > 1.05 x thread CPU time), its CPU-time ratio counts instead
(the 1-thread variants run on the calling thread); and a slowdown confirmed while the machine was
still oversubscribed (others > CPUs - 0.7) is reported as unconfirmed and does not fail the check,
unless --strict.

Exit status: 0 pass, 1 regression, 2 usage or run error.

  python3 bench/regress.py [build/bench/bench/sapper_bench]     # check against bench/baseline.json
  python3 bench/regress.py --update                            # rewrite bench/baseline.json
  python3 bench/regress.py --json out.json --baseline other.json --tolerance 0.3
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BINARY = "build/bench/bench/sapper_bench"
DEFAULT_BASELINE = os.path.join(REPO, "bench", "baseline.json")
DEFAULT_FILTER = r"^BM_[A-Za-z0-9_]+/1/"  # the 1-thread variant of every benchmark
DEFAULT_REFERENCE = "BM_Copy/1/real_time"
TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
ERE_SPECIAL = set(".[]{}()\\*+?^$|")
# Other processes (and the hypervisor: steal) keeping more than NCPU - 1 CPUs busy share the
# benchmark thread's CPU: a rerun starts when they use under NCPU - 1 + QUIET and is unconfirming
# when they used over NCPU - 1 + BUSY. With one CPU of its own the ratios here held up fine.
NCPU = os.cpu_count() or 1
QUIET = 0.1
BUSY = 0.3
TIME_SHARED = 1.05  # best real time above this times the CPU time: the benchmark thread was descheduled


class RunError(RuntimeError):
    pass


def sig(x: float, digits: int = 4) -> float:
    """x rounded to `digits` significant digits (deterministic, readable JSON)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits - 1}e}")


def ere_escape(s: str) -> str:
    return "".join("\\" + c if c in ERE_SPECIAL else c for c in s)


def cpu_slug(model: str) -> str:
    """File-name form of a CPU model: 'AMD EPYC 7B13' -> 'amd-epyc-7b13'."""
    return "-".join("".join(c if c.isalnum() else " " for c in model.lower()).split()) or "unknown"


def default_baseline() -> str:
    """bench/baseline-<cpu slug>.json when this CPU model has one, else bench/baseline.json: ratios to a
    memory-bound copy move differently for compute-bound kernels on another CPU model."""
    own = os.path.join(REPO, "bench", f"baseline-{cpu_slug(cpu_model())}.json")
    return own if os.path.exists(own) else DEFAULT_BASELINE


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def bench_flags(binary: str, seconds: float, interleave: bool) -> list[str]:
    """Flags that depend on the libbenchmark version, read from `binary --help`: >= 1.8 wants
    --benchmark_min_time=0.05s, 1.7 (Debian 12) a plain number of seconds; random interleaving
    (>= 1.6) runs the repetitions of all benchmarks in random order, so that a slow phase of the
    machine (seconds long on a shared host) is spread over all benchmarks instead of hitting every
    repetition of one of them."""
    try:
        proc = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
        text = proc.stdout + proc.stderr
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    new_style = "<float>s" in text or "<integer>x" in text
    flags = [f"--benchmark_min_time={seconds:g}{'s' if new_style else ''}"]
    if interleave and "benchmark_enable_random_interleaving" in text:
        flags.append("--benchmark_enable_random_interleaving=true")
    return flags


def _busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (steal included), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return math.nan
    user, nice, system, _idle, _iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class OtherLoad:
    """`with OtherLoad() as m:` ... m.cpus: the average number of CPUs that other processes (and the
    hypervisor: steal time) kept busy meanwhile, from /proc/stat less this process and its children."""

    def __enter__(self):
        self.t0, self.b0, self.o0 = time.monotonic(), _busy_seconds(), _own_seconds()
        self.cpus = math.nan
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.t0
        other = (_busy_seconds() - self.b0) - (_own_seconds() - self.o0)
        self.cpus = max(0.0, other / wall) if wall > 0 else math.nan
        return False


def wait_quiet(max_wait: float) -> tuple[float, float]:
    """Waits (1 s steps, at most max_wait s) until other processes use under NCPU - 1 + QUIET CPUs;
    returns (seconds waited, the last load seen)."""
    t0, load = time.monotonic(), math.nan
    while True:
        with OtherLoad() as m:
            time.sleep(1.0)
        load = m.cpus
        waited = time.monotonic() - t0
        if not load >= NCPU - 1 + QUIET or waited + 1.0 > max_wait:  # nan (no /proc/stat): don't wait
            return waited, load


def run_bench(binary: str, regex: str, flags: list[str], reps: int,
              timeout: float) -> tuple[dict, dict, dict, list[str]]:
    """Runs the binary; returns ({name: min real time over the repetitions in ns},
    {name: min CPU time of the benchmark thread in ns}, context, command)."""
    cmd = [binary, f"--benchmark_filter={regex}", "--benchmark_format=json",
           f"--benchmark_repetitions={reps}"] + flags
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunError(f"benchmark run timed out after {timeout:g} s: {shlex.join(cmd)}")
    except OSError as e:
        raise RunError(f"cannot run {binary}: {e}")
    if proc.returncode != 0:
        raise RunError(f"{shlex.join(cmd)} exited with {proc.returncode}\n{proc.stderr.strip()}")
    if not proc.stdout.strip():
        raise RunError(f"no benchmark output from {shlex.join(cmd)}: {proc.stderr.strip() or 'nothing on stderr'}")
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise RunError(f"benchmark output is not JSON ({e}):\n{proc.stdout[:2000]}{proc.stderr[:2000]}")
    best: dict[str, float] = {}
    best_cpu: dict[str, float] = {}
    for b in doc.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue  # mean/median/stddev aggregates
        if b.get("error_occurred"):
            raise RunError(f"{b.get('name')}: {b.get('error_message', 'error')}")
        name = b.get("run_name", b["name"])
        t = float(b["real_time"]) * TIME_UNIT_NS[b.get("time_unit", "ns")]
        best[name] = min(t, best.get(name, math.inf))
        c = float(b.get("cpu_time", b["real_time"])) * TIME_UNIT_NS[b.get("time_unit", "ns")]
        best_cpu[name] = min(c, best_cpu.get(name, math.inf))
    if not best:
        raise RunError(f"no benchmark matched {regex!r}")
    return best, best_cpu, doc.get("context", {}), cmd


def ratios_of(times: dict, reference: str) -> dict:
    if reference not in times:
        raise RunError(f"reference benchmark {reference} was not run (filter must include it)")
    ref = times[reference]
    return {n: t / ref for n, t in times.items() if n != reference}


def load_baseline(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc.get("ratios"), dict):
        raise RunError(f"{path}: no 'ratios' object")
    return doc


def write_json(path: str, doc: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def print_table(rows: list[tuple[str, str, str, str, str]]) -> None:
    head = ("benchmark", "baseline", "measured", "change", "status")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    fmt = "  ".join(f"{{:<{w}}}" if i in (0, 4) else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(fmt.format(*head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt.format(*r))


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile: an actual measured value, the median for q = 0.5 and odd counts."""
    v = sorted(values)
    return v[max(0, math.ceil(q * len(v)) - 1)]


def loadavg() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary", nargs="?", default=DEFAULT_BINARY,
                   help=f"sapper_bench executable (default {DEFAULT_BINARY})")
    p.add_argument("--baseline", default=None,
                   help="baseline JSON (default bench/baseline-<cpu model>.json if present, else bench/baseline.json)")
    p.add_argument("--tolerance", type=float, default=0.25,
                   help="fail if a ratio is more than this fraction above its baseline (default 0.25)")
    p.add_argument("--filter", default=DEFAULT_FILTER, help=f"--benchmark_filter regex (default {DEFAULT_FILTER})")
    p.add_argument("--reference", default=DEFAULT_REFERENCE, help=f"reference benchmark (default {DEFAULT_REFERENCE})")
    p.add_argument("--min-time", type=float, default=0.05, help="--benchmark_min_time in seconds (default 0.05)")
    p.add_argument("--repetitions", type=int, default=5, help="repetitions; the minimum is used (default 5)")
    p.add_argument("--rerun-repetitions", type=int, default=5,
                   help="repetitions in each rerun process (default 5)")
    p.add_argument("--rerun-processes", type=int, default=5,
                   help="the rerun of tripped benchmarks is up to this many processes (default 5)")
    p.add_argument("--rerun-pause", type=float, default=3,
                   help="seconds between the rerun processes (default 3)")
    p.add_argument("--quiet-wait", type=float, default=15,
                   help="seconds to wait at most for a free CPU before the rerun (default 15)")
    p.add_argument("--strict", action="store_true",
                   help=f"also fail when the rerun ran while other processes kept over {NCPU - 1 + BUSY:g} CPUs busy "
                        "(by default such a slowdown is reported as unconfirmed, exit 0)")
    p.add_argument("--no-rerun", action="store_true", help="fail on the first trip, without a confirming rerun")
    p.add_argument("--no-interleave", action="store_true", help="do not pass --benchmark_enable_random_interleaving")
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed per benchmark process (default 600)")
    p.add_argument("--update", action="store_true", help="rewrite the baseline from this machine instead of checking")
    p.add_argument("--update-runs", type=int, default=5,
                   help="with --update: number of separate runs (processes) (default 5)")
    p.add_argument("--update-quantile", type=float, default=0.75,
                   help="with --update: store this quantile (nearest rank) of the runs' ratios (default 0.75, "
                        "the 2nd highest of 5)")
    p.add_argument("--json", metavar="OUT", help="write the measured results to OUT")
    a = p.parse_args(argv)
    if a.baseline is None:
        a.baseline = default_baseline()
    counts = (a.repetitions, a.rerun_repetitions, a.rerun_processes, a.update_runs)
    if a.tolerance < 0 or a.min_time <= 0 or min(counts) < 1 or not 0 < a.update_quantile <= 1:
        p.error("need --tolerance >= 0, --min-time > 0, 0 < --update-quantile <= 1, and --repetitions, "
                "--rerun-repetitions, --rerun-processes, --update-runs >= 1")

    binary = a.binary
    if not os.path.isabs(binary) and not os.path.exists(binary) and os.path.exists(os.path.join(REPO, binary)):
        binary = os.path.join(REPO, binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"regress.py: error: {a.binary}: no such executable "
              "(build it: cmake --preset bench && cmake --build --preset bench)", file=sys.stderr)
        return 2

    start = time.monotonic()
    try:
        base_doc = None if a.update else load_baseline(a.baseline)
        flags = bench_flags(binary, a.min_time, not a.no_interleave)
        runs = 1 if not a.update else a.update_runs
        all_ratios, ref_times, loads = [], [], []
        for k in range(runs):
            with OtherLoad() as load:
                times, cpu_times, context, cmd = run_bench(binary, a.filter, flags, a.repetitions, a.timeout)
            all_ratios.append(ratios_of(times, a.reference))
            ref_times.append(times[a.reference])
            loads.append(load.cpus)
            if runs > 1:
                print(f"run {k + 1}/{runs}: {len(times)} benchmarks, "
                      f"{a.reference} = {times[a.reference] / 1e6:.3f} ms, other processes used {load.cpus:.2f} CPUs")
    except FileNotFoundError as e:
        print(f"regress.py: error: {e.filename}: not found (create it with --update)", file=sys.stderr)
        return 2
    except (RunError, OSError, json.JSONDecodeError) as e:
        print(f"regress.py: error: {e}", file=sys.stderr)
        return 2

    exe = os.path.relpath(cmd[0], REPO) if cmd[0].startswith(REPO + os.sep) else cmd[0]
    meta = {
        "command": shlex.join([exe] + cmd[1:]),
        "cpu": cpu_model(),
        "date": datetime.date.today().isoformat(),
        "num_cpus": context.get("num_cpus"),
        "reference": a.reference,
        "reference_real_time_ms": sig(statistics.median(ref_times) / 1e6),
        "statistic": f"min real_time over {a.repetitions} repetitions, divided by the reference's min",
    }

    if a.update:
        names = sorted(set().union(*all_ratios))
        ratios = {n: quantile([r[n] for r in all_ratios if n in r], a.update_quantile) for n in names}
        meta["statistic"] += f"; {a.update_quantile:g} quantile (nearest rank) of {runs} runs"
        write_json(a.baseline, {"meta": meta, "ratios": {n: sig(r) for n, r in ratios.items()}})
        print(f"wrote {os.path.relpath(a.baseline)}: {len(ratios)} ratios to {a.reference}, "
              f"{a.update_quantile:g} quantile of {runs} runs "
              f"({time.monotonic() - start:.0f} s, load average {loadavg()})")
        for n in names:
            per_run = [r.get(n, math.nan) for r in all_ratios]
            print(f"  {n:<36} {sig(ratios[n]):>8g}   runs: " + " ".join(f"{x:.4g}" for x in per_run))
        if max(loads) > NCPU - 1 + BUSY:
            print(f"warning: other processes kept up to {max(loads):.2f} CPUs busy during these runs; "
                  "the benchmarks shared a CPU; record the baseline on a quieter machine")
        if a.json:
            write_json(a.json, {"meta": meta, "ratios": {n: sig(r) for n, r in ratios.items()},
                                "runs": [{n: sig(x) for n, x in r.items()} for r in all_ratios]})
        return 0

    ratios = all_ratios[0]
    base = base_doc["ratios"]
    bmeta = base_doc.get("meta", {})
    other_cpu = bool(bmeta.get("cpu")) and bmeta["cpu"] != meta["cpu"]
    if bmeta.get("reference", a.reference) != a.reference:
        print(f"regress.py: error: baseline ratios are to {bmeta['reference']}, not {a.reference}", file=sys.stderr)
        return 2
    limit = 1.0 + a.tolerance
    tripped = sorted(n for n, r in ratios.items() if n in base and r > base[n] * limit)
    rerun: dict[str, float] = {}
    rerun_cpu: dict[str, float] = {}
    time_shared: set[str] = set()
    rerun_busy = False
    rerun_runs = 0
    if tripped and not a.no_rerun:
        print(f"{len(tripped)} over the threshold, rerunning to confirm: {', '.join(tripped)}")
        waited, before = wait_quiet(a.quiet_wait)
        if waited > 1.5:
            print(f"waited {waited:.0f} s for a free CPU (other processes now use {before:.2f} of {NCPU})")
        # The rerun is up to --rerun-processes processes a few seconds apart, each only with the
        # benchmarks still over the threshold: on a shared VM the compute-bound kernels (FFT, AGC,
        # dewow) have slow phases of several seconds, up to 1.6-2x, that the memory-bound BM_Copy
        # does not see, and that nothing inside the VM shows (probably other VMs on the same host).
        # Times are pooled over the first run and the rerun processes: the minimum of each benchmark
        # and the minimum of the reference over all of them. (The minimum of the per-process ratios
        # would not do: noise in the reference's time makes a ratio smaller.)
        t_all = {n: times[n] for n in [a.reference] + tripped}
        c_all = {n: cpu_times[n] for n in [a.reference] + tripped}
        pending = list(tripped)
        try:
            with OtherLoad() as rerun_load:
                for k in range(a.rerun_processes):
                    if k:
                        time.sleep(a.rerun_pause)
                    regex = "^(" + "|".join(ere_escape(n) for n in [a.reference] + pending) + ")$"
                    t2, c2, _, _ = run_bench(binary, regex, flags, a.rerun_repetitions, a.timeout)
                    if a.reference not in t2:
                        raise RunError(f"{a.reference} missing from the rerun")
                    for n in t2:
                        if n in t_all:
                            t_all[n] = min(t_all[n], t2[n])
                            c_all[n] = min(c_all[n], c2[n])
                    rerun = {n: t_all[n] / t_all[a.reference] for n in tripped}
                    rerun_cpu = {n: c_all[n] / c_all[a.reference] for n in tripped}
                    # Even the best repetition of these had its thread descheduled for a while (best real
                    # time well above CPU time): the machine is oversubscribed and their real time says
                    # nothing about the code. The 1-thread variants run on the calling thread, so their
                    # CPU time is the work itself.
                    time_shared = {n for n in tripped if t_all[n] > TIME_SHARED * c_all[n]}
                    pending = [n for n in tripped if rerun[n] > base[n] * limit
                               and not (n in time_shared and rerun_cpu[n] <= base[n] * limit)]
                    if not pending:
                        break
            rerun_busy = rerun_load.cpus > NCPU - 1 + BUSY
            rerun_runs = k + 1
        except RunError as e:
            print(f"regress.py: error in rerun: {e}", file=sys.stderr)
            return 2
    # A benchmark fails only if it is still over the threshold with the rerun's times pooled in.
    # If even its best repetition was time-shared (see above), the CPU-time ratio counts.
    final = dict(ratios)
    for n in rerun:
        final[n] = rerun[n]
        if final[n] > base[n] * limit and n in time_shared:
            final[n] = min(final[n], rerun_cpu[n])
        else:
            time_shared.discard(n)

    rows, failed, unconfirmed, new, missing = [], [], [], [], []
    for n in sorted(set(final) | set(base)):
        if n not in final:
            missing.append(n)
            rows.append((n, f"{base[n]:.4g}", "-", "-", "missing (in baseline, not run)"))
            continue
        r = final[n]
        if n not in base:
            new.append(n)
            rows.append((n, "-", f"{r:.4g}", "-", "new"))
            continue
        change = r / base[n] - 1.0
        if r > base[n] * limit and n in rerun and rerun_busy and not a.strict:
            status = "SLOWER? (unconfirmed: busy machine)"
            unconfirmed.append(n)
        elif r > base[n] * limit:
            status = "SLOWER"
            failed.append(n)
        elif change < -a.tolerance:
            status = "faster"
        else:
            status = "OK"
        if n in rerun:
            status += f" (first run {ratios[n]:.4g}; with {rerun_runs} rerun{'s' if rerun_runs > 1 else ''}"
            status += (f" time-shared: real {rerun[n]:.4g}, CPU {rerun_cpu[n]:.4g})" if n in time_shared
                       else f" {rerun[n]:.4g})")
        rows.append((n, f"{base[n]:.4g}", f"{r:.4g}", f"{change * 100:+.1f}%", status))

    print(f"ratio = min real time / min real time of {a.reference} "
          f"({times[a.reference] / 1e6:.3f} ms now, {bmeta.get('reference_real_time_ms', '?')} ms in baseline); "
          f"fail above +{a.tolerance * 100:.0f}%")
    busy_note = f"other processes used {loads[0]:.2f} CPUs during the run"
    if rerun:
        busy_note += f", {rerun_load.cpus:.2f} during the rerun ({rerun_runs} process{'es' if rerun_runs > 1 else ''})"
    print(f"load: {busy_note}; load average {loadavg()}")
    print_table(rows)
    if bmeta.get("cpu") and bmeta["cpu"] != meta["cpu"]:
        print(f"note: the baseline was recorded on '{bmeta['cpu']}', this machine is '{meta['cpu']}'")
    if new:
        print(f"note: {len(new)} benchmark(s) without a baseline entry, not checked "
              f"(add them with --update): {', '.join(new)}")
    if missing:
        print(f"note: {len(missing)} baseline entr{'y' if len(missing) == 1 else 'ies'} not run: {', '.join(missing)}")

    if unconfirmed:
        print(f"WARNING: {', '.join(unconfirmed)} still over the threshold in the rerun, but other processes kept "
              f"{rerun_load.cpus:.2f} of the {NCPU} CPUs busy meanwhile, so the benchmark shared its CPU; "
              "not failing (--strict would). Rerun the check on a quieter machine.")
    if a.json:
        write_json(a.json, {
            "meta": meta,
            "baseline": a.baseline,
            "tolerance": a.tolerance,
            "ratios": {n: sig(r) for n, r in sorted(final.items())},
            "first_run_ratios": {n: sig(r) for n, r in sorted(ratios.items())},
            "rerun_ratios": {n: sig(r) for n, r in sorted(rerun.items())},
            "rerun_cpu_ratios": {n: sig(r) for n, r in sorted(rerun_cpu.items())},
            "rerun_time_shared": sorted(time_shared),
            "real_time_ns": {n: sig(t) for n, t in sorted(times.items())},
            "cpu_time_ns": {n: sig(t) for n, t in sorted(cpu_times.items())},
            "other_cpus": None if math.isnan(loads[0]) else sig(loads[0], 2),
            "rerun_other_cpus": sig(rerun_load.cpus, 2) if rerun else None,
            "failed": failed, "unconfirmed": unconfirmed, "new": new, "missing": missing,
        })

    elapsed = time.monotonic() - start
    if failed and other_cpu and not a.strict:
        print(f"NOT CHECKED: {len(failed)} benchmark(s) over the threshold, but the baseline comes from another CPU "
              f"model, whose ratios are not comparable; record one for this CPU: python3 bench/regress.py "
              f"{a.binary} --update --baseline bench/baseline-{cpu_slug(meta['cpu'])}.json ({elapsed:.0f} s)")
        return 0
    if failed:
        print(f"FAIL: {len(failed)} benchmark(s) more than {a.tolerance * 100:.0f}% slower than the baseline "
              f"(relative to {a.reference}){'' if a.no_rerun else ', confirmed by a rerun'}: "
              f"{', '.join(failed)} ({elapsed:.0f} s)")
        print(f"      if the slowdown is intended, refresh the baseline: python3 bench/regress.py {a.binary} --update")
        return 1
    if unconfirmed:
        print(f"PASS (with unconfirmed slowdowns, see above): {len(final) - len(new) - len(unconfirmed)} "
              f"benchmark(s) within +{a.tolerance * 100:.0f}% of the baseline ({elapsed:.0f} s)")
        return 0
    print(f"PASS: {len(final) - len(new)} benchmark(s) within +{a.tolerance * 100:.0f}% of the baseline "
          f"({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

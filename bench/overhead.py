"""Wall-clock overhead of `radiograph run`, and of the in-process mode,
against plain python3.

Runs each workload plain, under radiograph, and (with --inprocess) inside
`with radiograph.profile(...)` (bench/inprocess_runner.py: the agent
loaded into the running interpreter, no LD_PRELOAD), interleaved (the order
rotates every round so drift on a noisy machine hits all alike), and
reports the median wall time of each and their ratio, plus the spread of
the per-round ratios. Each profiled figure is the whole command as a user
sees it: start-up, profiling, and writing the report. The in-process mode
does not follow child processes, so multi_process has no in-process
column.

    python3 bench/overhead.py [--rounds N] [--quick] [--inprocess] [--json OUT]
"""
import argparse
import json
import resource
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RADIOGRAPH = ROOT / "build" / "radiograph"
WORKLOADS = ROOT / "bench" / "workloads"
# Each workload's scale argument, chosen so it runs ~2-4 s unprofiled here.
WORKLOAD_SCALES = {"cpu_single": 2.5, "cpu_threads": 2.5, "alloc_objects": 2.5,
                   "json_roundtrip": 2.0, "numpy_arrays": 4.0, "multi_process": 1.0,
                   "deep_recursion": 3.0, "malloc_churn": 3.0}


def timed(cmd, cwd):
    """Wall seconds, and CPU seconds (user+system) of the whole command."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def sampler_share(report):
    """The sampler threads' own CPU over the processes' CPU, from the last
    STATS record of every raw file (their CPU clocks: no run-to-run noise)."""
    agent = cpu = 0
    for path in Path(report, "raw").glob("*.rgd"):
        data, off, last = path.read_bytes(), 64, None
        while off + 8 <= len(data):
            kind, _, n = struct.unpack_from("<HHI", data, off)
            if off + 8 + n > len(data):
                break
            if kind == 7 and n >= 56:       # RAW_STATS with agent_cpu_ns
                last = struct.unpack_from("<7Q", data, off + 8)
            off += 8 + n
        if last:
            cpu += last[3]
            agent += last[6]
    return agent / cpu if cpu else float("nan")


INPROCESS_RUNNER = ROOT / "bench" / "inprocess_runner.py"
NO_INPROCESS = {"multi_process"}      # children are not followed in-process


def measure(workload, args, rounds, python="python3", extra=(), inprocess=False):
    """Medians of each variant's wall and CPU time over ROUNDS, in an order
    that rotates every round, and the profiled/plain ratios."""
    variants = ["plain", "radiograph"] + (["inprocess"] if inprocess else [])
    wall = {v: [] for v in variants}
    cpu = {v: [] for v in variants}
    ratios = {v: [] for v in variants[1:]}
    shares = {v: [] for v in variants[1:]}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            out = Path(tmp) / f"rep{r}"
            cmds = {
                "plain": [python, str(workload), *args],
                "radiograph": [str(RADIOGRAPH), "run", "-q", "-o", str(out / "run"), *extra,
                               str(workload), *args],
                "inprocess": [python, str(INPROCESS_RUNNER), str(out / "inprocess"), str(workload), *args],
            }
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            got = {v: timed(cmds[v], tmp) for v in order}
            for v in variants:
                wall[v].append(got[v][0])
                cpu[v].append(got[v][1])
            for v in variants[1:]:
                ratios[v].append(got[v][0] / got["plain"][0])
                shares[v].append(sampler_share(out / ("run" if v == "radiograph" else "inprocess")))
            shutil.rmtree(out, ignore_errors=True)
    med = {v: statistics.median(wall[v]) for v in variants}
    cmed = {v: statistics.median(cpu[v]) for v in variants}
    res = {"plain_s": med["plain"], "cpu_plain_s": cmed["plain"], "rounds": rounds}
    for v in variants[1:]:
        p = "" if v == "radiograph" else f"{v}_"     # radiograph run's keys as before
        res.update({f"{v}_s": med[v], f"cpu_{v}_s": cmed[v], f"{p}ratio": med[v] / med["plain"],
                    f"{p}cpu_ratio": cmed[v] / cmed["plain"], f"{p}ratio_min": min(ratios[v]),
                    f"{p}ratio_max": max(ratios[v]), f"{p}sampler_cpu_share": statistics.median(shares[v])})
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--option", action="append", default=[],
                    help="extra radiograph run option (repeatable), e.g. --option=--no-memory")
    ap.add_argument("--inprocess", action="store_true",
                    help="also time the in-process mode (with radiograph.profile(): the whole script)")
    a = ap.parse_args()
    rounds = 3 if a.quick else a.rounds
    factor = 0.3 if a.quick else 1.0
    results = {}
    for name, base in WORKLOAD_SCALES.items():
        if a.only and name not in a.only.split(","):
            continue
        res = measure(WORKLOADS / f"{name}.py", [str(base * factor)], rounds, extra=a.option,
                      inprocess=a.inprocess and name not in NO_INPROCESS)
        results[name] = res
        line = (f"{name:15s} plain {res['plain_s']:.3f}s  radiograph {res['radiograph_s']:.3f}s  "
                f"ratio {res['ratio']:.3f} (rounds {res['ratio_min']:.3f}..{res['ratio_max']:.3f}); "
                f"CPU {res['cpu_plain_s']:.2f}s -> {res['cpu_radiograph_s']:.2f}s, ratio {res['cpu_ratio']:.3f}; "
                f"sampler thread {100 * res['sampler_cpu_share']:.2f}% of the job's CPU")
        if "inprocess_s" in res:
            line += (f"\n{'':15s} in-process {res['inprocess_s']:.3f}s  ratio {res['inprocess_ratio']:.3f} "
                     f"(rounds {res['inprocess_ratio_min']:.3f}..{res['inprocess_ratio_max']:.3f}); "
                     f"CPU ratio {res['inprocess_cpu_ratio']:.3f}; sampler thread "
                     f"{100 * res['inprocess_sampler_cpu_share']:.2f}% of the job's CPU")
        print(line, flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

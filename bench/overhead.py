"""Wall-clock overhead of `radiograph run` against plain python3.

Runs each workload plain and under radiograph, interleaved (the order
alternates every round so drift on a noisy machine hits both alike), and
reports the median wall time of each and their ratio, plus the spread of
the per-round ratios. The radiograph figure is the whole command as a user
sees it: start-up, profiling, and writing the report.

    python3 bench/overhead.py [--rounds N] [--quick] [--json OUT]
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
                   "deep_recursion": 3.0}


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


def measure(workload, args, rounds, python="python3", extra=()):
    plain, profiled, ratios, cpu_plain, cpu_profiled, shares = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            out = Path(tmp) / f"rep{r}"
            a = lambda: timed([python, str(workload), *args], tmp)
            b = lambda: timed([str(RADIOGRAPH), "run", "-q", "-o", str(out), *extra, str(workload),
                               *args], tmp)
            if r % 2 == 0:
                (p, pc), (q, qc) = a(), b()
            else:
                (q, qc), (p, pc) = b(), a()
            plain.append(p)
            profiled.append(q)
            cpu_plain.append(pc)
            cpu_profiled.append(qc)
            ratios.append(q / p)
            shares.append(sampler_share(out))
            shutil.rmtree(out, ignore_errors=True)
    mp, mq = statistics.median(plain), statistics.median(profiled)
    cp, cq = statistics.median(cpu_plain), statistics.median(cpu_profiled)
    return {"plain_s": mp, "radiograph_s": mq, "ratio": mq / mp,
            "cpu_plain_s": cp, "cpu_radiograph_s": cq, "cpu_ratio": cq / cp,
            "ratio_min": min(ratios), "ratio_max": max(ratios), "rounds": rounds,
            "sampler_cpu_share": statistics.median(shares)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--option", action="append", default=[],
                    help="extra radiograph run option (repeatable), e.g. --option=--no-memory")
    a = ap.parse_args()
    rounds = 3 if a.quick else a.rounds
    factor = 0.3 if a.quick else 1.0
    results = {}
    for name, base in WORKLOAD_SCALES.items():
        if a.only and name not in a.only.split(","):
            continue
        res = measure(WORKLOADS / f"{name}.py", [str(base * factor)], rounds, extra=a.option)
        results[name] = res
        print(f"{name:15s} plain {res['plain_s']:.3f}s  radiograph {res['radiograph_s']:.3f}s  "
              f"ratio {res['ratio']:.3f} (rounds {res['ratio_min']:.3f}..{res['ratio_max']:.3f}); "
              f"CPU {res['cpu_plain_s']:.2f}s -> {res['cpu_radiograph_s']:.2f}s, ratio {res['cpu_ratio']:.3f}; "
              f"sampler thread {100 * res['sampler_cpu_share']:.2f}% of the job's CPU",
              flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

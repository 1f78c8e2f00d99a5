#!/usr/bin/env python3
"""Time `radiograph report DIR` on synthetic raw data (bench/synth_raw.py).

    bench/report_speed.py [--binary build/radiograph] [--work DIR] [--runs 3] [--check]

Writes the synthetic runs once into the work directory (default
build/bench-report), then renders each several times and prints the best
and median wall time, the peak RSS of the report builder and the size of
every output. The budgets: a one-hour 16-thread run renders in under 2 s,
a 50-process run in under 3 s; --check exits 1 when a budget is missed.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES = [("hour16", "1 h, 16 threads, 100 Hz", 2.0),
         ("procs50", "50 processes x 2 threads, 2 min", 3.0)]
OUTPUTS = ["index.html", "performance.folded", "memory.folded", "summary.json", "timeline.json",
           "profile.speedscope.json", "profile.pb.gz"]


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "radiograph"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench-report"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="exit 1 if over budget")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: build first (make build)")
    failed = False
    for preset, what, budget in CASES:
        d = os.path.join(args.work, preset)
        if not os.path.exists(os.path.join(d, "raw", "run.info")):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(HERE, "synth_raw.py"), d,
                            "--preset", preset], check=True)
            print(f"{preset}: generated in {time.perf_counter() - t0:.1f} s")
        raw = sum(os.path.getsize(os.path.join(d, "raw", f))
                  for f in os.listdir(os.path.join(d, "raw")))
        times, rss = [], 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            p = subprocess.Popen([args.binary, "report", d], stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            times.append(time.perf_counter() - t0)
            p.returncode = os.waitstatus_to_exitcode(status)
            rss = max(rss, usage.ru_maxrss)
            if p.returncode not in (0, 1):
                sys.exit(f"{preset}: radiograph report failed ({p.returncode})")
        ok = min(times) < budget
        failed |= not ok
        sizes = ", ".join(f"{f} {human(os.path.getsize(os.path.join(d, f)))}"
                          for f in OUTPUTS if os.path.exists(os.path.join(d, f)))
        print(f"{preset} ({what}; raw {human(raw)}): best {min(times):.2f} s, "
              f"median {statistics.median(times):.2f} s over {args.runs} runs "
              f"[budget {budget:.0f} s: {'ok' if ok else 'OVER'}]; "
              f"peak RSS {rss / 1024:.0f} MB\n    {sizes}")
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Memory accuracy against known allocations.

A job holds, at its peak, known sets of blocks in five functions — 150 MB
of 1 KB bytes objects (sampled: far below R), 200 MB of 64 KB blocks
(sampled), one 300 MB array (always recorded), and 100 MB each of 1 KB
objects from left() and right(), allocated alternately (the hard case for
sampling: neither stack's blocks are a contiguous stream) — and frees a
transient 400 MB block before the peak. radiograph's memory.folded is compared with
the truth per function, and its peak total with the job's own accounting,
over several runs.

    python3 bench/accuracy.py [--runs N] [--json OUT]
"""
import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RADIOGRAPH = ROOT / "build" / "radiograph"
MB = 1_000_000

JOB = r'''
import sys
def transient():
    x = bytearray(400 * 1000 * 1000)
    del x
def small_blocks():
    return [bytes(1000) for _ in range(150_000)]
def medium_blocks():
    return [bytes(64 * 1000) for _ in range(3125)]
def one_array():
    return bytearray(300 * 1000 * 1000)
def left():
    return bytes(1000)
def right():
    return bytes(1000)
def interleaved():
    a, b = [], []
    for _ in range(100_000):
        a.append(left()); b.append(right())
    return a, b
transient()
a = small_blocks(); b = medium_blocks(); c = one_array(); d = interleaved()
del a, b, c, d
'''
TRUTH = {"small_blocks": 150 * MB, "medium_blocks": 200 * MB, "one_array": 300 * MB,
         "left": 100 * MB, "right": 100 * MB}


def parse_folded(path):
    out = {}
    for line in Path(path).read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        out[tuple(stack.split(";"))] = int(n)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--sample-bytes", type=int, help="--memory-sample-bytes for the measured runs")
    a = ap.parse_args()
    extra = ["--memory-sample-bytes", str(a.sample_bytes)] if a.sample_bytes else []
    errors = {k: [] for k in TRUTH}
    peaks = []
    def per_function(out):
        m = parse_folded(out / "memory.folded")
        return {fn: sum(v for s, v in m.items() if any(f.startswith(fn + " ") for f in s)) for fn in TRUTH}

    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.py"
        job.write_text(JOB)
        exact = Path(tmp) / "exact"
        subprocess.run([str(RADIOGRAPH), "run", "-q", "-o", str(exact), "--memory-sample-bytes", "1",
                        str(job)], check=True, stderr=subprocess.DEVNULL)
        TRUTH.update(per_function(exact))
        for r in range(a.runs):
            out = Path(tmp) / f"rep{r}"
            subprocess.run([str(RADIOGRAPH), "run", "-q", "-o", str(out), *extra, str(job)], check=True,
                           stderr=subprocess.DEVNULL)
            got = per_function(out)
            for fn, truth in TRUTH.items():
                errors[fn].append(got[fn] / truth - 1)
            summary = json.loads((out / "summary.json").read_text())
            peaks.append(summary["peak_memory_bytes"])
    result = {}
    for fn, errs in errors.items():
        sd = statistics.stdev(errs) if len(errs) > 1 else 0.0
        result[fn] = {"truth_mb": TRUTH[fn] / MB, "mean_error_pct": 100 * statistics.mean(errs),
                      "max_abs_error_pct": 100 * max(abs(e) for e in errs), "sd_pct": 100 * sd,
                      "errors_pct": [100 * e for e in errs]}
        print(f"{fn:14s} truth {TRUTH[fn] / MB:.1f} MB: mean error {100 * statistics.mean(errs):+.2f}%, "
              f"sd {100 * sd:.2f}%, worst {100 * max(abs(e) for e in errs):.2f}% over {a.runs} runs")
    base = 850 * MB
    print(f"peak_memory_bytes: median {statistics.median(peaks) / MB:.1f} MB "
          f"(held blocks {base / MB:.0f} MB + the interpreter's own)")
    result["peak_mb"] = [p / MB for p in peaks]
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

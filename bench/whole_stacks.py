"""How whole the sampled stacks are, per CPython version: for jobs whose
stacks tear most (coroutines, generator pipelines), the share of Python
samples cut from their callers (a root frame that is one of the job's own
generators or coroutines instead of <module>) and the share of thread
samples dropped (summary.json's dropped_samples / samples), several runs
each.

    python3 bench/whole_stacks.py [--runs 3] [--python P ...]   (default: every supported CPython)
"""
import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pythons  # noqa: E402

RADIOGRAPH = ROOT / "build" / "radiograph"
W = ROOT / "bench" / "workloads"
# job -> (argv after the interpreter, the job's own generator/coroutine functions)
JOBS = {
    "async_tcp": ([str(W / "async_tcp.py"), "2500"], {"handle", "level1", "level2", "level3", "client", "main"}),
    "generator_storm": ([str(W / "generator_storm.py"), "6000000"],
                        {"numbers", "squares", "evens", "chunks", "evens.<locals>.<genexpr>"}),
}


def measure(python, argv, own, tmp):
    out = Path(tmp) / "r"
    subprocess.run([str(RADIOGRAPH), "run", "-q", "-o", str(out), "--rate", "200", "--", python, *argv],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    roots, total = Counter(), 0
    for line in (out / "performance.folded").read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith("[")]
        if frames:
            roots[frames[0].rpartition(" (")[0]] += int(n)
            total += int(n)
    s = json.loads((out / "summary.json").read_text())
    subprocess.run(["rm", "-rf", str(out)], check=True)
    cut = sum(c for r, c in roots.items() if r in own)
    return 100.0 * cut / max(total, 1), 100.0 * s["dropped_samples"] / max(s["samples"], 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", action="append", default=[])
    ap.add_argument("--radiograph", help="another build's radiograph binary, to compare")
    a = ap.parse_args()
    if a.radiograph:
        global RADIOGRAPH
        RADIOGRAPH = Path(a.radiograph)
    found = a.python or [i["path"] for i in pythons.find((3, 11), (3, 13))]
    print("| job | Python | cut from callers (mean, worst) | dropped (mean, worst) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for job, (argv, own) in JOBS.items():
            for python in found:
                version = pythons.describe(python)["version"]
                got = [measure(python, argv, own, tmp) for _ in range(a.runs)]
                cut, drop = [g[0] for g in got], [g[1] for g in got]
                print(f"| {job} | {'.'.join(map(str, version))} | {sum(cut) / len(cut):.2f}%, {max(cut):.2f}% | "
                      f"{sum(drop) / len(drop):.2f}%, {max(drop):.2f}% |", flush=True)


if __name__ == "__main__":
    main()

"""Two builds of radiograph on one workload, interleaved: plain python,
BASE's radiograph, this tree's, and this tree's with --no-memory; the
median wall time and CPU time (user+system of the whole command) of each,
and their ratios to plain. For before/after figures of one change.

    python3 bench/ab.py --base OTHER_BUILD_DIR WORKLOAD SCALE [ROUNDS]

OTHER_BUILD_DIR holds a `radiograph` (e.g. `git worktree add /tmp/base
COMMIT && meson setup /tmp/base-build /tmp/base && ninja -C
/tmp/base-build`); WORKLOAD is a name in bench/workloads/.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("workload")
    ap.add_argument("scale")
    ap.add_argument("rounds", type=int, nargs="?", default=9)
    a = ap.parse_args()
    job = ROOT / "bench" / "workloads" / f"{a.workload}.py"
    arms = {
        "plain": lambda out: [a.python, str(job), a.scale],
        "base": lambda out: [str(Path(a.base) / "radiograph"), "run", "-q", "-o", out, "--", a.python,
                             str(job), a.scale],
        "this": lambda out: [str(ROOT / "build" / "radiograph"), "run", "-q", "-o", out, "--", a.python,
                             str(job), a.scale],
        "this --no-memory": lambda out: [str(ROOT / "build" / "radiograph"), "run", "-q", "-o", out,
                                         "--no-memory", "--", a.python, str(job), a.scale],
    }
    got = {k: ([], []) for k in arms}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            names = list(arms) if r % 2 == 0 else list(reversed(arms))
            for k in names:
                out = os.path.join(tmp, "report")
                w, c = timed(arms[k](out))
                got[k][0].append(w)
                got[k][1].append(c)
                shutil.rmtree(out, ignore_errors=True)
    pw, pc = (statistics.median(v) for v in got["plain"])
    for k, (w, c) in got.items():
        mw, mc = statistics.median(w), statistics.median(c)
        print(f"{a.workload}: {k:16s} wall {mw:.2f}s ({mw / pw:.3f})  CPU {mc:.2f}s ({mc / pc:.3f})")


if __name__ == "__main__":
    main()

"""`make bench`: every measurement the issues name, one after the other,
results printed and kept as JSON in build/bench/ (docs/benchmarks.md is
written from them by hand, with the machine and the commands).

    python3 bench/run.py [--quick] [--no-peers] [--realworld VENV_PY]
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"


def step(title, cmd):
    print(f"\n== {title}\n$ {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peers", action="store_true", help="skip the side-by-side run against other profilers")
    ap.add_argument("--realworld", metavar="VENV_PY",
                    help="also the peak on real NumPy/pandas/scikit-learn/PyTorch jobs against the real "
                         "resident peak, Memray and Fil (a python with those packages: bench/realworld.py)")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    quick = ["--quick"] if a.quick else []
    step("Wall-clock overhead against plain python3: radiograph run, and in-process",
         [py, "bench/overhead.py", *quick, "--inprocess", "--json", str(OUT / "overhead.json")])
    step("Memory accuracy against known allocations",
         [py, "bench/accuracy.py", "--runs", "2" if a.quick else "5", "--json", str(OUT / "accuracy.json")])
    step("Report generation for synthetic raw data",
         [py, "bench/report_speed.py", "--runs", "1" if a.quick else "5", "--check"])
    step("Page load to first paint, 100k-node flamegraph",
         [py, "bench/page_load.py", "--runs", "2" if a.quick else "5", "--json", str(OUT / "page.json")])
    step("Whole stacks per CPython version (cut from callers, dropped)",
         [py, "bench/whole_stacks.py", "--runs", "1" if a.quick else "3"])
    if shutil.which("perf"):
        step("The agent's share of the CPU per CPython version (perf)",
             [py, "bench/agent_share.py", "--versions"])
    else:
        print("\n== The agent's share of the CPU per version: skipped, perf is not installed "
              "(apt-get install linux-perf)", flush=True)
    if a.realworld:
        step("Peak memory on real jobs against the tree's real resident peak, Memray and Fil",
             [py, "bench/realworld.py", "--python", a.realworld, "--runs", "1" if a.quick else "2",
              "--json", str(OUT / "realworld.json")])
    if a.no_peers:
        return
    # Installs py-spy, Austin, Memray, Fil, Scalene, pyinstrument (and the
    # pyperformance workloads) into build/bench/peers-venv on first use.
    # 3 rounds of every tool take ~50 minutes here (Scalene alone takes
    # minutes on the async trees); --quick takes ~6.
    step("Side by side with peers (overhead and accuracy)",
         [py, "bench/peers.py", *(quick or ["--rounds", "3"]), "--json", str(OUT / "peers.json")])


if __name__ == "__main__":
    main()

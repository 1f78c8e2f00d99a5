"""The agent's share of a run's CPU, from perf: every workload once under
`perf record` (cpu-clock, call graphs), then the children share of the
sampler thread (sampler_main) and of the allocation hooks (memtrack_*),
kernel time they cause included. Unlike a wall-clock ratio, this barely
moves with the load on a shared machine.

    python3 bench/agent_share.py [--only W,...]     (needs `perf`)
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RADIOGRAPH = ROOT / "build" / "radiograph"
WORKLOADS = ROOT / "bench" / "workloads"
NAMES = ["cpu_single", "cpu_threads", "alloc_objects", "json_roundtrip", "numpy_arrays", "multi_process"]
HOOKS = {"memtrack_alloc", "memtrack_free", "memtrack_realloc", "memtrack_map", "memtrack_map.part.0",
         "memtrack_unmap", "memtrack_creator_stack"}


def share(name, tmp):
    data = Path(tmp) / f"{name}.perf"
    out = Path(tmp) / f"{name}-report"
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "-g", "-o", str(data), "--",
                    str(RADIOGRAPH), "run", "-q", "-o", str(out), "--", sys.executable,
                    str(WORKLOADS / f"{name}.py")], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    rep = subprocess.run(["perf", "report", "-i", str(data), "--children", "--sort", "sym", "-g", "none"],
                         capture_output=True, text=True, check=True).stdout
    sampler = hooks = 0.0
    for line in rep.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+\[.\]\s+(\S+)", line)
        if m and m.group(2) == "sampler_main":
            sampler = float(m.group(1))
        elif m and m.group(2) in HOOKS:
            hooks += float(m.group(1))
    return sampler, hooks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    a = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("agent_share.py: perf is not installed (apt-get install linux-perf)")
    with tempfile.TemporaryDirectory() as tmp:
        print("| workload | agent share of CPU | sampler thread | allocation hooks |\n|---|---|---|---|")
        for name in NAMES:
            if a.only and name not in a.only.split(","):
                continue
            s, h = share(name, tmp)
            print(f"| {name} | {s + h:.2f}% | {s:.2f}% | {h:.2f}% |", flush=True)


if __name__ == "__main__":
    main()

"""Peak memory on real jobs (NumPy, pandas, scikit-learn, PyTorch, a Pool):
radiograph's headline figure against the job's real resident peak across its
process tree, and against Memray's and Fil's figures on the same jobs.

The truth: each job runs unprofiled while this script reads, every 5 ms,
/proc/PID/smaps_rollup of every process of its tree and adds up Pss_Anon +
Pss_Shmem — the anonymous memory the tree had resident at that moment,
shared pages (a forked child's copy-on-write inheritance) split between the
processes that share them, the interpreter's and libraries' file-backed
pages left out (no profiler counts them). Its highest value is the peak. The
sum of the processes' VmHWM (each one's own peak RSS, file-backed pages
included, at whatever moments) and getrusage(RUSAGE_CHILDREN).ru_maxrss (the
largest single process) are printed beside it as the usual rough figures.

    python3 bench/realworld.py [--python VENV_PY] [--runs N] [--only JOB,...]
                               [--tools radiograph,memray,fil] [--json OUT]

VENV_PY needs numpy, pandas, scikit-learn, torch, memray and filprofiler
(default: /tmp/peers-mem/bin/python, made with
`python3 -m venv /tmp/peers-mem && /tmp/peers-mem/bin/pip install numpy pandas
scikit-learn torch memray filprofiler`).
"""
import argparse
import glob
import json
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
RADIOGRAPH = ROOT / "build" / "radiograph"
JOBS = ROOT / "bench" / "realworld_jobs"
NAMES = ["numpy_job", "pandas_job", "sklearn_job", "sklearn_loky_job", "torch_job", "pool_job"]
MB = 1_000_000


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children(p)
    return seen


def rollup(pid):
    """(Pss_Anon + Pss_Shmem, VmHWM) in bytes, or None if it is gone."""
    try:
        anon = 0
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Pss_Anon:", "Pss_Shmem:")):
                    anon += int(line.split()[1]) * 1024
        with open(f"/proc/{pid}/status") as f:
            hwm = next((int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:")), 0)
        return anon, hwm
    except (OSError, StopIteration, ValueError):
        return None


def truth(py, job, cwd):
    p = subprocess.Popen([py, str(job)], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, hwm = 0, {}
    while p.poll() is None:
        total = 0
        for q in tree(p.pid):
            r = rollup(q)
            if r:
                total += r[0]
                hwm[q] = max(hwm.get(q, 0), r[1])
        peak = max(peak, total)
        time.sleep(0.005)
    return {"pss_anon_peak": peak, "sum_vmhwm": sum(hwm.values())}


def maxrss_children(py, job, cwd):
    """getrusage(RUSAGE_CHILDREN).ru_maxrss of a fresh process running the job."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
            " stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
    r = subprocess.run([sys.executable, "-c", code, py, str(job)], cwd=cwd, capture_output=True, text=True)
    return int(r.stdout.strip() or 0)


def run_radiograph(py, job, out):
    subprocess.run([str(RADIOGRAPH), "run", "-q", "-o", str(out), "--", py, str(job)], cwd=out.parent,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    s = json.loads((out / "summary.json").read_text())
    return {"peak": s["peak_memory_bytes"], "reserved": s.get("reserved_bytes")}


MEMRAY_PEAKS = r'''
import glob, json, sys
from memray import FileReader
paths = [sys.argv[1]] + sorted(glob.glob(sys.argv[1] + ".*"))
print(json.dumps([FileReader(p).metadata.peak_memory for p in paths]))
'''


def run_memray(py, job, out):
    out.mkdir()
    subprocess.run([py, "-m", "memray", "run", "-q", "--follow-fork", "-o", str(out / "m.bin"), str(job)],
                   cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    r = subprocess.run([py, "-c", MEMRAY_PEAKS, str(out / "m.bin")], capture_output=True, text=True, check=True)
    peaks = json.loads(r.stdout)
    # one file per process, each with its own peak (not at one moment)
    return {"peak": peaks[0], "processes": len(peaks), "sum_of_peaks": sum(peaks)}


def run_fil(py, job, out):
    fil = str(Path(py).with_name("fil-profile"))
    subprocess.run([fil, "-o", str(out), "--no-browser", "run", str(job)], cwd=out.parent,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    prof = sorted(glob.glob(str(out / "**" / "peak-memory.prof"), recursive=True))
    total = 0
    for line in Path(prof[0]).read_text().splitlines():
        total += int(line.rsplit(" ", 1)[1])
    return {"peak": total}


TOOLS = {"radiograph": run_radiograph, "memray": run_memray, "fil": run_fil}


def pct(x, t):
    return f"{100.0 * (x - t) / t:+.1f}%" if t else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default="/tmp/peers-mem/bin/python")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--tools", default="radiograph,memray,fil")
    ap.add_argument("--json")
    a = ap.parse_args()
    names = a.only.split(",") if a.only else NAMES
    tools = a.tools.split(",")
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            job = JOBS / f"{name}.py"
            r = res[name] = {"truth": [], "maxrss": None}
            for i in range(a.runs):
                r["truth"].append(truth(a.python, job, tmp))
            r["maxrss"] = maxrss_children(a.python, job, tmp)
            for t in tools:
                r[t] = []
                for i in range(a.runs):
                    out = Path(tmp) / f"{name}-{t}-{i}"
                    try:
                        r[t].append(TOOLS[t](a.python, job, out))
                    except (subprocess.CalledProcessError, OSError, IndexError, ValueError) as e:
                        r[t].append({"error": f"{type(e).__name__}: {e}"})
                    shutil.rmtree(out, ignore_errors=True)
            print(f"{name}: {json.dumps(r)}", file=sys.stderr, flush=True)
    print("| job | real peak (Σ Pss anon) | Σ VmHWM | max ru_maxrss | radiograph | Memray | Fil | radiograph reserved |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in res.items():
        t = statistics.median(x["pss_anon_peak"] for x in r["truth"])
        hwm = statistics.median(x["sum_vmhwm"] for x in r["truth"])
        cells = [name, f"{t / MB:.0f} MB", f"{hwm / MB:.0f} MB", f"{r['maxrss'] / MB:.0f} MB"]
        for tool in ("radiograph", "memray", "fil"):
            got = [x["peak"] for x in r.get(tool, []) if "peak" in x]
            if not got:
                err = next((x["error"] for x in r.get(tool, []) if "error" in x), "not run")
                cells.append(f"n/a ({err[:40]})")
                continue
            v = statistics.median(got)
            extra = ""
            if tool == "memray" and any(x.get("processes", 1) > 1 for x in r[tool]):
                s = statistics.median(x["sum_of_peaks"] for x in r[tool] if "peak" in x)
                extra = f" (main process; {s / MB:.0f} MB summed over its {r[tool][0]['processes']} files)"
            cells.append(f"{v / MB:.0f} MB ({pct(v, t)}){extra}")
        rv = [x.get("reserved") for x in r.get("radiograph", []) if x.get("reserved") is not None]
        cells.append(f"{statistics.median(rv) / MB:.0f} MB" if rv else "n/a")
        print("| " + " | ".join(cells) + " |")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()

"""radiograph side by side with its peers: py-spy, Austin, Memray, Fil,
Scalene, pyinstrument and cProfile, on the same jobs, on this machine, in
one run.

The peers are installed from PyPI into their own virtualenv
(build/bench/peers-venv, made on first use; never the project's
requirements). That venv's python runs every job, under every tool and
unprofiled, so all see the same interpreter and the same numpy, pandas,
pyperformance, docutils and sympy.

Two parts:

- Overhead: each workload runs unprofiled and under every tool, in a
  shuffled order each round (so drift on a noisy machine hits all alike).
  Per (tool, workload): the median and min-max over rounds of the wall-clock
  ratio to the same round's unprofiled run (the whole command as a user
  sees it: start-up, profiling, writing the output), the same for CPU time
  (user+system of the whole process tree), the ratio of peak RSS (ru_maxrss
  from wait4: the largest single process of the tree, the tool's own
  process included), and the bytes the tool left on disk.
- Accuracy: jobs with a known answer (bench/peers_accuracy/): CPU shares of
  three functions, what is live at a memory peak, and a peak spread over a
  parent and a child process. Each tool's own output is parsed and set
  against the truth; tools that do not measure a quantity get n/a.

    python3 bench/peers.py [--quick] [--rounds N] [--only TOOL,...]
                           [--workloads NAME,...] [--skip-overhead]
                           [--skip-accuracy] [--json OUT]
    python3 bench/peers.py --tables build/bench/peers.json   # tables again

Results go to build/bench/peers.json (--json to change) and Markdown
tables to stdout. Standard library only: the peers live in the venv.
"""
import argparse
import json
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILT = ROOT / "build" / "radiograph"
RADIOGRAPH = BUILT  # replaced by a private copy for the run (see snapshot_radiograph)
VENV = ROOT / "build" / "bench" / "peers-venv"
VBIN = VENV / "bin"
VPY = VBIN / "python"
OUT = ROOT / "build" / "bench" / "peers.json"
ACC = ROOT / "bench" / "peers_accuracy"
PW = ROOT / "bench" / "peers_workloads"
OURS = ROOT / "bench" / "workloads"
MB = 1_000_000

# What the venv gets. austin-dist is pinned: the 4.0.0 wheel is tagged
# manylinux but its binary needs glibc 2.38 (Debian 12 has 2.36), so
# `austin` would not start; 3.7.0 runs.
PEER_PACKAGES = ["py-spy", "austin-dist==3.7.0", "memray", "filprofiler", "scalene", "pyinstrument",
                 "pyperformance", "pyperf", "docutils", "sympy", "numpy", "pandas"]

# name -> (script, full-run args, quick-run args); each ~1.5-2.5 s unprofiled here.
PYPERF = PW / "pyperformance_job.py"
WORKLOADS = {
    # The ten programs of the Scalene paper's overhead table (pyperformance).
    "async_tree_none": (PYPERF, ["async_tree_none", "10"], ["async_tree_none", "4"]),
    "async_tree_io": (PYPERF, ["async_tree_io", "8"], ["async_tree_io", "3"]),
    "async_tree_cpu_io_mixed": (PYPERF, ["async_tree_cpu_io_mixed", "8"], ["async_tree_cpu_io_mixed", "3"]),
    "async_tree_memoization": (PYPERF, ["async_tree_memoization", "10"], ["async_tree_memoization", "4"]),
    "docutils": (PYPERF, ["docutils", "15"], ["docutils", "6"]),
    "fannkuch": (PYPERF, ["fannkuch", "2"], ["fannkuch", "1"]),
    "mdp": (PYPERF, ["mdp", "1"], ["mdp", "1"]),
    "pprint": (PYPERF, ["pprint", "1"], ["pprint", "1"]),
    "raytrace": (PYPERF, ["raytrace", "3"], ["raytrace", "1"]),
    "sympy": (PYPERF, ["sympy", "1"], ["sympy", "1"]),
    # radiograph's own overhead workloads, and pandas.
    "cpu_single": (OURS / "cpu_single.py", ["1.5"], ["0.5"]),
    "cpu_threads": (OURS / "cpu_threads.py", ["2.0"], ["0.7"]),
    "alloc_objects": (OURS / "alloc_objects.py", ["1.5"], ["0.5"]),
    "json_roundtrip": (OURS / "json_roundtrip.py", ["1.0"], ["0.5"]),
    "numpy_arrays": (OURS / "numpy_arrays.py", ["4.0"], ["1.5"]),
    "multi_process": (OURS / "multi_process.py", ["1.0"], ["0.4"]),
    "pandas_frames": (PW / "pandas_frames.py", ["0.5"], ["0.25"]),
}
QUICK_WORKLOADS = ["fannkuch", "async_tree_io", "docutils", "alloc_objects", "numpy_arrays", "multi_process"]


# ---------------------------------------------------------------- tools

def _script_args(job):
    return [str(j) for j in job]


TOOLS = {
    # name -> (command builder: (out_dir, job) -> argv, how it is run, in words)
    "radiograph": (lambda o, j: [str(RADIOGRAPH), "run", "-q", "-o", str(o / "radiograph"), "--", str(VPY),
                                 *_script_args(j)],
                   "radiograph run -q -o DIR -- python JOB (100 Hz, both profiles)"),
    "py-spy": (lambda o, j: [str(VBIN / "py-spy"), "record", "-r", "100", "-o", str(o / "py-spy.svg"), "--",
                             str(VPY), *_script_args(j)],
               "py-spy record -r 100 -o out.svg -- python JOB"),
    # -t 1s: Austin gives up if it cannot find the interpreter's state within
    # its start-up wait (100 ms by default), which a loaded 2-core machine
    # sometimes exceeds ("not a Python process"); it costs nothing else.
    "austin": (lambda o, j: [str(VBIN / "austin"), "-i", "10ms", "-t", "1s", "-o", str(o / "austin.txt"),
                             str(VPY), *_script_args(j)],
               "austin -i 10ms -t 1s -o out.txt python JOB"),
    "memray": (lambda o, j: [str(VPY), "-m", "memray", "run", "-q", "-o", str(o / "memray.bin"),
                             *_script_args(j)],
               "python -m memray run -q -o out.bin JOB"),
    "memray-native": (lambda o, j: [str(VPY), "-m", "memray", "run", "-q", "--native", "-o",
                                    str(o / "memray.bin"), *_script_args(j)],
                      "python -m memray run -q --native -o out.bin JOB"),
    "fil": (lambda o, j: [str(VBIN / "fil-profile"), "-o", str(o / "fil"), "--no-browser", "run",
                          *_script_args(j)],
            "fil-profile -o DIR --no-browser run JOB"),
    "scalene": (lambda o, j: [str(VBIN / "scalene"), "run", "-o", str(o / "scalene.json"), str(j[0]),
                              *(["---", *map(str, j[1:])] if len(j) > 1 else [])],
                "scalene run -o out.json JOB --- ARGS (CPU + memory, its default)"),
    "pyinstrument": (lambda o, j: [str(VBIN / "pyinstrument"), "-o", str(o / "pyinstrument.txt"),
                                   *_script_args(j)],
                     "pyinstrument -o out.txt JOB"),
    "cProfile": (lambda o, j: [str(VPY), "-m", "cProfile", "-o", str(o / "cprofile.out"), *_script_args(j)],
                 "python -m cProfile -o out.prof JOB"),
}
TOOL_ORDER = list(TOOLS)
# Not in the default set: radiograph's performance profile alone, to tell
# the cost of the memory profile apart (--only radiograph,radiograph-no-memory).
TOOLS["radiograph-no-memory"] = (
    lambda o, j: [str(RADIOGRAPH), "run", "-q", "--no-memory", "-o", str(o / "radiograph"), "--", str(VPY),
                  *_script_args(j)],
    "radiograph run -q --no-memory -o DIR -- python JOB")
# Not in the default set either: the unprofiled job run a second time, in the
# same shuffled order as the tools. Its ratio to the baseline is what this
# machine's noise alone makes of a tool that costs nothing
# (--only radiograph,py-spy,unprofiled).
TOOLS["unprofiled"] = (lambda o, j: [str(VPY), *_script_args(j)], "python JOB, a second time: the noise floor")


def sampler_share(out):
    """radiograph's sampler threads' own CPU over the job's, from its raw
    data (bench/overhead.py reads it; thread CPU clocks, no run-to-run noise)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("overhead", ROOT / "bench" / "overhead.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.sampler_share(out / "radiograph")


# ---------------------------------------------------------------- venv

def snapshot_radiograph(tmp):
    """Copy build/radiograph and its agent (which it finds next to itself)
    so a rebuild in the working tree during a long run cannot change the
    binary being measured halfway."""
    global RADIOGRAPH
    d = Path(tmp) / "radiograph-bin"
    d.mkdir()
    for f in ("radiograph", "libradiograph_agent.so"):
        shutil.copy2(BUILT.parent / f, d / f)
    RADIOGRAPH = d / "radiograph"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "agent", "cli", "report",
                            "common", "web"], capture_output=True, text=True).stdout.strip()
    return f"{head}{' (C sources modified in the work tree)' if dirty else ''}"


def ensure_venv():
    """Make the peers' venv and install the peers if they are not there."""
    stamp = VENV / "peers-packages.txt"
    want = "\n".join(PEER_PACKAGES) + "\n"
    if not VPY.exists():
        print(f"peers: creating {VENV}", flush=True)
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != want:
        print(f"peers: pip install {' '.join(PEER_PACKAGES)}", flush=True)
        subprocess.run([str(VPY), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
        stamp.write_text(want)
    ver = subprocess.run([str(VPY), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True).stdout.strip()
    if ver != "3.11":
        print(f"peers: warning: the venv's python is {ver}; radiograph's agent is built for 3.11",
              file=sys.stderr)


def environment():
    def out(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            return (r.stdout + r.stderr).strip()
        except Exception as e:  # a tool that will not even print its version
            return f"error: {e}"
    model = ""
    for line in out(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return {
        "cpu_model": model, "cpus": os.cpu_count(), "kernel": platform.release(),
        "python": out([str(VPY), "--version"]),
        "radiograph": out([str(RADIOGRAPH), "--version"]),
        "py-spy": out([str(VBIN / "py-spy"), "--version"]),
        "austin": out([str(VBIN / "austin"), "--version"]),
        "memray": out([str(VPY), "-m", "memray", "--version"]),
        "fil-profile": out([str(VBIN / "fil-profile"), "--version"]),
        "scalene": out([str(VBIN / "scalene"), "--version"]).splitlines()[0:1],
        "pyinstrument": out([str(VBIN / "pyinstrument"), "--version"]),
        "pip_freeze": out([str(VPY), "-m", "pip", "freeze"]).splitlines(),
        "load_before": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# ---------------------------------------------------------------- running

def dir_bytes(path):
    """Apparent size of every file under path, and the disk space they take
    (they differ for sparse files)."""
    size = disk = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except OSError:
                continue
            size += st.st_size
            disk += st.st_blocks * 512
    return size, disk


def run_once(argv, cwd, log, timeout):
    """Run argv in cwd; return wall s, CPU s and ru_maxrss of the tree, exit status."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with open(log, "wb") as lf:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf, env=env,
                             start_new_session=True)
        deadline = t0 + timeout
        try:
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    os.killpg(p.pid, signal.SIGKILL)
                    pid, status, ru = os.wait4(p.pid, 0)
                    p.returncode = -9
                    return {"error": f"timed out after {timeout:.0f} s"}
                time.sleep(0.005)
        except BaseException:  # interrupted: take the tool and the job down with us
            os.killpg(p.pid, signal.SIGKILL)
            os.wait4(p.pid, 0)
            p.returncode = -9
            raise
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    # Anything the tool left running in its session (it should be nothing).
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    res = {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
           "exit": p.returncode, "load1": os.getloadavg()[0]}
    if p.returncode != 0:
        tail = Path(log).read_bytes()[-600:].decode("utf-8", "replace").strip().splitlines()
        res["error"] = f"exit {p.returncode}: " + " | ".join(tail[-4:])
    return res


SLOW = 5  # a tool over this many times the unprofiled wall time is measured in one round only


def overhead(workloads, tools, rounds, quick, tmp):
    rng = random.Random(6)
    data = {w: {"baseline": [], **{t: [] for t in tools}} for w in workloads}
    broken = {}  # (tool, workload) -> why, after it failed twice in a row
    once = {}  # (tool, workload) measured in one round only: over SLOW x the unprofiled time
    for r in range(rounds):
        for w in workloads:
            script, full, short = WORKLOADS[w]
            job = [script, *(short if quick else full)]
            order = ["baseline", *tools]
            rng.shuffle(order)
            base_wall = [x["wall_s"] for x in data[w]["baseline"] if "wall_s" in x]
            timeout = max(120.0, 40 * statistics.median(base_wall)) if base_wall else 300.0
            for t in order:
                if (t, w) in broken or (t, w) in once:
                    continue
                cwd = Path(tmp) / f"run-{t}"
                shutil.rmtree(cwd, ignore_errors=True)
                cwd.mkdir()
                argv = [str(VPY), *map(str, job)] if t == "baseline" else TOOLS[t][0](cwd, job)
                res = run_once(argv, cwd, Path(tmp) / f"{t}.log", timeout)
                res["output_bytes"], res["output_disk_bytes"] = dir_bytes(cwd)
                if t.startswith("radiograph") and "error" not in res:
                    try:
                        res["sampler_cpu_share"] = sampler_share(cwd)
                    except Exception:  # an older bench/overhead.py, or raw data it cannot read
                        pass
                shutil.rmtree(cwd, ignore_errors=True)
                data[w][t].append(res)
                if "error" in res:
                    prev = data[w][t][-2] if len(data[w][t]) > 1 else None
                    if prev is not None and "error" in prev:
                        broken[(t, w)] = res["error"]  # twice in a row: give up on this pair
                    print(f"  round {r + 1} {w:24s} {t:14s} FAILED: {res['error'][:300]}", flush=True)
                else:
                    print(f"  round {r + 1} {w:24s} {t:14s} {res['wall_s']:7.2f} s  cpu {res['cpu_s']:7.2f} s  "
                          f"rss {res['maxrss_kb'] / 1024:7.1f} MiB  out {res['output_bytes'] / 1e6:8.2f} MB",
                          flush=True)
            b = data[w]["baseline"][-1] if data[w]["baseline"] else {}
            for t in tools:  # so slow that more rounds would not change the picture
                x = data[w][t][-1] if len(data[w][t]) == r + 1 else {}
                if r + 1 < rounds and "wall_s" in x and "wall_s" in b and x["wall_s"] > SLOW * b["wall_s"]:
                    once[(t, w)] = True
    summary = summarize_overhead(data, tools, broken)
    for t, w in once:
        summary[w][t]["once"] = True
    return summary, data


def _spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarize_overhead(data, tools, broken):
    out = {}
    for w, runs in data.items():
        runs = dict(runs)
        n = len(runs["baseline"])
        for t in tools:  # pad the rounds skipped after a tool gave up, so zip() keeps rounds aligned
            runs[t] = runs[t] + [{"error": "skipped"}] * (n - len(runs[t]))
        base = runs["baseline"]
        res = {"baseline": {"wall_s": _spread([b["wall_s"] for b in base if "wall_s" in b]),
                            "cpu_s": _spread([b["cpu_s"] for b in base if "cpu_s" in b]),
                            "maxrss_kb": _spread([b["maxrss_kb"] for b in base if "maxrss_kb" in b])}
               if all("error" not in b for b in base) and base else {"error": "baseline failed"}}
        for t in tools:
            # Baseline of the same round; a run not repeated (too slow) is paired with its own round's.
            pairs = [(x, b) for x, b in zip(runs[t], base) if "error" not in x and "error" not in b]
            failed = [x["error"] for x in runs[t] if "error" in x and x["error"] != "skipped"]
            if (t, w) in broken or not pairs:
                res[t] = {"error": broken.get((t, w)) or (failed[0] if failed else "no run")}
                continue
            res[t] = {"wall_ratio": _spread([x["wall_s"] / b["wall_s"] for x, b in pairs]),
                      # Noise on a shared VM only ever adds time: the fastest run of each is the
                      # least disturbed estimate (as timeit takes the minimum).
                      "wall_ratio_of_fastest": min(x["wall_s"] for x, _ in pairs)
                      / min(b["wall_s"] for b in base if "wall_s" in b),
                      "cpu_ratio": _spread([x["cpu_s"] / b["cpu_s"] for x, b in pairs]),
                      "rss_ratio": _spread([x["maxrss_kb"] / b["maxrss_kb"] for x, b in pairs]),
                      "wall_s": statistics.median(x["wall_s"] for x, _ in pairs),
                      "output_bytes": statistics.median(x["output_bytes"] for x, _ in pairs),
                      "output_disk_bytes": statistics.median(x.get("output_disk_bytes", x["output_bytes"])
                                                             for x, _ in pairs)}
            shares = [x["sampler_cpu_share"] for x, _ in pairs if x.get("sampler_cpu_share") is not None]
            if shares:
                res[t]["sampler_cpu_share"] = statistics.median(shares)
            if failed:
                res[t]["failures"] = failed
        out[w] = res
    return out


# ---------------------------------------------------------------- accuracy parsers

CPU_FUNCS = ("python_loop", "c_sort", "many_calls")


def _folded(path):
    for line in Path(path).read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.strip().lstrip("-").isdigit():
            yield stack.split(";"), int(n)


def _rg_name(frame):  # "QUALNAME (FILE:LINE)"
    return frame.rsplit(" (", 1)[0]


def _pyspy_name(frame):  # "func (file:line)"
    return frame.rsplit(" (", 1)[0]


def _fil_name(frame):  # "file:line (func)"
    return frame.rsplit(" (", 1)[-1].rstrip(")") if frame.endswith(")") else frame


def _austin_name(frame):  # "file:func:line"
    parts = frame.rsplit(":", 2)
    return parts[1] if len(parts) == 3 else frame


def _matches(name, fn):
    return name == fn or name.startswith(fn + ".<locals>")


def inclusive(stacks, namer, funcs):
    """Weight of the stacks each function is on (once per stack)."""
    tot = {f: 0 for f in funcs}
    for frames, n in stacks:
        names = [namer(f) for f in frames]
        for f in funcs:
            if any(_matches(x, f) for x in names):
                tot[f] += n
    return tot


def _shares(tot):
    s = sum(tot.values())
    return {k: v / s for k, v in tot.items()} if s else None


def cpu_radiograph(o):
    return _shares(inclusive(_folded(o / "radiograph" / "performance.folded"), _rg_name, CPU_FUNCS))


def cpu_pyspy(o):
    return _shares(inclusive(_folded(o / "py-spy.txt"), _pyspy_name, CPU_FUNCS))


def cpu_austin(o):
    stacks = []
    for line in (o / "austin.txt").read_text(errors="replace").splitlines():
        if not line.startswith("P"):
            continue
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")[2:]  # P<pid>;T<iid>:<tid>;frames...
        stacks.append((frames, int(n.split(",")[0])))
    return _shares(inclusive(stacks, _austin_name, CPU_FUNCS))


def cpu_pyinstrument(o):
    root = json.loads((o / "pyinstrument.json").read_text())["root_frame"]
    tot = {f: 0.0 for f in CPU_FUNCS}

    def walk(fr, inside):
        fn = fr.get("function", "")
        now = set(inside)
        for f in CPU_FUNCS:
            if _matches(fn, f) and f not in inside:
                tot[f] += fr.get("time", 0.0)
                now.add(f)
        for c in fr.get("children", []):
            walk(c, now)
    walk(root, set())
    return _shares(tot)


def cpu_cprofile(o):
    code = ("import pstats, json, sys; s = pstats.Stats(sys.argv[1]); "
            "print(json.dumps({n: ct for (f, l, n), (cc, nc, tt, ct, callers) in s.stats.items()}))")
    r = subprocess.run([str(VPY), "-c", code, str(o / "cprofile.out")], capture_output=True, text=True,
                       check=True)
    ct = json.loads(r.stdout)
    return _shares({f: ct.get(f, 0.0) for f in CPU_FUNCS})


def cpu_scalene(o):
    # Scalene's function table: each function's own share of the time
    # (Python + native + system). tiny() is called from many_calls() only,
    # so it is added to it to compare with the others' inclusive shares.
    d = json.loads((o / "scalene.json").read_text())
    tot = {f: 0.0 for f in CPU_FUNCS}
    for fd in d.get("files", {}).values():
        for fun in fd.get("functions", []):
            name = {"tiny": "many_calls"}.get(fun["line"], fun["line"])
            if name in tot:
                tot[name] += fun["n_cpu_percent_python"] + fun["n_cpu_percent_c"] + fun["n_sys_percent"]
    return _shares(tot)


# Memory: returns ({function: bytes live at the peak}, total peak bytes)
MEM_FUNCS = ("held_small", "held_large", "transient")
CHILD_FUNCS = ("parent_holds", "child_holds")


def mem_radiograph(o, funcs):
    per = inclusive(_folded(o / "radiograph" / "memory.folded"), _rg_name, funcs)
    peak = json.loads((o / "radiograph" / "summary.json").read_text())["peak_memory_bytes"]
    return per, peak


MEMRAY_READER = r'''
import json, sys
from memray import FileReader
funcs = sys.argv[2].split(",")
out = []
for path in sys.argv[1:2] + [p for p in __import__("glob").glob(sys.argv[1] + ".*")]:
    r = FileReader(path)
    per = {f: 0 for f in funcs}
    for rec in r.get_high_watermark_allocation_records(merge_threads=True):
        names = [fr[0] for fr in rec.stack_trace()]
        for f in funcs:
            if f in names:
                per[f] += rec.size
    out.append({"file": path, "pid": r.metadata.pid, "per": per, "peak": r.metadata.peak_memory})
print(json.dumps(out))
'''


def mem_memray(o, funcs):
    r = subprocess.run([str(VPY), "-c", MEMRAY_READER, str(o / "memray.bin"), ",".join(funcs)],
                       capture_output=True, text=True, check=True)
    files = json.loads(r.stdout)
    main = files[0]
    per, peak = dict(main["per"]), main["peak"]
    if len(files) > 1:  # --follow-fork: one file per process, each with its own peak
        for f in files[1:]:
            for k, v in f["per"].items():
                per[k] += v
        return per, peak, [f["peak"] for f in files]
    return per, peak


def mem_fil(o, funcs):
    profs = list((o / "fil").rglob("peak-memory.prof"))
    stacks = list(_folded(profs[0]))
    return inclusive(stacks, _fil_name, funcs), sum(n for _, n in stacks)


def mem_scalene(o, funcs):
    d = json.loads((o / "scalene.json").read_text())
    per = {f: 0.0 for f in funcs}
    for fd in d.get("files", {}).values():
        for fun in fd.get("functions", []):
            if fun["line"] in per:
                per[fun["line"]] += fun["n_peak_mb"] * 2 ** 20  # Scalene's "MB" are MiB
    return per, d["max_footprint_mb"] * 2 ** 20


# Which tools are asked which question, and how each one is run for it
# (the same command as in the overhead table, except the output format
# chosen so it can be parsed).
ACC_CPU = {
    "radiograph": (None, cpu_radiograph),
    "py-spy": (lambda o, j: [str(VBIN / "py-spy"), "record", "-r", "100", "-f", "raw", "-o", str(o / "py-spy.txt"),
                             "--", str(VPY), *map(str, j)], cpu_pyspy),
    "austin": (None, cpu_austin),
    "pyinstrument": (lambda o, j: [str(VBIN / "pyinstrument"), "-r", "json", "-o", str(o / "pyinstrument.json"),
                                   *map(str, j)], cpu_pyinstrument),
    "cProfile": (None, cpu_cprofile),
    "scalene": (None, cpu_scalene),
}
ACC_MEM = {
    "radiograph": (None, mem_radiograph),
    "memray": (None, mem_memray),
    "memray-native": (None, mem_memray),
    "fil": (None, mem_fil),
    "scalene": (None, mem_scalene),
}
ACC_CHILD = dict(ACC_MEM, **{
    "memray --follow-fork": (lambda o, j: [str(VPY), "-m", "memray", "run", "-q", "--follow-fork", "-o",
                                           str(o / "memray.bin"), *map(str, j)], mem_memray)})
NOT_MEASURED = {  # why a tool gets n/a for a question
    "cpu": {"memray": "memory only", "memray-native": "memory only", "fil": "memory only"},
    "mem": {"py-spy": "CPU only", "austin": "not in its default mode (-m samples RSS deltas)",
            "pyinstrument": "CPU only", "cProfile": "CPU only"},
}


def accuracy(tools, runs, tmp):
    res = {}
    tdir = Path(tmp) / "truth"
    tdir.mkdir(exist_ok=True)
    # CPU truth: the job's own thread_time() per function, unprofiled.
    truths = []
    for i in range(max(3, runs)):
        f = tdir / f"cpu{i}.json"
        run_once([str(VPY), str(ACC / "cpu_shares.py"), "--truth", str(f)], tdir, tdir / "log", 300)
        truths.append(json.loads(f.read_text()))
    cpu_truth = {k: statistics.median(t[k] for t in truths) for k in CPU_FUNCS}
    f = tdir / "mem.json"
    run_once([str(VPY), str(ACC / "mem_peak.py"), "--truth", str(f)], tdir, tdir / "log", 300)
    mem_truth = json.loads(f.read_text())
    mem_truth["transient"] = 0  # freed before the peak: nothing of it is live there
    res["truth"] = {"cpu_shares": cpu_truth, "mem_peak": mem_truth,
                    "mem_peak_total": sum(mem_truth.values()),
                    "mem_child": {"parent_holds": 100 * MB, "child_holds": 300 * MB}}

    def attempt(name, builder, parse, job, funcs=None):
        got = []
        for i in range(runs):
            o = Path(tmp) / f"acc-{name.replace(' ', '_')}"
            shutil.rmtree(o, ignore_errors=True)
            o.mkdir()
            argv = (builder or TOOLS[name.split(" ")[0]][0])(o, job)
            r = run_once(argv, o, Path(tmp) / "acc.log", 600)
            if "error" in r:
                return {"error": r["error"]}
            try:
                got.append(parse(o) if funcs is None else parse(o, funcs))
            except Exception as e:  # output missing or not in the expected shape
                return {"error": f"could not read its output: {type(e).__name__}: {e}"}
            finally:
                shutil.rmtree(o, ignore_errors=True)
        return {"runs": got}

    cpu = {}
    for t in tools:
        if t in ACC_CPU:
            b, p = ACC_CPU[t]
            cpu[t] = attempt(t, b, p, [ACC / "cpu_shares.py"])
            if "runs" in cpu[t]:
                runs_ = [x for x in cpu[t]["runs"] if x]
                # The mean over runs, not the median: each run's share is a
                # binomial estimate from a few hundred samples, and the mean
                # pools them (its standard error is kept to show that noise).
                cpu[t]["shares"] = {k: statistics.fmean(x[k] for x in runs_) for k in CPU_FUNCS} if runs_ else None
                if len(runs_) > 1:
                    cpu[t]["stderr"] = max(statistics.stdev(x[k] for x in runs_) / len(runs_) ** 0.5
                                           for k in CPU_FUNCS)
        elif t in NOT_MEASURED["cpu"]:
            cpu[t] = {"na": NOT_MEASURED["cpu"][t]}
        print(f"  cpu shares    {t:22s} {cpu.get(t)}", flush=True)
    res["cpu_shares"] = cpu

    for key, job, funcs, table in (("mem_peak", ACC / "mem_peak.py", MEM_FUNCS, ACC_MEM),
                                   ("mem_child", ACC / "mem_child.py", CHILD_FUNCS, ACC_CHILD)):
        got = {}
        for t in [*tools, *[x for x in table if " " in x and x.split(" ")[0] in tools]]:
            if t in table:
                b, p = table[t]
                r = attempt(t, b, p, [job], funcs)
                if "runs" in r:
                    r["per_function"] = {f: statistics.median(x[0][f] for x in r["runs"]) for f in funcs}
                    r["peak"] = statistics.median(x[1] for x in r["runs"])
                    if len(r["runs"][0]) > 2:
                        r["per_process_peaks"] = r["runs"][0][2]
                got[t] = r
            elif t in NOT_MEASURED["mem"]:
                got[t] = {"na": NOT_MEASURED["mem"][t]}
            print(f"  {key:13s} {t:22s} {got.get(t)}", flush=True)
        res[key] = got
    return res


# ---------------------------------------------------------------- tables

def _fmt_ratio(s, once=False):
    if once:
        return f"{s['median']:.2f} (1 round²)"
    if s["n"] == 1:
        return f"{s['median']:.2f}"
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def _bytes(n):
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.0f} kB"
    return f"{n:.0f} B"


def overhead_tables(ov, tools, rounds=0):
    lines = []
    def table(title, cell, with_summary):
        lines.append(f"\n**{title}**\n")
        lines.append("| workload | " + " | ".join(tools) + " |")
        lines.append("|---|" + "---|" * len(tools))
        cols = {t: [] for t in tools}
        for w, res in ov.items():
            row = []
            for t in tools:
                r = res.get(t, {})
                if "error" in r:
                    row.append("fails¹")
                else:
                    row.append(cell(r) + ("¹" if r.get("failures") else ""))
                    if with_summary:
                        cols[t].append(r[with_summary]["median"])
            lines.append(f"| {w} | " + " | ".join(row) + " |")
        if with_summary:
            lines.append("| **median of medians** | " + " | ".join(
                f"**{statistics.median(cols[t]):.2f}**" if cols[t] else "–" for t in tools) + " |")
            lines.append("| **worst median** | " + " | ".join(
                f"**{max(cols[t]):.2f}**" if cols[t] else "–" for t in tools) + " |")
    table("Wall-clock time, ratio to unprofiled: median (min–max over rounds)",
          lambda r: _fmt_ratio(r["wall_ratio"], r.get("once") or (r["wall_ratio"]["n"] == 1 and rounds > 1)),
          "wall_ratio")
    table("Wall-clock time, fastest run under the tool / fastest unprofiled run",
          lambda r: f"{r['wall_ratio_of_fastest']:.2f}" if "wall_ratio_of_fastest" in r else "–", None)
    if any("sampler_cpu_share" in r.get(t, {}) for r in ov.values() for t in tools):
        rgt = [t for t in tools if t.startswith("radiograph")]
        lines.append("\n**radiograph's sampler thread, share of the job's CPU** (its own CPU clock; median)\n")
        lines.append("| workload | " + " | ".join(rgt) + " |")
        lines.append("|---|" + "---|" * len(rgt))
        for w, res in ov.items():
            lines.append(f"| {w} | " + " | ".join(
                f"{100 * res[t]['sampler_cpu_share']:.2f}%" if "sampler_cpu_share" in res.get(t, {}) else "–"
                for t in rgt) + " |")
    table("CPU time (user+system, whole tree), ratio to unprofiled: median",
          lambda r: f"{r['cpu_ratio']['median']:.2f}", "cpu_ratio")
    table("Peak RSS (largest process of the tree, ru_maxrss), ratio to unprofiled: median",
          lambda r: f"{r['rss_ratio']['median']:.2f}", "rss_ratio")
    table("Output written (median; apparent size of the files, and the disk they take where that differs)",
          lambda r: _bytes(r["output_bytes"]) + (f" ({_bytes(r['output_disk_bytes'])} on disk)"
                                                  if r["output_bytes"] >= 100e3
                                                  and abs(r.get("output_disk_bytes", r["output_bytes"])
                                                          - r["output_bytes"]) > 0.1 * r["output_bytes"] else ""),
          None)
    lines.append(targets(ov))
    base = " · ".join(f"{w} {r['baseline']['wall_s']['median']:.2f} s" for w, r in ov.items()
                      if "wall_s" in r.get("baseline", {}))
    lines.append(f"\nUnprofiled medians: {base}.")
    if rounds > 1 and any(r.get(t, {}).get("wall_ratio", {}).get("n") == 1 for r in ov.values() for t in tools):
        lines.append(f"\n² Over {SLOW}× the unprofiled time in its first round: not repeated.")
    errs = {(t, w): r[t].get("error") or f"{len(r[t]['failures'])} round(s) failed: " + r[t]["failures"][0]
            for w, r in ov.items() for t in tools if "error" in r.get(t, {}) or r.get(t, {}).get("failures")}
    if errs:
        lines.append("\n¹ Failures:")
        for (t, w), e in errs.items():
            lines.append(f"- {t} on {w}: `{e[:300]}`")
    return "\n".join(lines)


def targets(ov):
    """Issue #6's overhead targets for radiograph, stated against the run."""
    rg = {w: r["radiograph"] for w, r in ov.items() if "wall_ratio" in r.get("radiograph", {})}
    if not rg:
        return ""
    meds = {w: r["wall_ratio"]["median"] for w, r in rg.items()}
    med, worst_w = statistics.median(meds.values()), max(meds, key=meds.get)
    out = ["\n**Targets** (radiograph, both profiles on):",
           f"- median overhead ≤ 1.03×: median over workloads of the per-workload median wall ratio is "
           f"{med:.3f} — {'met' if med <= 1.03 else 'missed'}",
           f"- worst ≤ 1.10×: worst per-workload median is {meds[worst_w]:.3f} ({worst_w}) — "
           f"{'met' if meds[worst_w] <= 1.10 else 'missed'}"]
    above = [w for w, m in meds.items() if m > 1.03]
    if above:
        out.append("- workloads over 1.03×: " + ", ".join(f"{w} {meds[w]:.2f}" for w in above))
    noise = {w: r["unprofiled"]["wall_ratio"] for w, r in ov.items() if "wall_ratio" in r.get("unprofiled", {})}
    if noise:
        nm = {w: n["median"] for w, n in noise.items()}
        lo, hi = min(nm, key=nm.get), max(nm, key=nm.get)
        within = [w for w in meds if w in nm and meds[w] <= nm[hi]]
        out.append(f"- noise floor: the unprofiled job against itself has per-workload medians from "
                   f"{nm[lo]:.2f} ({lo}) to {nm[hi]:.2f} ({hi}), median {statistics.median(nm.values()):.2f}; "
                   f"radiograph's median is within that top on {len(within)} of {len(meds)} workloads")
    vs = [(w, meds[w], ov[w]["py-spy"]["wall_ratio"]["median"]) for w in meds
          if "wall_ratio" in ov[w].get("py-spy", {})]
    if vs:
        worse = [(w, a, b) for w, a, b in vs if a > b]
        out.append(f"- at or below py-spy (100 Hz): {len(vs) - len(worse)} of {len(vs)} workloads; above on "
                   + (", ".join(f"{w} ({a:.2f} vs {b:.2f})" for w, a, b in worse) or "none"))
    return "\n".join(out)


def accuracy_tables(acc, tools):
    lines = []
    truth = acc["truth"]
    ct = truth["cpu_shares"]
    lines.append("\n**CPU shares** (cpu_shares.py; share of the three functions' time, inclusive, mean over "
                 "runs; truth = the job's own thread_time(), unprofiled; ± = the largest standard error of "
                 "the mean)\n")
    lines.append("| tool | " + " | ".join(CPU_FUNCS) + " | worst error |")
    lines.append("|---|" + "---|" * (len(CPU_FUNCS) + 1))
    lines.append("| **truth** | " + " | ".join(f"{100 * ct[f]:.1f}%" for f in CPU_FUNCS) + " | |")
    for t in tools:
        r = acc["cpu_shares"].get(t)
        if r is None:
            continue
        if "na" in r:
            lines.append(f"| {t} | " + " | ".join("n/a" for _ in CPU_FUNCS) + f" | n/a ({r['na']}) |")
        elif "error" in r or not r.get("shares"):
            lines.append(f"| {t} | " + " | ".join("–" for _ in CPU_FUNCS) + f" | failed: {r.get('error', 'no data')[:120]} |")
        else:
            s = r["shares"]
            worst = max(abs(s[f] - ct[f]) for f in CPU_FUNCS)
            se = f" (± {100 * r['stderr']:.1f})" if "stderr" in r else ""
            lines.append(f"| {t} | " + " | ".join(f"{100 * s[f]:.1f}%" for f in CPU_FUNCS)
                         + f" | {100 * worst:.1f} pts{se} |")

    def mem_table(key, funcs, tpeak, title, detail):
        lines.append(f"\n**{title}** ({detail})\n")
        lines.append("| tool | " + " | ".join(funcs) + " | peak reported | worst error |")
        lines.append("|---|" + "---|" * (len(funcs) + 2))
        tr = truth[key]
        lines.append("| **truth** | " + " | ".join(f"{tr[f] / MB:.1f} MB" for f in funcs)
                     + f" | {tpeak / MB:.0f} MB + interpreter(s) | |")
        for t, r in acc[key].items():
            if "na" in r:
                lines.append(f"| {t} | " + " | ".join("n/a" for _ in funcs) + f" | n/a | n/a ({r['na']}) |")
            elif "error" in r:
                lines.append(f"| {t} | " + " | ".join("–" for _ in funcs) + f" | – | failed: {r['error'][:120]} |")
            else:
                per = r["per_function"]
                worst = max(abs(per[f] - tr[f]) for f in funcs) / MB
                peak = f"{r['peak'] / MB:.1f} MB"
                if r.get("per_process_peaks"):
                    peak += " (per-process files: " + " + ".join(f"{p / MB:.0f}" for p in r["per_process_peaks"]) + " MB)"
                lines.append(f"| {t} | " + " | ".join(f"{per[f] / MB:.1f} MB" for f in funcs)
                             + f" | {peak} | {worst:.2f} MB |")
    mem_table("mem_peak", MEM_FUNCS, truth["mem_peak_total"], "Live at the peak",
              "mem_peak.py; a 400 MB transient freed before it; bytes each function holds at the peak")
    mem_table("mem_child", CHILD_FUNCS, 400 * MB, "A peak across two processes",
              "mem_child.py; parent 100 MB + forked child 300 MB at the same moment")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 round, 6 workloads, short runs, 1 accuracy run")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--accuracy-runs", type=int, default=3)
    ap.add_argument("--only", help="comma-separated tools (" + ",".join(TOOLS) + ")")
    ap.add_argument("--workloads", help="comma-separated workloads (" + ",".join(WORKLOADS) + ")")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--json", default=str(OUT))
    ap.add_argument("--tables", metavar="JSON", help="print the tables of a saved result and exit")
    ap.add_argument("--pool", metavar="JSON", nargs="+",
                    help="print the overhead tables of several saved runs' rounds taken together, and exit")
    a = ap.parse_args()
    if a.tables:
        print_tables(json.loads(Path(a.tables).read_text()))
        return
    if a.pool:
        print_tables(pool([json.loads(Path(f).read_text()) for f in a.pool]))
        return

    tools = TOOL_ORDER
    if a.only:
        want = a.only.split(",")
        bad = [t for t in want if t not in TOOLS]
        if bad:
            ap.error(f"unknown tool(s) {bad}; known: {list(TOOLS)}")
        tools = [t for t in TOOLS if t in want]
    workloads = QUICK_WORKLOADS if a.quick else list(WORKLOADS)
    if a.workloads:
        workloads = a.workloads.split(",")
        bad = [w for w in workloads if w not in WORKLOADS]
        if bad:
            ap.error(f"unknown workload(s) {bad}; known: {list(WORKLOADS)}")
    rounds = 1 if a.quick and a.rounds == ap.get_default("rounds") else a.rounds
    acc_runs = 1 if a.quick and a.accuracy_runs == ap.get_default("accuracy_runs") else a.accuracy_runs

    if not BUILT.exists():
        sys.exit(f"{BUILT} is missing: run `make build` first")
    ensure_venv()
    tmpdir = tempfile.TemporaryDirectory(prefix="radiograph-peers-")
    tmp = tmpdir.name
    commit = snapshot_radiograph(tmp)
    env = environment()
    env["radiograph_commit"] = commit
    print(f"peers: {env['cpu_model']}, {env['cpus']} CPUs, load {env['load_before']}; {env['python']}; "
          f"tools {', '.join(tools)}", flush=True)
    result = {"environment": env, "quick": a.quick, "rounds": rounds, "accuracy_runs": acc_runs,
              "tools": {t: TOOLS[t][1] for t in tools},
              "workloads": {w: [str(Path(WORKLOADS[w][0]).relative_to(ROOT)),
                                *(WORKLOADS[w][2] if a.quick else WORKLOADS[w][1])] for w in workloads}}
    with tmpdir:
        if not a.skip_overhead:
            print(f"\n== Overhead: {len(workloads)} workloads x (unprofiled + {len(tools)} tools) x {rounds} "
                  f"round(s)", flush=True)
            result["overhead"], result["overhead_runs"] = overhead(workloads, tools, rounds, a.quick, tmp)
        if not a.skip_accuracy:
            print(f"\n== Accuracy: {acc_runs} run(s) per tool and job", flush=True)
            result["accuracy"] = accuracy(tools, acc_runs, tmp)
    result["environment"]["load_after"] = os.getloadavg()
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(result, indent=2, default=str))
    print_tables(result)
    print(f"\npeers: results in {a.json}")


def pool(results):
    """Several saved runs as one: each workload's rounds of every run, for
    the tools and workloads all of them measured. On a noisy machine the
    median of 27 rounds says what three medians of 9 cannot."""
    tools = [t for t in results[0]["tools"] if all(t in r["tools"] for r in results)]
    workloads = [w for w in results[0]["overhead_runs"] if all(w in r.get("overhead_runs", {}) for r in results)]
    data = {w: {k: [x for r in results for x in r["overhead_runs"][w].get(k, [])] for k in ["baseline", *tools]}
            for w in workloads}
    return {"tools": {t: results[0]["tools"][t] for t in tools},
            "rounds": sum(r.get("rounds", 0) for r in results),
            "overhead": summarize_overhead(data, tools, {})}


def print_tables(result):
    tools = list(result["tools"])
    md = []
    if "overhead" in result:
        md.append(overhead_tables(result["overhead"], tools, result.get("rounds", 0)))
    if "accuracy" in result:
        md.append(accuracy_tables(result["accuracy"], tools))
    print("\n".join(md))


if __name__ == "__main__":
    main()

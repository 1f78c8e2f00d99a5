"""The agent's share of a run's CPU, from perf: every workload once under
`perf record` (cpu-clock, call graphs), and each CPU sample put down to
radiograph or to the job. Unlike a wall-clock ratio, this barely moves with
the load on a shared machine.

radiograph's share is
- the sampler thread: every sample under sampler_main;
- the allocation hooks: samples whose innermost frame is radiograph's code
  (the interposed malloc & co themselves, the filters, the live tables),
  or that radiograph's internals called into (the kernel, libc: locks,
  process_vm_readv, malloc_usable_size from a hook).
The real allocator's work under an interposed malloc is the job's: it would
run without radiograph too.

    python3 bench/agent_share.py [--only W,...]     our workloads, this python
    python3 bench/agent_share.py --python P [--python Q ...]
        our workloads under each interpreter given (--versions: every
        supported CPython found), a column each
    python3 bench/agent_share.py --peers [--only W,...]
        the 17 workloads of bench/peers.py, with its venv's python (run
        bench/peers.py once first to make the venv)

Needs `perf`.
"""
import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RADIOGRAPH = ROOT / "build" / "radiograph"
WORKLOADS = ROOT / "bench" / "workloads"
NAMES = ["cpu_single", "cpu_threads", "alloc_objects", "json_roundtrip", "numpy_arrays", "multi_process",
         "async_tcp", "generator_storm", "deep_recursion"]
AGENT = "libradiograph_agent.so"
# radiograph's internals: what they call is radiograph's cost. (The
# interposed malloc & co are not here: what they call is the allocator.)
INTERNAL = ("memtrack_", "mt_", "stacks_", "pyread_", "memread_", "livemap_", "treepeak_", "htab_",
            "rawwrite_", "tasks_", "procfd_", "budget_", "sampler_", "hook_thread_main", "maptab_",
            "resident_", "ends_")


def classify(stack):
    """'sampler', 'hooks' or 'job' for one sample: STACK is innermost first,
    (symbol, dso) pairs."""
    if any(sym == "sampler_main" for sym, _ in stack):
        return "sampler"
    if not stack:
        return "job"
    sym, dso = stack[0]
    if dso.endswith(AGENT):
        return "hooks"
    if sym == "malloc_usable_size" and len(stack) > 1 and stack[1][1].endswith(AGENT):
        return "hooks"
    for s, d in stack[1:]:
        if d.endswith(AGENT):
            # the first radiograph frame going outwards decides: an internal
            # function's callees are radiograph's, a wrapper's the allocator's
            return "hooks" if s.startswith(INTERNAL) else "job"
    return "job"


def samples(data):
    """Yields each sample's stack from `perf script`."""
    out = subprocess.run(["perf", "script", "-i", str(data), "-F", "ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    stack = []
    for line in out.splitlines():
        line = line.strip()
        if not line:
            if stack:
                yield stack
            stack = []
            continue
        parts = line.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
        sym, _, dso = rest.rpartition(" (")
        stack.append((sym.split("+")[0], dso.rstrip(")")))
    if stack:
        yield stack


def share(name, argv, tmp):
    data = Path(tmp) / f"{name}.perf"
    out = Path(tmp) / f"{name}-report"
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "-g", "-o", str(data), "--",
                    str(RADIOGRAPH), "run", "-q", "-o", str(out), "--", *argv], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    count = {"sampler": 0, "hooks": 0, "job": 0}
    for stack in samples(data):
        count[classify(stack)] += 1
    total = sum(count.values()) or 1
    shutil.rmtree(out, ignore_errors=True)
    data.unlink()
    return 100.0 * count["sampler"] / total, 100.0 * count["hooks"] / total


def jobs(peers, python=sys.executable):
    if not peers:
        return {n: [python, str(WORKLOADS / f"{n}.py")] for n in NAMES}
    spec = importlib.util.spec_from_file_location("peers", ROOT / "bench" / "peers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not mod.VPY.exists():
        sys.exit("agent_share.py: no peers venv; run python3 bench/peers.py --quick once to make it")
    return {w: [str(mod.VPY), str(script), *args] for w, (script, args, _) in mod.WORKLOADS.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    ap.add_argument("--peers", action="store_true", help="the 17 workloads of bench/peers.py")
    ap.add_argument("--python", action="append", default=[], help="run our workloads under this interpreter")
    ap.add_argument("--versions", action="store_true", help="--python for every supported CPython found")
    a = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("agent_share.py: perf is not installed (apt-get install linux-perf)")
    if a.versions:
        sys.path.insert(0, str(ROOT / "tools"))
        import pythons
        a.python = [i["path"] for i in pythons.find((3, 11), (3, 13))]
    if a.python:
        return by_version(a.python, a.only)
    with tempfile.TemporaryDirectory() as tmp:
        print("| workload | agent share of CPU | sampler thread | allocation hooks |\n|---|---|---|---|")
        for name, argv in jobs(a.peers).items():
            if a.only and name not in a.only.split(","):
                continue
            s, h = share(name, argv, tmp)
            print(f"| {name} | {s + h:.2f}% | {s:.2f}% | {h:.2f}% |", flush=True)


def by_version(interpreters, only):
    """One column per interpreter: the agent's whole share (sampler + hooks)."""
    names = []
    for p in interpreters:
        out = subprocess.run([p, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, check=True)
        names.append(out.stdout.strip())
    print("| workload | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    with tempfile.TemporaryDirectory() as tmp:
        for name in NAMES:
            if only and name not in only.split(","):
                continue
            cells = []
            for p in interpreters:
                s, h = share(name, jobs(False, p)[name], tmp)
                cells.append(f"{s + h:.2f}% ({s:.2f} + {h:.2f})")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

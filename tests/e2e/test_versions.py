"""What the agent reads from each supported CPython (tests/run.py runs this
file under every one): line numbers equal the interpreter's own f_lineno,
stacks are whole on coroutine, generator and context-manager code, threads
carry their Python names, long functions keep their lines; interpreters it
cannot read are left alone and named; a job mixing versions is one report."""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, parse_folded, pythons

LABELS = ("[running]", "[waiting", "[truncated]")


def frames_of(stack):
    """(qualname, basename, line) of each Python frame of a folded stack;
    line None where the instruction has no line (`QUALNAME (FILE)`)."""
    out = []
    for f in stack:
        if f.startswith("["):
            continue
        name, _, where = f.rpartition(" (")
        path, _, line = where[:-1].rpartition(":")
        if not line.isdigit():
            path, line = where[:-1], None
        out.append((name, os.path.basename(path), int(line) if line else None))
    return out


def python_samples(folded):
    return {s: c for s, c in folded.items() if any(not f.startswith("[") for f in s)}


LINES_JOB = r'''
import asyncio, json, os, sys, time

SEEN = {}

def spin(kind, seconds=0.4):
    # The chain of frames as the interpreter itself reports it, outermost
    # first, recorded while this call is on the stack.
    f, chain = sys._getframe(1), []
    while f is not None:
        chain.append((f.f_code.co_qualname, os.path.basename(f.f_code.co_filename), f.f_lineno))
        f = f.f_back
    SEEN[kind] = chain[::-1]
    end = time.process_time() + seconds
    while time.process_time() < end: pass

def plain():
    spin("plain")

def gen():
    yield 1
    spin("generator")
    yield 2

def inner_gen():
    yield 0
    spin("yield_from")
    yield 1

def outer_gen():
    yield from inner_gen()

async def coro_inner():
    await asyncio.sleep(0)
    spin("coroutine")

async def coro():
    await coro_inner()

def comprehension():
    return [spin("comprehension") for _ in range(1)]

def handler():
    try:
        raise ValueError("x")
    except ValueError:
        spin("except")

plain()
list(gen())
list(outer_gen())
asyncio.run(coro())
comprehension()
handler()
json.dump(SEEN, open(sys.argv[1], "w"))
'''


def test_sampled_lines_equal_f_lineno(run, tmp_path):
    """For a plain function, a generator, `yield from`, a coroutine, a
    comprehension and an except block: some sampled stacks of spin() are
    exactly the chain of (function, file, line) that the interpreter's own
    frames give, and most of spin's samples are at its loop's line."""
    seen_path = tmp_path / "seen.json"
    r = run(LINES_JOB, args=[str(seen_path)], options=["--rate", "250"])
    assert r.proc.returncode == 0, r.proc.stderr
    seen = json.loads(seen_path.read_text())
    assert set(seen) == {"plain", "generator", "yield_from", "coroutine", "comprehension", "except"}
    spin_line = LINES_JOB.splitlines().index("    while time.process_time() < end: pass") + 1
    folded = r.folded
    for kind, chain in seen.items():
        want = [tuple(c) for c in chain]
        spins = {s: c for s, c in folded.items()
                 if frames_of(s) and frames_of(s)[-1][0] == "spin"
                 and [f for f in frames_of(s)[:-1]][:len(want) - 1] == want[:-1]
                 and frames_of(s)[-2:-1] == want[-1:]}
        total = sum(spins.values())
        assert total >= 5, (kind, want, [frames_of(s) for s in folded if "spin" in str(s)][:5])
        at_loop = sum(c for s, c in spins.items() if frames_of(s)[-1][2] == spin_line)
        assert at_loop >= 0.8 * total, (kind, at_loop, total)
        # the chain is the whole stack: nothing above <module>, nothing missing
        for s in spins:
            assert len(frames_of(s)) == len(want) + 1, (kind, frames_of(s), want)


def assert_whole(r, own_functions, label):
    """≤ 1% of Python samples cut from their callers (a root frame other than
    the module or a thread's bootstrap: one of the job's own generators or
    coroutines), ≤ 2% dropped."""
    assert r.proc.returncode == 0, r.proc.stderr
    py = python_samples(r.folded)
    total = sum(py.values())
    assert total >= 50, (label, total)
    roots = Counter()
    for s, c in py.items():
        roots[frames_of(s)[0][0].split(".")[0]] += c
    orphans = sum(c for root, c in roots.items() if root in own_functions)
    assert orphans <= 0.01 * total, (label, orphans, total, roots.most_common(5))
    assert roots["<module>"] >= 0.9 * total, roots.most_common(5)
    s = r.summary
    assert s["dropped_samples"] <= 0.02 * s["samples"], (label, s["dropped_samples"], s["samples"])


def test_asyncio_server_and_client_stacks_are_whole(run):
    # bench/workloads/async_tcp.py: a server and four clients on 127.0.0.1,
    # a chain of coroutines per request
    job = ROOT / "bench" / "workloads" / "async_tcp.py"
    r = run(command=[str(job), "1200"], options=["--rate", "200"])
    assert_whole(r, {"handle", "level1", "level2", "level3", "client", "main"}, "asyncio")
    # the work is attributed under its whole chain of coroutines
    chains = [frames_of(s) for s in r.folded if any(f.startswith("level3 ") for f in s)]
    assert chains and all([f[0] for f in c if f[1] == "async_tcp.py"][:1] == ["<module>"] for c in chains)


def test_generator_pipeline_stacks_are_whole(run):
    # Records parsed, filtered and aggregated through generators, each stage
    # with a little work of its own, some delegating with `yield from`.
    r = run("""
        def lines(n):
            for i in range(n):
                yield f"{i},{i * 7 % 13},name{i % 97}"
        def parse(it):
            for line in it:
                a, b, name = line.split(",")
                yield int(a), int(b), name.upper()
        def keep(it):
            yield from (rec for rec in it if rec[1] % 3 and rec[2].endswith("7"))
        def windows(it, k):
            buf = []
            for rec in it:
                buf.append(rec[0] * rec[1])
                if len(buf) == k:
                    yield sum(buf) / k
                    buf = []
        total = 0
        for w in windows(keep(parse(lines(1_500_000))), 10):
            total += w
    """, options=["--rate", "200"])
    assert_whole(r, {"lines", "parse", "keep", "windows"}, "generators")


def test_contextmanager_heavy_stacks_are_whole(run):
    r = run("""
        import contextlib
        @contextlib.contextmanager
        def outer():
            yield 1
        @contextlib.contextmanager
        def inner(x):
            try:
                yield x + 1
            finally:
                pass
        def work(n):
            s = 0
            for i in range(n):
                with outer() as a, inner(a) as b:
                    s += a + b
            return s
        work(400_000)
    """, options=["--rate", "200"])
    assert_whole(r, {"outer", "inner"}, "contextmanager")


def test_thread_names_name_the_lanes(run):
    r = run("""
        import threading, time
        def burn(sec):
            end = time.process_time() + sec
            while time.process_time() < end: pass
        ts = [threading.Thread(target=burn, args=(0.3,), name="loader-%d" % i) for i in range(2)]
        for t in ts: t.start()
        burn(0.2)
        for t in ts: t.join()
        class Worker(threading.Thread):
            def run(self):
                burn(0.3)
        w = Worker(name="custom worker ☃")
        w.start(); w.join()
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    trace = json.loads((r.report / "timeline.json").read_text())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    assert {"MainThread", "loader-0", "loader-1", "custom worker ☃"} <= names, names
    speedscope = json.loads((r.report / "profile.speedscope.json").read_text())
    profiles = " ".join(p["name"] for p in speedscope["profiles"])
    assert "loader-0" in profiles and "custom worker ☃" in profiles, profiles


def test_a_function_longer_than_the_read_window_keeps_its_lines(run):
    # 100k lines: the line table is far longer than the 64 KiB read with the
    # code object's names.
    body = "\n".join(f"    x{i} = {i}" for i in range(100_000))
    r = run(f"""
import time
def long_function():
{body}
    end = time.process_time() + 0.5
    while time.process_time() < end: pass
long_function()
""")
    assert r.proc.returncode == 0, r.proc.stderr
    loop_line = 100_000 + 5
    lines = Counter()
    for s, c in r.folded.items():
        for name, _, line in frames_of(s):
            if name == "long_function":
                lines[line] += c
    assert lines[loop_line] >= 0.8 * sum(lines.values()) > 0, lines.most_common(5)


def unsupported():
    return [i for i in pythons.find((3, 0), (3, 10))]


@pytest.mark.once
@pytest.mark.parametrize("info", unsupported() or [None],
                         ids=lambda i: "%d.%d" % tuple(i["version"][:2]) if i else "none-found")
def test_an_interpreter_radiograph_cannot_read_runs_untouched(radiograph, tmp_path, info):
    if info is None:
        pytest.skip("no CPython older than 3.11 on this machine")
    script = tmp_path / "job.py"
    script.write_text("import sys\nprint('out', sys.version_info[:2])\nsys.stderr.write('err\\n')\nsys.exit(7)\n")
    plain = subprocess.run([info["path"], str(script)], capture_output=True, text=True)
    p = subprocess.run([radiograph, "run", "-q", "-o", str(tmp_path / "r"), "--", info["path"], str(script)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == plain.returncode == 7
    assert p.stdout == plain.stdout
    assert p.stderr.startswith("err\n"), p.stderr
    version = "%d.%d.%d" % tuple(info["version"])
    lines = [l for l in p.stderr.splitlines() if "not profiled" in l]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("radiograph: process ") and f"Python {version}" in lines[0], lines
    assert "3.11, 3.12 and 3.13" in lines[0], lines
    s = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert s["exit_code"] == 7
    assert any("not profiled" in n and version in n for n in s["notes"]), s["notes"]
    assert not any("killed?" in n for n in s["notes"]), s["notes"]


@pytest.mark.once
def test_a_job_mixing_versions_is_one_report(run, tmp_path):
    """A 3.11 script that runs a step under another supported version: one
    report, both processes profiled, both versions named."""
    by_minor = {}
    for i in pythons.find((3, 11), (3, 13)):
        by_minor.setdefault(tuple(i["version"][:2]), i)
    if len(by_minor) < 2:
        pytest.fail("needs two supported minor versions (tests/run.py requires them too)")
    first, last = by_minor[min(by_minor)], by_minor[max(by_minor)]
    step = tmp_path / "step.py"
    step.write_text("import time\ndef step():\n    end = time.process_time() + 0.4\n"
                    "    while time.process_time() < end: pass\nstep()\n")
    job = tmp_path / "parent.py"
    job.write_text("import subprocess, sys, time\n"
                   "def parent_work():\n    end = time.process_time() + 0.4\n"
                   "    while time.process_time() < end: pass\n"
                   f"parent_work()\nsubprocess.run([{last['path']!r}, {str(step)!r}], check=True)\n")
    r = run(command=["--", first["path"], str(job)])
    assert r.proc.returncode == 0, r.proc.stderr
    s = r.summary
    assert s["processes"] == 2, s
    versions = {"%d.%d.%d" % tuple(i["version"]) for i in (first, last)}
    assert set(s["python_versions"]) == versions, s["python_versions"]
    assert s["python_version"] == "%d.%d.%d" % tuple(first["version"])
    names = {f.split(" (")[0] for st in r.folded for f in st}
    assert {"parent_work", "step"} <= names, names


def test_an_allocation_on_the_first_line_is_attributed(radiograph, tmp_path, target):
    """A venv's python (and 3.12/3.13 even without one) reaches the script's
    first line before the sampler's first tick: the allocation hooks must
    see for themselves that the interpreter can be read. 10 runs of 10."""
    venv = tmp_path / "venv"
    subprocess.run([target["executable"], "-m", "venv", "--without-pip", str(venv)], check=True)
    script = tmp_path / "first.py"
    script.write_text("x = bytearray(200 * 1024 * 1024)\n")
    for i in range(10):
        out = tmp_path / f"r{i}"
        p = subprocess.run([radiograph, "run", "-q", "-o", str(out), "--", str(venv / "bin" / "python"),
                            str(script)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        m = parse_folded(out / "memory.folded")
        held = sum(b for s, b in m.items() if s and s[0].startswith("<module> (") and s[0].endswith("first.py:1)"))
        assert held >= 200 * 1024 * 1024, (i, m.most_common(3))

"""The in-process mode through its Python API: radiograph.profile loads the
agent into the running interpreter (no LD_PRELOAD), profiles a block, and
writes a report as `radiograph run` would. Jobs run under the interpreter
the suite targets, importing radiograph from the source tree."""
import json
import os
import shutil
import struct
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, parse_folded

MB = 1_000_000


class Job:
    def __init__(self, proc, cwd):
        self.proc = proc
        self.cwd = Path(cwd)

    def report(self, name="out"):
        return self.cwd / name

    def summary(self, name="out"):
        return json.loads((self.report(name) / "summary.json").read_text())

    def perf(self, name="out"):
        return parse_folded(self.report(name) / "performance.folded")

    def mem(self, name="out"):
        return parse_folded(self.report(name) / "memory.folded")


@pytest.fixture
def job(tmp_path, target):
    """Runs SOURCE as a plain script (no radiograph run) under the target."""
    def _job(source, args=(), timeout=120, env=None):
        script = tmp_path / "job.py"
        script.write_text(textwrap.dedent(source))
        e = {k: v for k, v in os.environ.items()
             if k != "LD_PRELOAD" and not k.startswith("RADIOGRAPH_")}
        e["PYTHONPATH"] = str(ROOT)
        if env:
            e.update(env)
        proc = subprocess.run([target["executable"], str(script), *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=timeout, env=e)
        return Job(proc, tmp_path)
    return _job


def burning(source):
    """SOURCE (indented as in a test) after BURN's definitions."""
    return BURN + textwrap.dedent(source)


def held_by(folded, name):
    return sum(b for s, b in folded.items() if any(f.split(" (")[0].split(".")[-1] == name for f in s))


def share(folded, name):
    total = sum(folded.values())
    return sum(c for s, c in folded.items() if any(f.split(" (")[0].split(".")[-1] == name for f in s)) / max(total, 1)


BURN = """
import time
def burn(seconds):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n
"""


def test_block_known_answer(job, target):
    """CPU in one function, 100 MB held by another: both seen; 200 MB held
    before the block is not attributed, and its free inside the block is
    not counted as memory given back."""
    j = job(burning("""
        import radiograph
        def hold():
            return bytearray(100 * 1000 * 1000)
        old = bytearray(200 * 1000 * 1000)
        with radiograph.profile("out") as p:
            burn(0.6)
            del old
            kept = hold()
            burn(0.2)
        assert p.report == "out/index.html", p.report
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    assert j.proc.stderr.strip().splitlines()[-1] == "radiograph: report written to out/index.html"
    s = j.summary()
    assert s["python_version"] == ".".join(map(str, target["version"]))
    assert s["command"][0] == "radiograph.profile" and s["command"][1].startswith("job.py:")
    assert s["exit_code"] == 0 and s["processes"] == 1
    assert 0.7 < s["elapsed_seconds"] < 5, s["elapsed_seconds"]
    # the block's own 100 MB; not 300 (the older block counted), not less
    # (its free counted against the block)
    assert 100 * MB <= s["peak_memory_bytes"] < 104 * MB, s["peak_memory_bytes"]
    m = j.mem()
    assert abs(held_by(m, "hold") - 100 * MB) < 0.01 * 100 * MB, m
    perf = j.perf()
    assert share(perf, "burn") > 0.7, perf
    # stacks start at the frame running the block: nothing of what ran it
    roots = {stack[0].split(" (")[0] for stack in perf}
    assert roots == {"<module>"}, roots
    assert all("(" + str(j.cwd / "job.py") + ":" in stack[0] for stack in perf), list(perf)[:3]


def test_root_is_the_block_function(job):
    """A block inside a function called through others: its stacks start at
    that function."""
    j = job(burning("""
        import radiograph
        def step():
            with radiograph.profile("out", quiet=True):
                burn(0.4)
        def framework():
            step()
        framework()
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    assert j.proc.stderr == ""
    perf = j.perf()
    assert {s[0].split(" (")[0] for s in perf} == {"step"}, list(perf)


def test_library_loaded_inside_block(job, tmp_path):
    """A C library dlopened during the block (ctypes) is redirected as it
    arrives: its 60 MB malloc is attributed to the Python line calling it.
    The library then dlopens another by bare name, found only through its
    own RUNPATH: that must still work with dlopen redirected."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.fail("no C compiler (cc): run `make setup`")
    sub = tmp_path / "deps"
    sub.mkdir()
    (sub / "dep.c").write_text("#include <stdlib.h>\nvoid *dep_alloc(size_t n) { return malloc(n); }\n")
    (tmp_path / "lib.c").write_text(textwrap.dedent("""
        #include <dlfcn.h>
        #include <stdlib.h>
        #include <string.h>
        void *lib_hold(size_t n) { void *p = malloc(n); if (p) memset(p, 1, n); return p; }
        void *lib_dep_hold(size_t n) {
            void *volatile h = dlopen("libdep.so", RTLD_NOW);
            if (!h) return NULL;
            void *(*f)(size_t) = (void *(*)(size_t))dlsym(h, "dep_alloc");
            void *p = f ? f(n) : NULL;
            if (p) memset(p, 2, n);
            return p;
        }
    """))
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(sub / "libdep.so"), str(sub / "dep.c")], check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/deps",
                    "-o", str(tmp_path / "libheld.so"), str(tmp_path / "lib.c"), "-ldl"], check=True)
    j = job("""
        import ctypes, radiograph
        def load():
            lib = ctypes.CDLL("./libheld.so")
            lib.lib_hold.restype = lib.lib_dep_hold.restype = ctypes.c_void_p
            lib.lib_hold.argtypes = lib.lib_dep_hold.argtypes = [ctypes.c_size_t]
            return lib
        def c_holds(lib):
            return lib.lib_hold(60 * 1000 * 1000)
        def dep_holds(lib):
            return lib.lib_dep_hold(40 * 1000 * 1000)
        with radiograph.profile("out", quiet=True):
            lib = load()
            a = c_holds(lib)
            b = dep_holds(lib)
            assert a and b, "the libraries allocated nothing"
    """)
    assert j.proc.returncode == 0, j.proc.stderr
    m = j.mem()
    assert abs(held_by(m, "c_holds") - 60 * MB) < 0.01 * 60 * MB, m
    assert abs(held_by(m, "dep_holds") - 40 * MB) < 0.01 * 40 * MB, m


def test_numpy_imported_inside_block(job):
    """numpy's extension modules arrive by dlopen during the block; its
    allocations (malloc and calloc) are seen."""
    from conftest import require
    require("numpy")
    j = job("""
        import radiograph
        def ones():
            return np.ones(80 * 1000 * 1000 // 8)
        def zeros():
            z = np.zeros(50 * 1000 * 1000 // 8)     # calloc: counted as its pages are written
            z.fill(0.5)
            return z
        with radiograph.profile("out", quiet=True):
            import numpy as np
            o = ones()
            z = zeros()
    """)
    assert j.proc.returncode == 0, j.proc.stderr
    m = j.mem()
    assert abs(held_by(m, "ones") - 80 * MB) < 0.02 * 80 * MB, m
    assert abs(held_by(m, "zeros") - 50 * MB) < 0.02 * 50 * MB, m


def test_sessions_in_a_row(job):
    """Each block is its own profile: the second does not see the first's
    allocations, nor count a free of them; after the blocks, nothing is
    tracked (a third report is not disturbed by what ran between)."""
    j = job(burning("""
        import radiograph
        def first():
            return bytearray(120 * 1000 * 1000)
        def second():
            return bytearray(30 * 1000 * 1000)
        with radiograph.profile("one", quiet=True):
            a = first()
            burn(0.1)
        between = [bytearray(1000) for _ in range(20000)]
        with radiograph.profile("two", quiet=True):
            del a
            b = second()
            burn(0.1)
        with radiograph.profile("three", quiet=True, memory=False):
            burn(0.2)
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    assert 120 * MB <= j.summary("one")["peak_memory_bytes"] < 124 * MB
    assert 30 * MB <= j.summary("two")["peak_memory_bytes"] < 34 * MB, j.summary("two")
    two = j.mem("two")
    assert held_by(two, "first") == 0 and abs(held_by(two, "second") - 30 * MB) < 0.3 * MB, two
    s3 = j.summary("three")
    assert s3["peak_memory_source"] == "rss" and not (j.report("three") / "memory.folded").exists()
    assert share(j.perf("three"), "burn") > 0.6


def test_sessions_while_threads_allocate(job):
    """Twenty short blocks in a row while three threads churn blocks through
    malloc and free: the slots are patched and put back under their feet,
    the program runs on, and each block's peak stays within what the
    threads can hold alive (3 x 512 blocks of at most 4.7 KB), since only
    what is allocated during a block counts."""
    j = job("""
        import threading, time, json, radiograph
        stop = False
        def churn():
            live = [None] * 512
            i = 0
            while not stop:
                live[i & 511] = bytearray(600 + (i & 4095))
                i += 1
        threads = [threading.Thread(target=churn) for _ in range(3)]
        for t in threads:
            t.start()
        for k in range(20):
            with radiograph.profile(f"out/{k}", quiet=True, all_threads=True):
                time.sleep(0.02)
            print(json.load(open(f"out/{k}/summary.json"))["peak_memory_bytes"])
        stop = True
        for t in threads:
            t.join()
    """)
    assert j.proc.returncode == 0, j.proc.stderr
    peaks = [int(x) for x in j.proc.stdout.split()]
    assert len(peaks) == 20
    assert all(0 < p < 10 * MB for p in peaks), peaks


def test_threads(job):
    """A thread started inside the block is profiled; one already running
    before it is not, unless all_threads."""
    j = job(burning("""
        import threading, radiograph
        stop = threading.Event()
        def background():
            while not stop.is_set():
                burn(0.01)
        def worker():
            burn(0.5)
        t0 = threading.Thread(target=background, name="background")
        t0.start()
        for out, every in (("out", False), ("all", True)):
            with radiograph.profile(out, quiet=True, all_threads=every):
                t = threading.Thread(target=worker, name="worker")
                t.start(); t.join()
        stop.set(); t0.join()
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    perf = j.perf()
    assert share(perf, "worker") > 0.4, perf
    assert share(perf, "background") == 0, perf
    assert share(j.perf("all"), "background") > 0.1, j.perf("all")
    assert j.summary("all")["threads"] > j.summary()["threads"]


def test_fork_inside_block(job):
    """Children forked inside the block run normally (a pool's workers, a
    bare fork that allocates and exits) and are not profiled; the parent's
    report is whole."""
    j = job(burning("""
        import multiprocessing as mp, os, radiograph
        def child_work(n):
            data = [bytearray(1000) for _ in range(10000)]
            return len(data) + n
        with radiograph.profile("out", quiet=True):
            with mp.get_context("fork").Pool(2) as pool:
                print(sum(pool.map(child_work, range(8))))
            pid = os.fork()
            if pid == 0:
                x = bytearray(50_000_000)
                os._exit(7)
            print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
            after_fork()
    """).replace("with radiograph", "def after_fork():\n    burn(0.5)\nwith radiograph"))
    assert j.proc.returncode == 0, j.proc.stderr
    assert j.proc.stdout == "80028\n7\n", j.proc.stdout
    s = j.summary()
    assert s["processes"] == 1 and s["exit_code"] == 0, s
    # the parent is sampled after its forks: the sampler came back
    assert share(j.perf(), "after_fork") > 0.3, j.perf()
    assert held_by(j.mem(), "child_work") == 0


def test_exception_in_block(job):
    """The report is written, its exit status 1, and the exception goes on."""
    j = job(burning("""
        import radiograph
        try:
            with radiograph.profile("out", quiet=True):
                burn(0.2)
                raise KeyError("boom")
        except KeyError as e:
            print("caught", e)
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    assert "caught 'boom'" in j.proc.stdout
    assert j.summary()["exit_code"] == 1


def test_decorator(job):
    """Each call of a decorated function writes its own report (default
    directories), rooted at the function."""
    j = job(burning("""
        import radiograph
        @radiograph.profile(quiet=True, rate=200)
        def step(n):
            burn(0.15)
            return n * 2
        assert step(1) == 2 and step(2) == 4
        assert step.__name__ == "step"
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    reports = sorted(p for p in (j.cwd / "radiograph-report").iterdir())
    assert len(reports) == 2, reports
    for r in reports:
        s = json.loads((r / "summary.json").read_text())
        assert s["command"] == ["radiograph.profile", "step"] and s["sample_interval_seconds"] == 0.005
        folded = parse_folded(r / "performance.folded")
        assert {st[0].split(" (")[0] for st in folded} == {"step"}, list(folded)


def test_nested_and_under_radiograph_run(job, radiograph, target, tmp_path):
    """A profile inside a profile, or in a process `radiograph run` already
    profiles, runs its block unprofiled and says so in one line."""
    nested = job(burning("""
        import radiograph
        with radiograph.profile("out", quiet=True):
            with radiograph.profile("inner"):
                burn(0.2)
    """))
    assert nested.proc.returncode == 0, nested.proc.stderr
    assert nested.proc.stderr.startswith("radiograph: a profile is already running in this process"), \
        nested.proc.stderr
    assert not (nested.cwd / "inner").exists()
    assert share(nested.perf(), "burn") > 0.6
    script = tmp_path / "under.py"
    script.write_text(burning("""
        import radiograph
        with radiograph.profile("inner"):
            burn(0.3)
        print("done")
    """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADIOGRAPH_")}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run([radiograph, "run", "-q", "-o", "outer", "--", target["executable"], str(script)],
                       cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "done\n"
    assert "already profiled by `radiograph run`" in p.stderr, p.stderr
    assert not (tmp_path / "inner").exists()
    assert share(parse_folded(tmp_path / "outer" / "performance.folded"), "burn") > 0.5


def test_report_that_cannot_be_written(job):
    """The output directory removed during the block: one line on stderr,
    no exception into the program, which goes on."""
    j = job(burning("""
        import shutil, radiograph
        with radiograph.profile("out") as p:
            burn(0.1)
            shutil.rmtree("out")
        print("went on", p.report)
    """))
    assert j.proc.returncode == 0, j.proc.stderr
    assert j.proc.stdout == "went on None\n"
    assert j.proc.stderr.startswith("radiograph: cannot write the report to 'out': "), j.proc.stderr
    assert len(j.proc.stderr.splitlines()) == 1, j.proc.stderr


def test_bad_arguments(job):
    j = job("""
        import os, radiograph
        for kwargs in ({"rate": 0}, {"rate": "fast"}, {"memory_sample_bytes": 0}):
            try:
                radiograph.profile("x", **kwargs)
            except radiograph.RadiographError as e:
                print(e)
        os.makedirs("taken/raw")
        try:
            with radiograph.profile("taken"):
                print("ran")
        except radiograph.RadiographError as e:
            print(e)
        open("file", "w").close()
        try:
            with radiograph.profile("file/sub"):
                print("ran")
        except radiograph.RadiographError as e:
            print(e)
    """)
    assert j.proc.returncode == 0, j.proc.stderr
    lines = j.proc.stdout.splitlines()
    assert lines[:3] == ["radiograph: rate 0 is not a rate: give samples per second from 1 to 10000",
                         "radiograph: rate 'fast' is not a rate: give samples per second from 1 to 10000",
                         "radiograph: memory_sample_bytes 0 is not a size: give bytes from 1 to 2^40"], lines
    assert lines[3] == ("radiograph: 'taken' already holds a report (or another run is writing one "
                        "there): choose another directory, or remove it")
    assert lines[4].startswith("radiograph: cannot write the report to 'file/sub': ") and "ran" not in lines
    assert not (j.cwd / "x").exists()


def agent_tls_size(path):
    """PT_TLS's memory size in the agent's program headers (ELF64 LE)."""
    data = Path(path).read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, _, _, _, _, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 7:   # PT_TLS
            return p_memsz
    return 0


@pytest.mark.once
def test_agent_static_tls_fits_a_dlopen():
    """The agent's TLS is initial-exec (its hooks must not call into the
    dynamic linker), so when it is dlopened into a running program its TLS
    comes from glibc's static TLS surplus, of which only a few hundred bytes
    are promised to libraries loaded late (glibc.rtld.optional_static_tls,
    512 by default): keep it well within that."""
    size = agent_tls_size(ROOT / "build" / "libradiograph_agent.so")
    assert 0 < size <= 256, size

"""Never harm the job (issue 13): a full disk, a file-size limit, a report
directory removed under the run, a seccomp filter that denies reading the
interpreter, small descriptor and thread limits. In every case the program
runs as it would without radiograph, radiograph exits with the program's
status, and whatever radiograph could not do it says in lines that start
with `radiograph:` and that name the real cause."""
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

# A job whose output and exit status radiograph must leave alone: it prints,
# allocates (so memory records are written), runs deep stacks with many
# leaves in two threads (performance.folded is then far bigger than the raw
# files), forks a child, and exits 3.
JOB = """
import os, sys, threading, time, warnings
# 3.12+ warns at os.fork() that the process has threads, and the sampler's
# counts (test_fork_warns_as_without_radiograph); not what this job is about
warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
print("start", flush=True)
leaves = []
for k in range(100):
    ns = {}
    exec(f"def leaf{k}(x):\\n    for i in range(3000):\\n        x += i\\n    return x\\n", ns)
    leaves.append(ns[f"leaf{k}"])
def spin(t):
    end = time.time() + t
    x, k = [], 0
    while time.time() < end:
        x.append(bytes(2000))
        if len(x) > 2000:
            x.clear()
        leaves[k % 100](k)
        k += 7
def deep(n, t):
    if n == 0:
        return spin(t)
    return deep(n - 1, t)
th = threading.Thread(target=deep, args=(100, 0.4)); th.start()
deep(150, 0.8)
th.join()
pid = os.fork()
if pid == 0:
    spin(0.2)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child", status, flush=True)
print("end", flush=True)
sys.exit(3)
"""
JOB_OUT = "start\nchild 0\nend\n"


def _env(job_path):
    """The environment of a job run directly: the suite's interpreter first
    on PATH as python3 (conftest.py)."""
    return dict(os.environ, PATH=job_path)


def _write_job(tmp_path, source=JOB, name="job.py"):
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    return script


def _radiograph_lines(stderr):
    lines = stderr.strip().splitlines()
    bad = [l for l in lines if not l.startswith("radiograph:")]
    assert not bad, f"stderr lines without 'radiograph:': {bad!r}\n{stderr}"
    return lines


def _temp_files(root):
    """Temporary files radiograph may have left under ROOT."""
    return [p for p in Path(root).rglob("*") if p.name.endswith(".tmp") or ".tmp-" in p.name or
            p.name == "run.info.tmp"]


# ----------------------------------------------------------- a full disk

@pytest.fixture
def small_fs(tmp_path):
    """A 6 MiB tmpfs of the test's own (needs root to mount; CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "fs"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(mnt, leave):
    """Fills MNT up to its last LEAVE bytes."""
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.posix_fallocate(fd, 0, max(free - leave, 1))
    finally:
        os.close(fd)


def test_nearly_full_disk_the_program_runs_and_its_status_is_kept(radiograph, tmp_path, small_fs, job_path):
    # Issue 13.1: the shared files were sparse; the first touch of a page on
    # a full file system was SIGBUS before the program's first line (135).
    script = _write_job(tmp_path)
    for leave in (8 << 10, 100 << 10):
        report = small_fs / f"r{leave}"
        _fill(small_fs, leave)
        p = subprocess.run([radiograph, "run", "-o", str(report), str(script)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, env=_env(job_path))
        (small_fs / "filler").unlink()
        assert p.returncode == 3, (leave, p.returncode, p.stderr)
        assert p.stdout == JOB_OUT, (leave, p.stdout)
        lines = _radiograph_lines(p.stderr)
        assert any("No space left on device" in l for l in lines), (leave, p.stderr)
        assert not any("Input/output error" in l or "may not have been a Python" in l
                       for l in lines), p.stderr
        assert not _temp_files(report), _temp_files(report)
        assert not (report / "raw" / "tree.shm").exists()


def test_disk_filling_up_during_the_run_harms_no_process(radiograph, tmp_path, small_fs, job_path):
    # Issue 13.1: filling up during a run, forked children touching new
    # pages of the shared files died of SIGBUS (50 of 300).
    script = _write_job(tmp_path, f"""
        import os, sys, warnings
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        filler = os.open({str(small_fs / 'filler')!r}, os.O_WRONLY | os.O_CREAT)
        chunk = b"x" * 65536
        try:
            while True:
                os.write(filler, chunk)
        except OSError as e:
            print("full:", e.strerror, flush=True)
        bad = 0
        for i in range(300):
            pid = os.fork()
            if pid == 0:
                x = [bytes(100) for _ in range(100)]
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            bad += status != 0
        print("children that failed:", bad, flush=True)
        os.close(filler)
        os.unlink({str(small_fs / 'filler')!r})
        sys.exit(5)
    """)
    p = subprocess.run([radiograph, "run", "-o", str(small_fs / "r"), str(script)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300, env=_env(job_path))
    assert p.stdout == "full: No space left on device\nchildren that failed: 0\n", p.stdout
    assert p.returncode == 5, (p.returncode, p.stderr)
    _radiograph_lines(p.stderr)
    assert not _temp_files(small_fs / "r")


# ----------------------------------------------------- a file-size limit

@pytest.mark.parametrize("limit_kib", [8, 100, 300, 700])
def test_file_size_limit_is_a_write_error_not_a_signal(radiograph, tmp_path, limit_kib, job_path):
    # Issue 13.2: under ulimit -f 100 the launcher died of SIGXFSZ (153);
    # between 260K and 700K radiograph died writing timeline.json and lost
    # the program's status, leaving a temporary file.
    script = _write_job(tmp_path)
    limit = limit_kib << 10
    report = tmp_path / "r"

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = subprocess.run([radiograph, "run", "-o", str(report), str(script)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, preexec_fn=limited,
                       env=_env(job_path))
    assert p.returncode == 3, (limit_kib, p.returncode, p.stderr)
    assert p.stdout == JOB_OUT
    lines = _radiograph_lines(p.stderr)
    assert not _temp_files(report), _temp_files(report)
    names = ["performance.folded", "summary.json", "timeline.json",
             "profile.speedscope.json", "index.html"]
    missing = [n for n in names if not (report / n).exists()]
    failed = [l for l in lines if "could not write" in l]
    if missing:
        # one line says what could not be written, and why
        assert len(failed) == 1, p.stderr
        assert "File too large" in failed[0] and f"is {limit} bytes" in failed[0], failed
        assert all(n in failed[0] for n in missing), (missing, failed)
    for f in report.rglob("*"):
        assert f.stat().st_size <= limit, (f, f.stat().st_size)
    if (report / "summary.json").exists():
        s = json.loads((report / "summary.json").read_text())
        assert s["exit_code"] == 3
        if limit_kib == 8:
            notes = " ".join(s["notes"])
            assert "shared peak-memory total could not be set up (File too large)" in notes, notes
            assert "its raw file reached the file-size limit (ulimit -f, 8192 bytes)" in notes, notes


# ------------------------------------- the report directory removed mid-run

def test_report_directory_removed_during_the_run(radiograph, tmp_path, job_path):
    # Issue 13.3: "the program may not have been a Python program" was the
    # message; the cause is that the directory is gone.
    script = _write_job(tmp_path, """
        import os, shutil, sys, time
        time.sleep(0.3)
        shutil.rmtree(os.path.dirname(os.environ["RADIOGRAPH_RAW_DIR"]))
        time.sleep(0.3)
        print("done")
        sys.exit(4)
    """)
    report = tmp_path / "r"
    p = subprocess.run([radiograph, "run", "-o", str(report), str(script)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60, env=_env(job_path))
    assert p.returncode == 4 and p.stdout == "done\n", (p.returncode, p.stderr)
    lines = _radiograph_lines(p.stderr)
    assert lines[-1] == f"radiograph: the report directory {report} was removed while the " \
                        "program ran: no report", lines
    assert not any("Python program" in l for l in lines), lines


# ------------------------------------ the interpreter's memory cannot be read

DENY = """
import ctypes, struct
def deny(*numbers):
    '''A seccomp filter on every thread (TSYNC) that fails the system calls
    NUMBERS (x86-64) with EPERM.'''
    body = []
    for nr in numbers:
        body += [(0x15, 0, 1, nr), (0x06, 0, 0, 0x00050000 | 1)]
    insns = ([(0x20, 0, 0, 4), (0x15, 0, 1 + len(body), 0xC000003E), (0x20, 0, 0, 0)] + body +
             [(0x06, 0, 0, 0x7FFF0000)])
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in insns))
    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    prog = Prog(len(insns), ctypes.addressof(code))
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(38, 1, 0, 0, 0) == 0              # PR_SET_NO_NEW_PRIVS
    assert libc.syscall(317, 1, 1, ctypes.byref(prog)) == 0, ctypes.get_errno()
PROCESS_VM_READV, PREAD64, WRITEV = 310, 17, 20
"""

SECCOMP_JOB = """
import sys, time
from deny import deny, PROCESS_VM_READV, PREAD64, WRITEV
def before():
    end = time.time() + 0.5
    while time.time() < end: pass
def after():
    end = time.time() + 1.5
    while time.time() < end: pass
before()
# "vm": both ways the sampler reads by system call (its pipe is written with writev)
ways = {"vm": (PROCESS_VM_READV, WRITEV), "vm-only": (PROCESS_VM_READV,), "pread": (PREAD64,)}
deny(*[nr for a in sys.argv[1:] for nr in ways[a]])
after()
print("done")
"""

needs_x86_64 = pytest.mark.skipif(platform.machine() != "x86_64",
                                  reason="the filter is written for x86-64 system call numbers")


def _leaf_share(folded, name):
    return sum(c for st, c in folded.items() if any(f.startswith(name + " (") for f in st))


@needs_x86_64
def test_process_vm_readv_denied_mid_run_reads_through_proc_mem(run, tmp_path):
    # Issue 13.8: with process_vm_readv denied, summary.json said 201
    # samples, performance.folded held 5, and no note said why.
    (tmp_path / "deny.py").write_text(DENY)
    r = run(SECCOMP_JOB, args=["vm"])
    assert r.proc.returncode == 0 and r.proc.stdout == "done\n", r.proc.stderr
    notes = " ".join(r.summary["notes"])
    assert "process_vm_readv was denied (Operation not permitted" in notes, notes
    assert "/proc/self/mem instead" in notes, notes
    folded = r.folded
    # after() ran three times as long as before(): it was sampled, not lost
    assert _leaf_share(folded, "after") > _leaf_share(folded, "before") > 0, folded


@needs_x86_64
def test_process_vm_readv_denied_the_sampler_reads_through_its_pipe(run, tmp_path):
    # The sampler reads through a pipe of its own (writev, readv), not
    # process_vm_readv: a filter on that alone loses nothing.
    (tmp_path / "deny.py").write_text(DENY)
    r = run(SECCOMP_JOB, args=["vm-only"])
    assert r.proc.returncode == 0 and r.proc.stdout == "done\n", r.proc.stderr
    s = r.summary
    assert "could not be read" not in " ".join(s["notes"]), s["notes"]
    assert s["dropped_samples"] <= 0.05 * s["samples"], s
    assert _leaf_share(r.folded, "after") > 2 * _leaf_share(r.folded, "before") > 0, r.folded


@needs_x86_64
def test_interpreter_unreadable_says_so_and_counts_the_loss(run, tmp_path):
    (tmp_path / "deny.py").write_text(DENY)
    r = run(SECCOMP_JOB, args=["vm", "pread"])
    assert r.proc.returncode == 0 and r.proc.stdout == "done\n", r.proc.stderr
    s = r.summary
    notes = " ".join(s["notes"])
    assert "the interpreter could not be read" in notes, notes
    assert "/proc/self/mem could not be read either (Operation not permitted)" in notes, notes
    import re
    m = re.search(r"(\d+) samples were lost because the interpreter could not be read", notes)
    assert m, notes
    lost = int(m.group(1))
    assert 0 < lost <= s["samples"] and s["dropped_samples"] >= lost, (lost, s)
    # what was read before the filter is all there is
    assert _leaf_share(r.folded, "after") == 0 and _leaf_share(r.folded, "before") > 0


@needs_x86_64
def test_process_vm_readv_denied_from_the_start(run, tmp_path):
    # the filter is inherited through exec: the agent finds it at start-up
    (tmp_path / "deny.py").write_text(DENY)
    (tmp_path / "burn.py").write_text(textwrap.dedent("""
        import time
        def burn():
            end = time.time() + 1
            while time.time() < end: pass
        burn()
        print("burnt")
    """))
    r = run(f"""
        import os, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from deny import deny, PROCESS_VM_READV, WRITEV
        deny(PROCESS_VM_READV, WRITEV)
        os.execv(sys.executable, [sys.executable, {str(tmp_path / 'burn.py')!r}])
    """)
    assert r.proc.returncode == 0 and r.proc.stdout == "burnt\n", r.proc.stderr
    assert "process_vm_readv was denied" in " ".join(r.summary["notes"])
    assert _leaf_share(r.folded, "burn") > 0, r.folded


# ------------------------------------------------- descriptors and threads

FDS = """
import json, os, sys, time
fds = [os.open(os.devnull, os.O_RDONLY)]
time.sleep(0.2)
fds.append(os.open(os.devnull, os.O_RDONLY))
x = [bytes(1000) for i in range(20000)]
time.sleep(0.4)
fds.append(os.open(os.devnull, os.O_RDONLY))
raw = []
for n in os.listdir("/proc/self/fd"):
    try:
        if os.readlink("/proc/self/fd/" + n).endswith(".rgd"):
            raw.append(int(n))
    except OSError:
        pass                      # the directory listing's own descriptor
print(json.dumps([fds, raw]))
"""


@pytest.mark.parametrize("limit", [20, 64, 1024])
def test_agent_descriptors_stay_out_of_the_programs_low_numbers(radiograph, tmp_path, limit,
                                                                  target):
    # Issue 13.9: under ulimit -n 20 the program's open() returned 4 where it
    # returns 3 without radiograph: the raw file took the lowest number.
    script = _write_job(tmp_path, FDS)

    def limited():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    py = target["executable"]
    bare = subprocess.run([py, str(script)], capture_output=True, text=True,
                          preexec_fn=limited, close_fds=True)
    prof = subprocess.run([radiograph, "run", "-q", "-o", str(tmp_path / "r"), "--",
                           py, str(script)], capture_output=True, text=True,
                          preexec_fn=limited,
                          close_fds=True, timeout=60)
    assert bare.returncode == 0 and prof.returncode == 0, (bare.stderr, prof.stderr)
    bare_fds, _ = json.loads(bare.stdout)
    prof_fds, raw = json.loads(prof.stdout)
    assert prof_fds == bare_fds, (prof_fds, bare_fds)
    assert raw and min(raw) >= min(limit, 1024) // 2, raw


TAKEOVER = """
import os, sys, time
# a daemon's way: close every descriptor, then give each number a file of
# its own (here all the same one); nothing but the program writes there
out = sys.argv[1]
os.closerange(3, 1024)
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for n in range(fd + 1, 1024):
    os.dup2(fd, n)
def work():
    end = time.time() + 0.8
    while time.time() < end:
        [bytes(100) for i in range(100)]
work()
os.write(fd, b"mine\\n")
print("ok")
"""


def test_the_sampler_never_writes_into_a_file_that_took_its_descriptor(radiograph, tmp_path,
                                                                       target):
    # The sampler reads memory by writing it into a pipe of its own; a
    # program that closes every descriptor and reuses the numbers must find
    # in its files only what it wrote, and the sampler must go on reading.
    script = _write_job(tmp_path, TAKEOVER)
    out = tmp_path / "out.txt"
    prof = subprocess.run([radiograph, "run", "-q", "-o", str(tmp_path / "r"), "--",
                           target["executable"], str(script), str(out)],
                          capture_output=True, text=True, timeout=60)
    assert prof.returncode == 0 and prof.stdout == "ok\n", prof.stderr
    assert out.read_bytes() == b"mine\n"
    s = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert s["samples"] >= 40 and s["dropped_samples"] <= 0.05 * s["samples"], s


PLACES = """
import json, os, threading, time, sys
sys.setrecursionlimit(10000)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def down(k):
    return fib(12) if k == 0 else down(k - 1)
def held():                       # threads of ours held to one CPU
    out = {}
    for t in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{t}/status") as f:
            line = [l for l in f if l.startswith("Cpus_allowed_list")][0]
        out[int(t)] = line.split()[1]
    return out
mine = sorted(os.sched_getaffinity(0))
end = time.time() + 1.2
while time.time() < end:          # CPython maps and unmaps a frame-stack chunk per deep call
    for k in range(300, 700, 7): down(k)
alone = held()
seen = []
t = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))
t.start(); t.join()
stop = False
def spin():
    while not stop: sum(range(1000))
w = threading.Thread(target=spin); w.start()
time.sleep(0.8)
threads = held()
stop = True; w.join()
print(json.dumps({"mine": mine, "after": sorted(os.sched_getaffinity(0)), "thread": seen[0],
                  "main": os.getpid(), "alone": alone, "threads": threads}))
"""


def test_the_sampler_takes_turns_on_one_cpu_only_while_the_program_has_one_thread(
        radiograph, tmp_path, target):
    # A single-threaded program that unmaps often: the sampler is held to its
    # CPU (no other CPU in the mask every munmap must ask); the program's own
    # threads never are; with a second program thread the sampler runs free.
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs to tell")
    script = _write_job(tmp_path, PLACES)
    bare = subprocess.run([target["executable"], str(script)], capture_output=True, text=True,
                          timeout=60)
    prof = subprocess.run([radiograph, "run", "-q", "-o", str(tmp_path / "r"), "--",
                           target["executable"], str(script)],
                          capture_output=True, text=True, timeout=60)
    assert bare.returncode == 0 and prof.returncode == 0, (bare.stderr, prof.stderr)
    b, p = json.loads(bare.stdout), json.loads(prof.stdout)
    assert p["mine"] == b["mine"] and p["after"] == b["mine"] and p["thread"] == b["mine"], p
    main = str(p["main"])
    one = [t for t, cpus in p["alone"].items() if t != main and "," not in cpus and "-" not in cpus]
    assert p["alone"][main] == b["alone"][str(b["main"])] and len(one) >= 1, p["alone"]
    assert all("," in c or "-" in c for c in p["threads"].values()), p["threads"]


FD_RACE = """
import json, os, threading, time
stop = False
def spin():                      # threads for the sampler to read /proc files of
    while not stop:
        time.sleep(0.0005)
ts = [threading.Thread(target=spin) for _ in range(3)]
for t in ts: t.start()
time.sleep(0.3)                  # each thread sampled: its files kept (see below)
first = os.open(os.devnull, os.O_RDONLY); os.close(first)
opens = elsewhere = 0
end = time.time() + 1.0
while time.time() < end:
    fd = os.open(os.devnull, os.O_RDONLY)
    elsewhere += fd != first
    os.close(fd); opens += 1
stop = True
for t in ts: t.join()
print(json.dumps([first, opens, elsewhere]))
"""


@pytest.mark.parametrize("limit", [64, 1024])
def test_sampler_reads_never_take_the_programs_next_descriptor(radiograph, tmp_path, limit,
                                                               target):
    # A /proc file the sampler opened for a few microseconds took the number
    # the program's next open() would get: of a second of opens and closes
    # sampled at 1,000 Hz, 0.4% got another number under ulimit -n 64 (every
    # /proc read an open there) and 0.02% under 1024 (the thread list). The
    # reads that open a file are made in a descriptor table of the agent's
    # own now. (Under 1024 and over, a thread's two kept files are still
    # opened in the program's table, once, when the thread is first
    # sampled: README, what the agent takes; hence the job's pause.)
    script = _write_job(tmp_path, FD_RACE)

    def limited():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    prof = subprocess.run([radiograph, "run", "-q", "--rate", "1000", "-o", str(tmp_path / "r"),
                           "--", target["executable"], str(script)], capture_output=True,
                          text=True, preexec_fn=limited, close_fds=True, timeout=60)
    assert prof.returncode == 0, prof.stderr
    first, opens, elsewhere = json.loads(prof.stdout)
    assert opens > 10000, opens
    assert elsewhere == 0, (elsewhere, opens)
    # the sampler still read the threads' /proc files: their waits are named
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["samples"] > 500, summary["samples"]
    folded = (tmp_path / "r" / "performance.folded").read_text()
    assert "[waiting" in folded or "[sleeping" in folded, folded[:2000]


THREADS = """
import threading, time
end = time.time() + 0.3          # sampled for a while first
while time.time() < end:
    pass
ev = threading.Event()
ts = []
try:
    while len(ts) < 500:
        t = threading.Thread(target=ev.wait)
        t.start()
        ts.append(t)
except RuntimeError:
    pass
print(len(ts))
ev.set()
for t in ts:
    t.join()
"""


def _nobody_python():
    """A Python that user nobody can run (pyenv's live under /root): the
    test picks its own, so it runs once (marker `once`, tests/run.py)."""
    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)
    for py in (sys.executable, "/usr/bin/python3"):
        try:
            p = subprocess.run([py, "-c", "print(1)"], preexec_fn=as_nobody,
                               capture_output=True, text=True)
        except OSError:
            continue
        if p.returncode == 0:
            return py
    return None


@pytest.mark.once
def test_the_sampler_gives_its_thread_to_the_program_under_ulimit_u(radiograph):
    # Issue 13.9: under ulimit -u the program got two fewer threads (the
    # radiograph process and the sampler thread); the sampler's is given back.
    if os.geteuid() != 0:
        pytest.skip("needs root to run the job as another user (a limit on root's threads "
                    "is not enforced)")
    py = _nobody_python()
    if not py:
        pytest.skip("no Python that user nobody can run")
    # a directory user nobody can reach (pytest's own are private to root)
    work = Path(tempfile.mkdtemp(prefix="rg-nproc-"))
    try:
        os.chmod(work, 0o777)
        script = _write_job(work, THREADS)
        os.chmod(script, 0o644)

        def as_nobody():
            os.setgid(65534)
            os.setuid(65534)
            resource.setrlimit(resource.RLIMIT_NPROC, (30, 30))

        bare = subprocess.run([py, str(script)], capture_output=True, text=True,
                              preexec_fn=as_nobody)
        prof = subprocess.run([radiograph, "run", "-q", "-o", str(work / "r"), "--", py,
                               str(script)], capture_output=True, text=True,
                              preexec_fn=as_nobody, cwd=work, timeout=60)
        assert bare.returncode == 0 and prof.returncode == 0, (bare.stderr, prof.stderr)
        s = json.loads((work / "r" / "summary.json").read_text())
        if s["samples"] == 0:
            pytest.skip(f"{py} is not a Python the agent profiles")
        # the radiograph process itself is the one the program cannot have back
        assert int(prof.stdout) == int(bare.stdout) - 1, (prof.stdout, bare.stdout)
        assert "the sampler gave it its own" in " ".join(s["notes"]), s["notes"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_child_whose_last_thread_exits_is_not_kept_alive(run):
    # Found running CPython's own test_threading under radiograph: a child
    # forked from a thread ends when that thread's function returns (the
    # last thread leaving through pthread_exit); the sampler thread kept
    # the process alive for ever, and the parent waiting for it hung.
    r = run("""
        import os, threading, time
        def worker():
            pid = os.fork()
            if pid:
                _, status = os.waitpid(pid, 0)
                print("child status", status, flush=True)
                return
            t = threading.Thread(target=time.sleep, args=(0.3,))
            t.start()
            t.join()
            print("child done", flush=True)
        w = threading.Thread(target=worker)
        w.start()
        w.join()
    """, timeout=60)
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.proc.stdout == "child done\nchild status 0\n"
    s = r.summary
    assert s["processes"] == 2 and not any("without an end record" in n for n in s["notes"]), s



def test_fork_warns_as_without_radiograph(run, target, tmp_path):
    """CPython 3.12+ warns at os.fork() when /proc/self/stat counts more than
    one thread. The sampler's thread ends before fork and comes back after
    the count, so a single-threaded job that forks says what it says bare,
    under -W error too, and its parent is still sampled after the fork."""
    source = ("import os, sys, time\n"
              "def after():\n    end = time.process_time() + 0.4\n"
              "    while time.process_time() < end: pass\n"
              "pid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\n"
              "after()\nprint('ok', sys.warnoptions)\n")
    script = tmp_path / "fork.py"
    script.write_text(source)
    for flags in ([], ["-W", "error"]):
        bare = subprocess.run([target["executable"], *flags, str(script)], capture_output=True, text=True)
        r = run(command=["--", target["executable"], *flags, str(script)])
        assert r.proc.returncode == bare.returncode == 0, (flags, r.proc.stderr)
        assert r.proc.stdout == bare.stdout, flags
        program_err = "".join(l for l in r.proc.stderr.splitlines(True) if not l.startswith("radiograph:"))
        assert program_err == bare.stderr, flags
        assert any(f.startswith("after (") for st in r.folded for f in st), list(r.folded)[:5]
        r.report.rename(tmp_path / f"report{len(flags)}")


MALLOC_STATE = """
import ctypes, json, sys
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def mapped(n):
    # glibc's chunk header: flag 2, a block of its own mapping
    p = libc.malloc(n)
    flag = ctypes.c_size_t.from_address(p - 8).value & 2
    libc.free(p)
    return bool(flag)
# Smallest first: a block freed from its own mapping raises glibc's
# threshold to its size, so each probe is just over the one before.
print(json.dumps([mapped(n) for n in (140_000, 300_000, 1 << 20, 8 << 20)]))
"""


def test_the_programs_malloc_keeps_its_own_mmap_threshold(run, tmp_path, job_path):
    # glibc maps a block of its own for a request over its mmap threshold,
    # and raises the threshold to the size of any such block freed. The
    # agent's start-up check of chunk sizes once freed a 2 MiB one: the
    # program's blocks up to 2 MiB then came from the heap (numpy's jobs
    # took a quarter of their page faults). Which sizes glibc maps must be
    # what it is without radiograph.
    script = _write_job(tmp_path, MALLOC_STATE, "state.py")
    plain = subprocess.run(["python3", str(script)], capture_output=True, text=True,
                           env=_env(job_path), timeout=60)
    assert plain.returncode == 0, plain.stderr
    r = run(command=[str(script)])
    assert r.proc.returncode == 0, r.proc.stderr
    assert json.loads(r.proc.stdout) == json.loads(plain.stdout), (r.proc.stdout, plain.stdout)

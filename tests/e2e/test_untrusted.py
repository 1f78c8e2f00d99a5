"""Never trust the input (issue 13): a report or raw directory may come
from someone else. Files are created without following or reusing a name
planted there, only Python source files are read for source lines, raw
files are read within bounded memory, and an output directory belongs to
one run."""
import json
import os
import resource
import struct
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

OUTPUTS = ["performance.folded", "memory.folded", "summary.json", "timeline.json",
           "profile.speedscope.json", "index.html"]


def _report(run, source="s = 0\nfor i in range(1_000_000):\n    s += i\n"):
    r = run(source)
    assert r.proc.returncode == 0, r.proc.stderr
    return r


# ------------------------------------------------------- planted symlinks

def test_report_never_writes_through_a_planted_symlink(run, radiograph, tmp_path):
    # Issue 13.4: `radiograph report DIR` opened DIR/.NAME.tmp-PID with
    # O_CREAT|O_TRUNC: a symlink planted under that name (the next pids are
    # easy to guess) made it overwrite any file the user can write.
    r = _report(run)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    last = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    for pid in range(last + 1, last + 400):
        for name in OUTPUTS:
            os.symlink(victim, r.report / f".{name}.tmp-{pid}")
    # the final names too: replaced, never followed
    for name in ("index.html", "summary.json"):
        (r.report / name).unlink()
        os.symlink(victim, r.report / name)
    p = subprocess.run([radiograph, "report", str(r.report)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "precious\n"
    for name in OUTPUTS:
        f = r.report / name
        assert f.is_file() and not f.is_symlink(), name
    assert json.loads((r.report / "summary.json").read_text())["samples"] > 0
    # nothing left but what was planted
    left = [p.name for p in r.report.iterdir() if p.name.startswith(".") and not p.is_symlink()]
    assert not left, left


def test_compare_never_writes_through_a_planted_symlink(run, radiograph, tmp_path):
    r = _report(run)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "cmp"
    out.mkdir()
    last = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    for pid in range(last + 1, last + 400):
        for name in ("comparison.json", "index.html"):
            os.symlink(victim, out / f".{name}.tmp-{pid}")
    p = subprocess.run([radiograph, "compare", "-q", "-o", str(out), str(r.report), str(r.report)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "precious\n"
    assert json.loads((out / "comparison.json").read_text())["elapsed_seconds"]


# ------------------------------------------------ source lines: only Python

SECRET = "TOPSECRET-5f1c9a token=hunter2"


def test_only_python_source_files_are_read_for_source_lines(run, tmp_path):
    # Issue 13.5: source lines were read from whatever file a frame names;
    # frames naming /etc/shadow put its lines into index.html.
    secret = tmp_path / "secret.txt"
    secret.write_text(f"first line\n{SECRET}\n{SECRET}\n")
    (tmp_path / "evil.py").symlink_to(secret)          # named .py, leads to a secret
    binary = tmp_path / "blob.py"                      # named .py, not text
    binary.write_bytes(b"\x00\x01" + SECRET.encode() + b"\n" + SECRET.encode() + b"\n")
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "real.py").write_text("# a real module\nGENUINE_SOURCE_LINE = 1\n")
    (tmp_path / "link.py").symlink_to(lib / "real.py")  # a symlink to real source: read
    r = run(f"""
        def busy():
            s = 0
            for i in range(400_000):
                s += i
        # frames whose file names are the planted files, line 2 each
        for name in ({str(secret)!r}, {str(tmp_path / 'evil.py')!r}, {str(binary)!r},
                     {str(tmp_path / 'link.py')!r}):
            code = compile("\\nbusy()\\n", name, "exec")
            for _ in range(5):
                exec(code)
        print("ok")
    """)
    assert r.proc.returncode == 0 and r.proc.stdout == "ok\n", r.proc.stderr
    folded = (r.report / "performance.folded").read_text()
    for name in ("secret.txt", "evil.py", "blob.py", "link.py"):
        assert f"{name}:2)" in folded, (name, folded[:2000])
    page = (r.report / "index.html").read_text()
    assert "TOPSECRET" not in page and "hunter2" not in page
    assert "GENUINE_SOURCE_LINE = 1" in page          # the symlink to real source is read
    assert "s += i" in page                           # and the job's own lines


# ------------------------------------------------- an oversized sparse .rgd

def test_oversized_sparse_raw_file_is_read_in_bounded_memory(run, radiograph):
    # Issue 13.6: the raw reader loaded a whole .rgd at once: an 8 GB file
    # took 8.4 GB of memory; a 20 GB sparse one would exhaust the machine.
    r = _report(run)
    real = sorted((r.report / "raw").glob("*.rgd"))[0]
    head = bytearray(real.read_bytes()[:64])
    struct.pack_into("<I", head, 16, 999999)           # its own pid
    big = r.report / "raw" / "999999.rgd"
    with open(big, "wb") as f:
        f.write(head)
        f.truncate(20 << 30)                           # 20 GiB, no blocks
    assert big.stat().st_blocks * 512 < (1 << 20)

    def small_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    t0 = time.monotonic()
    p = subprocess.run([radiograph, "report", str(r.report)], capture_output=True, text=True,
                       preexec_fn=small_memory, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "partial" in p.stderr
    s = json.loads((r.report / "summary.json").read_text())
    notes = " ".join(s["notes"])
    assert "999999.rgd" in notes and "zeros from byte 64" in notes, notes
    assert s["processes"] == 2 and s["samples"] > 0
    assert time.monotonic() - t0 < 120   # the hole is not read through


# -------------------------------------------------- two runs on one -o

def test_two_runs_on_one_output_directory(radiograph, tmp_path, job_path):
    # Issue 13.7: started at the same moment, both proceeded and wrote one
    # report mixing both runs (6 of 6 tries), the second truncating the
    # first's shared files under it.
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        with open("ran", "a") as f:
            f.write(sys.argv[1] + "\\n")
        x = []
        for i in range(300):
            x.append(bytes(100_000))         # touches the shared peak file
            if len(x) > 50:
                x.clear()
        time.sleep(0.3)
        sys.exit(int(sys.argv[2]))
    """))
    for attempt in range(6):
        out = tmp_path / f"out{attempt}"
        ran = tmp_path / "ran"
        if ran.exists():
            ran.unlink()
        procs = [subprocess.Popen([radiograph, "run", "-q", "-o", str(out), str(script), tag, code],
                                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=dict(os.environ, PATH=job_path))
                 for tag, code in (("A", "3"), ("B", "4"))]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = sorted(rc for rc, _ in results)
        assert len(codes) == 2 and 2 in codes and (3 in codes or 4 in codes), (attempt, results)
        loser = next(err for rc, err in results if rc == 2)
        lines = loser.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("radiograph: ") and \
            "already holds a report" in lines[0], loser
        tags = ran.read_text().split()
        assert len(tags) == 1, (attempt, tags)      # the other program never ran
        s = json.loads((out / "summary.json").read_text())
        assert s["processes"] == 1 and s["command"][-2] == tags[0], s["command"]
        assert s["exit_code"] == {"A": 3, "B": 4}[tags[0]]


def test_default_output_directories_never_collide(radiograph, tmp_path, job_path):
    # without -o, runs started in the same second get a directory each
    script = tmp_path / "job.py"
    script.write_text("import time\ntime.sleep(0.2)\n")
    procs = [subprocess.Popen([radiograph, "run", "-q", str(script)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, PATH=job_path))
             for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(rc == 0 for rc, _ in results), results
    dirs = {err.strip().splitlines()[-1] for _, err in results}
    assert len(dirs) == 4, dirs

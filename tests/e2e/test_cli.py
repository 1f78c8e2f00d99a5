"""The command line's contracts: exit status, stdio, signals, bad input."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT


def test_exit_status_is_the_programs(run):
    r = run("import sys\nprint('out'); sys.exit(3)\n")
    assert r.proc.returncode == 3
    assert r.proc.stdout == "out\n"
    assert r.summary["exit_code"] == 3


def test_death_by_signal_is_128_plus_n(run):
    # computes for 0.4 s of its own CPU time (past the agent's first flushes,
    # at 0.1 and 0.3 s; a loop count took 0.1 s under Debian's python3.11)
    r = run("""
        import os, signal, time
        end = time.process_time() + 0.4
        while time.process_time() < end:
            s = sum(range(100_000))
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """)
    assert r.proc.returncode == 128 + signal.SIGTERM
    s = r.summary
    assert s["signal"] == signal.SIGTERM
    assert s["samples"] > 0


def test_sigkill_still_leaves_a_report(run):
    r = run("""
        import os, signal, time
        def compute():
            end = time.time() + 1.5
            s = 0
            while time.time() < end:
                s += 1
        compute()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert r.proc.returncode == 128 + signal.SIGKILL
    assert r.share(lambda s: any("compute" in f for f in s)) > 0.5
    s = r.summary
    assert s["process_ends"][0]["ended"] == "killed by SIGKILL", s["process_ends"]
    # a note says what is missing only when its last write was long before
    for n in s["notes"]:
        if "are not in the profile" in n:
            assert "was killed by SIGKILL: its last" in n, n


def test_stdio_belongs_to_the_program(run, tmp_path):
    r = run("import sys\ndata = sys.stdin.read()\nsys.stdout.write(data.upper())\n"
            "sys.stderr.write('err-line\\n')\n", input="hello\n")
    assert r.proc.returncode == 0
    assert r.proc.stdout == "HELLO\n"
    lines = r.proc.stderr.splitlines()
    assert lines[0] == "err-line"
    assert "report" in lines[-1] and str(r.report) in lines[-1]


def test_sigterm_to_radiograph_reaches_the_program(radiograph, tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import signal, sys, time\n"
        "def on_term(sig, frame):\n"
        "    open('got-term', 'w').write('yes')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, on_term)\n"
        "open('ready', 'w').close()\n"
        "time.sleep(30)\n")
    p = subprocess.Popen([radiograph, "run", "-q", "-o", "rep", str(script)], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if (tmp_path / "ready").exists():
            break
        time.sleep(0.05)
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert (tmp_path / "got-term").read_text() == "yes"
    assert (tmp_path / "rep" / "index.html").exists()


def _bad(radiograph, tmp_path, *args):
    p = subprocess.run([radiograph, "run", *args], cwd=tmp_path, capture_output=True, text=True)
    return p


def test_bad_inputs_exit_2_with_one_line(radiograph, tmp_path):
    marker = tmp_path / "ran"
    script = tmp_path / "job.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    cases = [
        ["missing.py"],
        ["-m", "no_such_module_xyz"],
        [],
        ["--"],
        ["--", "no-such-command-xyz"],
        ["-o", "/proc/forbidden/report", str(script)],
        ["--rate", "0", str(script)],
        ["--rate", "fast", str(script)],
        ["--bogus", str(script)],
    ]
    for args in cases:
        p = _bad(radiograph, tmp_path, *args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("radiograph: "), (args, p.stderr)
        assert not marker.exists(), args
    p = subprocess.run([radiograph, "frobnicate"], capture_output=True, text=True)
    assert p.returncode == 2


def test_existing_report_is_not_overwritten(run, radiograph, tmp_path):
    r = run("pass\n")
    assert r.proc.returncode == 0
    p = subprocess.run([radiograph, "run", "-o", str(r.report), str(tmp_path / "job.py")],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "already holds a report" in p.stderr


def test_version_and_help(radiograph):
    p = subprocess.run([radiograph, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("radiograph ")
    p = subprocess.run([radiograph, "-h"], capture_output=True, text=True)
    assert p.returncode == 0 and "radiograph run" in p.stdout


def test_module_and_command_forms(run, tmp_path):
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "job.py").write_text(
        "import sys\ns = 0\nfor i in range(1_000_000):\n    s += i\nprint(sys.argv[1:])\n")
    r = run(command=["-m", "mypkg.job", "a", "b"])
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.proc.stdout == "['a', 'b']\n"
    assert r.summary["command"][-3:] == ["mypkg.job", "a", "b"]


def test_command_form_through_bash(run, tmp_path):
    (tmp_path / "child.py").write_text("s = 0\nfor i in range(2_000_000):\n    s += i\n")
    r = run(command=["--", "bash", "-c", "ls >/dev/null; python3 child.py; exit 4"])
    assert r.proc.returncode == 4
    assert r.summary["processes"] == 1, "bash and ls are not Python: only the child is profiled"
    assert r.share(lambda s: any("child.py" in f for f in s)) > 0.5


def test_non_python_program_runs_untouched(radiograph, tmp_path):
    p = subprocess.run([radiograph, "run", "-o", "rep", "--", "bash", "-c", "echo hi; exit 5"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 5
    assert p.stdout == "hi\n"
    assert "no profile data" in p.stderr


def test_python_dash_m_radiograph(tmp_path, target, job_path):
    (tmp_path / "job.py").write_text("print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=job_path)
    p = subprocess.run([target["executable"], "-m", "radiograph", "run", "-q", "-o", "rep", "job.py"],
                       cwd=tmp_path, capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "ok\n"
    assert json.loads((tmp_path / "rep" / "summary.json").read_text())["exit_code"] == 0


def test_fork_child_is_profiled(run):
    r = run("""
        import os
        def child_work():
            s = 0
            for i in range(3_000_000):
                s += i
        pid = os.fork()
        if pid == 0:
            child_work()
            os._exit(0)
        os.waitpid(pid, 0)
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.summary["processes"] == 2
    assert r.share(lambda s: any("child_work" in f for f in s)) > 0.3


def test_report_rerenders_and_survives_damage(run, radiograph):
    r = run("s = 0\nfor i in range(2_000_000):\n    s += i\n")
    assert r.proc.returncode == 0
    before = r.folded
    (r.report / "index.html").unlink()
    p = subprocess.run([radiograph, "report", str(r.report)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert (r.report / "index.html").exists()
    assert r.folded == before
    raw = sorted((r.report / "raw").glob("*.rgd"))[0]
    data = raw.read_bytes()
    raw.write_bytes(data[: len(data) * 2 // 3])
    (r.report / "raw" / "999999.rgd").write_bytes(os.urandom(5000))
    p = subprocess.run([radiograph, "report", str(r.report)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert r.summary["partial"] is True
    p = subprocess.run([radiograph, "report", str(r.report / "nope")], capture_output=True, text=True)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_killed_radiograph_leaves_raw_for_report(radiograph, tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import os, time\n"
        "open('pid', 'w').write(str(os.getpid()))\n"
        "def work():\n"
        "    end = time.time() + 30\n"
        "    s = 0\n"
        "    while time.time() < end:\n"
        "        s += 1\n"
        "work()\n")
    p = subprocess.Popen([radiograph, "run", "-q", "-o", "rep", str(script)], cwd=tmp_path,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text():
            break
        time.sleep(0.05)
    time.sleep(1.5)
    p.kill()
    p.wait()
    child = int((tmp_path / "pid").read_text())
    os.kill(child, signal.SIGKILL)
    time.sleep(0.2)
    assert not (tmp_path / "rep" / "index.html").exists()
    q = subprocess.run([radiograph, "report", str(tmp_path / "rep")], capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    s = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert s["samples"] > 50
    assert s["exit_code"] is None
    folded = (tmp_path / "rep" / "performance.folded").read_text()
    assert "work (" in folded


def test_a_program_shorter_than_one_sample_still_gets_its_report(radiograph, tmp_path, target):
    """A script that ends before the first sample (and whose interpreter
    has finalised before the agent's exit hook runs) still leaves its raw
    file: the report is written, with the process and no samples."""
    import json
    script = tmp_path / "p.py"
    script.write_text("pass\n")
    # a virtualenv's python starts fastest here, which is what showed it
    subprocess.run([target["executable"], "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    for i in range(12):
        out = tmp_path / f"r{i}"
        p = subprocess.run([radiograph, "run", "-q", "-o", str(out), "--", python, str(script)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert (out / "index.html").exists(), (i, p.stderr)
        s = json.loads((out / "summary.json").read_text())
        assert s["processes"] == 1 and s["exit_code"] == 0

"""End-to-end helpers: run real Python programs under `build/radiograph run`
and parse what the report leaves (performance.folded, summary.json).

The programs run under the interpreter RADIOGRAPH_TEST_PYTHON names (tests/run.py
sets it to each supported CPython in turn), or `python3` on PATH: it is put
first on the jobs' PATH as `python3` and `python`, so `radiograph run job.py`
and a job's own `subprocess.run(["python3", ...])` use it. pytest itself runs
under whatever ran it."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RADIOGRAPH = Path(os.environ.get("RADIOGRAPH_BIN", ROOT / "build" / "radiograph"))
sys.path.insert(0, str(ROOT / "tools"))
import pythons  # noqa: E402

PYTHON = os.environ.get("RADIOGRAPH_TEST_PYTHON") or shutil.which("python3")
TARGET = pythons.describe(PYTHON) if PYTHON else None


def pytest_configure(config):
    config.addinivalue_line("markers", "once: runs in tests/run.py's first pass only "
                            "(the test picks its own interpreters)")


@pytest.fixture(scope="session")
def target():
    """What the jobs' interpreter says of itself: version, hex, path."""
    if not TARGET:
        pytest.fail(f"the interpreter for the jobs ({PYTHON}) does not run")
    return TARGET


@pytest.fixture(scope="session")
def job_path(tmp_path_factory, target):
    """A PATH whose first entry holds `python3` and `python`: the target."""
    bindir = tmp_path_factory.mktemp("python-bin")
    for name in ("python3", "python"):
        (bindir / name).symlink_to(target["executable"])
    return f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"


def target_has(module):
    """1 if the jobs' interpreter can import MODULE."""
    return subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True).returncode == 0


def require(module):
    """Fails (does not skip) a test whose job needs MODULE where it is missing:
    the suite claims to run under every supported interpreter."""
    if not target_has(module):
        pytest.fail(f"{module} is not installed for {PYTHON}: run `make setup` "
                    "(it installs what the tests' jobs need into every supported interpreter)")


@pytest.fixture(scope="session")
def radiograph():
    if not RADIOGRAPH.exists():
        pytest.fail("build/radiograph is missing: run 'make build' first")
    return str(RADIOGRAPH)


def parse_folded(path):
    """Returns a Counter {tuple(frames): count}."""
    out = Counter()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        assert stack and count.isdigit(), f"unparseable folded line: {line!r}"
        out[tuple(stack.split(";"))] += int(count)
    return out


class Run:
    def __init__(self, proc, report):
        self.proc = proc
        self.report = Path(report)

    @property
    def summary(self):
        return json.loads((self.report / "summary.json").read_text())

    @property
    def folded(self):
        return parse_folded(self.report / "performance.folded")

    def share(self, predicate, folded=None):
        """Fraction of samples whose stack satisfies PREDICATE(frames)."""
        folded = self.folded if folded is None else folded
        total = sum(folded.values())
        return sum(c for s, c in folded.items() if predicate(s)) / max(total, 1)


@pytest.fixture
def run(radiograph, tmp_path, job_path):
    def _run(source=None, args=(), options=(), command=None, timeout=120, env=None, **kw):
        report = tmp_path / "report"
        if command is None:
            script = tmp_path / "job.py"
            script.write_text(textwrap.dedent(source))
            command = [str(script), *args]
        full = [radiograph, "run", "-q", "-o", str(report), *options, *command]
        e = dict(os.environ)
        e["PATH"] = job_path
        if env:
            e.update(env)
        proc = subprocess.run(full, cwd=tmp_path, capture_output=True, text=True,
                              timeout=timeout, env=e, **kw)
        return Run(proc, report)
    return _run


def in_function(name):
    return lambda stack: any(f.split(" (")[0].split(".")[-1] == name for f in stack)


def leaf(stack):
    return stack[-1]

"""End-to-end helpers: run real Python programs under `build/radiograph run`
and parse what the report leaves (performance.folded, summary.json)."""
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RADIOGRAPH = Path(os.environ.get("RADIOGRAPH_BIN", ROOT / "build" / "radiograph"))


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
def run(radiograph, tmp_path):
    def _run(source=None, args=(), options=(), command=None, timeout=120, env=None, **kw):
        report = tmp_path / "report"
        if command is None:
            script = tmp_path / "job.py"
            script.write_text(textwrap.dedent(source))
            command = [str(script), *args]
        full = [radiograph, "run", "-q", "-o", str(report), *options, *command]
        e = dict(os.environ)
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

"""A job that runs out of memory in a memory-limited cgroup: it is killed,
and the report still shows what was holding the memory."""
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import parse_folded


def make_cgroup(limit):
    name = f"radiograph-test-{uuid.uuid4().hex[:8]}"
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    if v2.exists() and "memory" in v2.read_text():
        d = Path("/sys/fs/cgroup") / name
        d.mkdir()
        (d / "memory.max").write_text(str(limit))
        (d / "memory.swap.max").write_text("0") if (d / "memory.swap.max").exists() else None
        return d
    v1 = Path("/sys/fs/cgroup/memory")
    if v1.is_dir():
        d = v1 / name
        d.mkdir()
        (d / "memory.limit_in_bytes").write_text(str(limit))
        return d
    return None


def test_oom_killed_job_leaves_its_memory_profile(radiograph, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("creating a memory cgroup needs root")
    try:
        cg = make_cgroup(400 * 1024 * 1024)
    except OSError as e:
        pytest.skip(f"cannot create a memory cgroup here: {e}")
    if cg is None:
        pytest.skip("no memory cgroup controller")
    script = tmp_path / "hog.py"
    script.write_text(
        "import time\n"
        "def hog():\n"
        "    keep = []\n"
        "    for _ in range(150):          # bounded: 1.5 GB if the limit is not enforced\n"
        "        keep.append(bytearray(10 * 1000 * 1000))\n"
        "        time.sleep(0.05)\n"
        "hog()\n")
    try:
        p = subprocess.run(
            ["sh", "-c", f"echo $$ > {cg}/cgroup.procs && exec {radiograph} run -q -o rep {script}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    finally:
        try:
            cg.rmdir()
        except OSError:
            pass
    if p.returncode == 0:
        pytest.skip("the cgroup's memory limit is not enforced here")
    assert p.returncode == 128 + 9, (p.returncode, p.stderr)
    rep = tmp_path / "rep"
    assert (rep / "index.html").exists(), p.stderr
    summary = (rep / "summary.json").read_text()
    assert "memory nearly exhausted" in summary or '"oom": true' in summary.replace('":true', '": true')
    m = parse_folded(rep / "memory.folded")
    hog = sum(b for s, b in m.items() if any(f.startswith("hog ") for f in s))
    assert hog > 200 * 1000 * 1000, m

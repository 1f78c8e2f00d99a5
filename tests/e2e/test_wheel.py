"""The wheel: `make wheel`'s tools/wheel.py builds one py3-none-manylinux
wheel, which installs into a fresh virtual environment of each supported
CPython and profiles a job there, from the command line and through the
Python API, with nothing of the source tree on the path."""
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, parse_folded

sys.path.insert(0, str(ROOT / "tools"))
import pythons  # noqa: E402

pytestmark = pytest.mark.once    # the test picks its own interpreters

MB = 1_000_000
SUPPORTED = [(3, 11), (3, 12), (3, 13)]

JOB = """
import sys, time
def hold():
    return bytearray(50 * 1000 * 1000)
def burn(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
def main():
    kept = hold()
    burn(0.3)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "wheel.py"), "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    path = Path(p.stdout.strip().splitlines()[-1])
    assert path.parent == out and path.exists(), p.stdout
    return path, p.stdout


def test_one_wheel_for_every_version(wheel):
    path, log = wheel
    assert re.fullmatch(r"radiograph-0\.1\.0-py3-none-manylinux_2_\d+_x86_64\.whl", path.name), path.name
    # auditwheel on the retagged wheel: manylinux, and no library outside the
    # policy (libz.so.1, which profile.pb.gz needs, is on its list)
    assert re.search(r'is consistent with\s+the\s+following\s+platform\s+tag:\s+"manylinux_2_\d+_x86_64"', log), log
    assert "external shared libraries" not in log, log
    import zipfile
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        wheel_meta = z.read("radiograph-0.1.0.dist-info/WHEEL").decode()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {"radiograph/radiograph", "radiograph/libradiograph_agent.so", "radiograph/__init__.py",
            "radiograph/_magic.py", "radiograph/_api.py", "radiograph/_session.py"} <= names, names
    assert modes["radiograph/radiograph"] & 0o111, oct(modes["radiograph/radiograph"])
    assert re.search(r"^Tag: py3-none-manylinux_2_\d+_x86_64$", wheel_meta, re.M), wheel_meta


def interpreter_for(version):
    """An interpreter of VERSION that can make a virtual environment with pip."""
    for info in pythons.find(version, version):
        if info["gil_disabled"]:
            continue
        probe = subprocess.run([info["path"], "-c", "import ensurepip, venv"], capture_output=True)
        if probe.returncode == 0:
            return info
    pytest.fail(f"no CPython {version[0]}.{version[1]} that can make a virtual environment: "
                "install one (pyenv install) to test the wheel on every supported version")


@pytest.mark.parametrize("version", SUPPORTED, ids=lambda v: f"{v[0]}.{v[1]}")
def test_install_and_profile(wheel, version, tmp_path):
    info = interpreter_for(version)
    venv = tmp_path / "venv"
    subprocess.run([info["path"], "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    p = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel[0])],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LD_PRELOAD") and not k.startswith("RADIOGRAPH_")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    job = tmp_path / "job.py"
    job.write_text(textwrap.dedent(JOB) + "main()\n")
    want = ".".join(map(str, info["version"]))

    # the command line, as installed: the console script execs the binary
    r = subprocess.run([str(venv / "bin" / "radiograph"), "run", "-q", "-o", "cli", "--", str(py), str(job)],
                       cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert s["python_version"] == want, s
    m = parse_folded(tmp_path / "cli" / "memory.folded")
    assert abs(sum(b for st, b in m.items() if any(f.startswith("hold ") for f in st)) - 50 * MB) < MB, m

    # the Python API, from the installed package
    api = tmp_path / "api.py"
    api.write_text(textwrap.dedent(JOB) + textwrap.dedent("""
        import radiograph
        assert radiograph.__file__.startswith(sys.prefix), radiograph.__file__
        with radiograph.profile("api", quiet=True):
            main()
    """))
    r = subprocess.run([str(py), str(api)], cwd=tmp_path, capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "api" / "summary.json").read_text())
    assert s["python_version"] == want and 50 * MB <= s["peak_memory_bytes"] < 53 * MB, s
    perf = parse_folded(tmp_path / "api" / "performance.folded")
    assert sum(c for st, c in perf.items() if any(f.startswith("burn ") for f in st)) > 0.5 * sum(perf.values())

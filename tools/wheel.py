#!/usr/bin/env python3
"""Builds the one wheel that installs on every supported CPython:
dist/radiograph-VERSION-py3-none-manylinux_2_XX_x86_64.whl (`make wheel`).

    python3 tools/wheel.py [--out dist]

Nothing in the package depends on the interpreter's version or ABI: the
agent reads every supported CPython from generated layout rows and links no
Python symbol, the `radiograph` executable is plain C, and the package is
pure Python. So the right tags are py3-none (any Python 3; requires-python
in pyproject.toml says 3.11 and later) on the platform auditwheel finds.
meson-python cannot be told that: it tags every wheel with something in
platlib as ABI-dependent (cp311-cp311), and offers no setting to override
its tags (meson-python issue #639). So the wheel meson-python builds is
retagged here:

1. `pip wheel --no-build-isolation` builds it with meson-python (the build
   requirements come from requirements-dev.txt, not from PyPI at build time);
2. `auditwheel show` says which manylinux tag its symbol versions allow (and
   fails if it needs a library outside the manylinux allow-list: libz.so.1,
   which profile.pb.gz needs, is on it);
3. `wheel tags` rewrites the tags (file name, WHEEL, RECORD) to
   py3-none-<that tag>;
4. `auditwheel show` checks the result.

Prints the wheel's path last. Exits 1 with one line if a step fails.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fail(msg):
    print(f"wheel: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
        fail(f"{' '.join(map(str, cmd[:4]))} ... failed:\n  " + "\n  ".join(tail))
    return p.stdout


def manylinux_tag(wheel):
    """The platform tag `auditwheel show` allows for WHEEL."""
    out = run([sys.executable, "-m", "auditwheel", "show", str(wheel)])
    m = re.search(r'consistent\s+with\s+the\s+following\s+platform\s+tag:\s+"([^"]+)"', out)
    if not m or not m.group(1).startswith("manylinux"):
        fail(f"auditwheel does not find {wheel.name} manylinux-compatible:\n{out}")
    return m.group(1), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "dist"), help="where the wheel goes (default dist/)")
    a = ap.parse_args()
    for module in ("mesonpy", "auditwheel", "wheel"):
        if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode:
            fail(f"{module} is missing for {sys.executable}: run `make setup` "
                 "(pip install -r requirements-dev.txt)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="radiograph-wheel-") as tmp:
        tmp = Path(tmp)
        print("wheel: building with meson-python", flush=True)
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
             "-w", str(tmp), f"-Cbuild-dir={ROOT / 'build' / 'wheel-build'}", str(ROOT)])
        built = list(tmp.glob("radiograph-*.whl"))
        if len(built) != 1:
            fail(f"expected one wheel from pip, found {[w.name for w in built]}")
        tag, _ = manylinux_tag(built[0])
        print(f"wheel: {built[0].name} -> py3-none-{tag}", flush=True)
        run([sys.executable, "-m", "wheel", "tags", "--remove", "--python-tag", "py3", "--abi-tag", "none",
             "--platform-tag", tag, str(built[0])])
        retagged = [w for w in tmp.glob("radiograph-*.whl") if w.name.endswith(f"-py3-none-{tag}.whl")]
        if len(retagged) != 1:
            fail("wheel tags left no py3-none wheel")
        final = out / retagged[0].name
        for old in glob.glob(str(out / "radiograph-*.whl")):
            os.unlink(old)
        shutil.move(str(retagged[0]), final)
    again, report = manylinux_tag(final)
    if again != tag:
        fail(f"the retagged wheel is {again}, not {tag}")
    print(report.strip())
    print(final)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The CPython interpreters installed on this machine: pyenv's versions,
/usr/bin/python3.X, /usr/local/bin/python3.X and python3.X on PATH.

    python3 tools/pythons.py [--min 3.11] [--max 3.13]   # one path a line

Used by `make test` (the end-to-end suite runs under each supported one) and
by tools/pylayout.py (the layout rows are generated from each one's headers).
Interpreters are told apart by what they report about themselves, not by
their path: one per (version, build) is kept, the first found.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

PROBE = ("import json, sys, sysconfig; print(json.dumps({'version': list(sys.version_info[:3]), "
         "'hex': sys.hexversion, 'include': sysconfig.get_paths()['include'], "
         "'gil_disabled': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), "
         "'executable': sys.executable}))")


def _candidates():
    home = os.path.expanduser("~")
    roots = [os.environ.get("PYENV_ROOT", os.path.join(home, ".pyenv"))]
    for root in roots:
        yield from sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))
    for d in ("/usr/bin", "/usr/local/bin"):
        yield from sorted(glob.glob(os.path.join(d, "python3.[0-9]*")))
    for minor in range(9, 20):
        p = shutil.which(f"python3.{minor}")
        if p:
            yield p


def describe(path):
    """What the interpreter at PATH says of itself, or None if it does not run."""
    try:
        out = subprocess.run([path, "-I", "-c", PROBE], capture_output=True, text=True, timeout=30,
                             env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        info = json.loads(out.stdout)
    except ValueError:
        return None
    info["path"] = path
    return info


def find(lo=(3, 0), hi=(3, 99)):
    """Interpreters with LO <= (major, minor) <= HI, as describe() dicts,
    oldest first; one per (version, build, include directory)."""
    seen, out = set(), []
    for path in _candidates():
        if path.endswith("-config") or not os.access(path, os.X_OK):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        info = describe(path)
        if not info or not (lo <= tuple(info["version"][:2]) <= hi):
            continue
        key = (tuple(info["version"]), info["gil_disabled"], info["include"])
        if any(key == (tuple(o["version"]), o["gil_disabled"], o["include"]) for o in out):
            continue
        out.append(info)
    out.sort(key=lambda i: (i["version"], i["path"]))
    return out


def _version(text):
    major, minor = text.split(".")
    return int(major), int(minor)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min", type=_version, default=(3, 0))
    ap.add_argument("--max", type=_version, default=(3, 99))
    ap.add_argument("--json", action="store_true", help="print what each reports about itself")
    a = ap.parse_args()
    for info in find(a.min, a.max):
        print(json.dumps(info) if a.json else info["path"])


if __name__ == "__main__":
    sys.exit(main())

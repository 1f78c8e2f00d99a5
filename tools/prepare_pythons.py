#!/usr/bin/env python3
"""Installs what the end-to-end tests' jobs import (numpy, and ipykernel for
the notebook tests' kernels) into every supported CPython on this machine
(tools/pythons.py finds them), so that `make test` can run the suite under
each one. Run by `make setup`.

An interpreter with pip gets `pip install`; one whose packages belong to
the system (Debian's /usr/bin/python3.X, "externally managed") gets the
Debian package instead, as root. Prints what it did; exits 1 if some
interpreter is still without what the tests need.
"""
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pythons  # noqa: E402

# module -> Debian package for the system Python
NEEDED = {"numpy": "python3-numpy", "ipykernel": "python3-ipykernel"}


def has(python, module):
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def externally_managed(info):
    """True if pip must not touch this interpreter (PEP 668)."""
    stdlib = subprocess.run([info["path"], "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                            capture_output=True, text=True).stdout.strip()
    return bool(stdlib) and os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED"))


def install(info, module):
    python = info["path"]
    if externally_managed(info):
        if os.geteuid() != 0:
            print(f"prepare: {python} needs {module}: run `apt-get install {NEEDED[module]}` as root")
            return
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", NEEDED[module]],
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), check=False)
    else:
        subprocess.run([python, "-m", "pip", "install", "-q", module], check=False)


def main():
    missing = 0
    found = pythons.find((3, 11), (3, 13))
    for info in found:
        for module in NEEDED:
            if not has(info["path"], module):
                print(f"prepare: installing {module} for {info['path']}")
                install(info, module)
            if not has(info["path"], module):
                print(f"prepare: {info['path']} still cannot import {module}", file=sys.stderr)
                missing = 1
    print("prepare: " + ", ".join(f"{'.'.join(map(str, i['version']))} ({i['path']})" for i in found))
    return missing


if __name__ == "__main__":
    sys.exit(main())

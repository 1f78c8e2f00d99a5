#!/usr/bin/env python3
"""The Python half of `make test`: the layout check, the end-to-end suite
under every supported CPython on this machine, then the page and tool tests.

    python3 tests/run.py [PYTEST ARGS...]

The interpreters are found, not listed (tools/pythons.py: pyenv's versions,
/usr/bin/python3.X, ...); fewer than two supported ones is a failure, since
then the suite cannot show that one agent reads several versions. Tests
marked `once` (they pick their own interpreters, e.g. a job mixing
versions) run in the first pass only. Exits non-zero if anything failed.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pythons  # noqa: E402
import pylayout  # noqa: E402


def main(extra):
    found = [i for i in pythons.find(min(pylayout.SUPPORTED), max(pylayout.SUPPORTED))
             if not i["gil_disabled"]]
    names = [f"{'.'.join(map(str, i['version']))} ({i['path']})" for i in found]
    print("tests/run.py: supported interpreters found: " + ", ".join(names), flush=True)
    if len(found) < 2:
        print("tests/run.py: fewer than two supported CPythons found (3.11 to 3.13): install "
              "another (pyenv install 3.12) to test that one agent reads several", file=sys.stderr)
        return 1
    results = []
    layout = subprocess.run([sys.executable, str(ROOT / "tools" / "pylayout.py"), "--check"])
    results.append(("layout rows (tools/pylayout.py --check)", layout.returncode))
    pytest = [sys.executable, "-m", "pytest", "-q", "-rfE"]
    for n, info in enumerate(found):
        env = dict(os.environ, RADIOGRAPH_TEST_PYTHON=info["path"])
        marks = [] if n == 0 else ["-m", "not once"]
        print(f"\n== end-to-end tests under Python {names[n]}", flush=True)
        p = subprocess.run(pytest + marks + [str(ROOT / "tests" / "e2e")] + extra, env=env)
        results.append((f"end-to-end under {names[n]}", p.returncode))
    others = [str(ROOT / "tests" / d) for d in ("web", "tools") if (ROOT / "tests" / d).is_dir()]
    print("\n== page and tool tests", flush=True)
    p = subprocess.run(pytest + others + extra)
    results.append(("page and tool tests", p.returncode))
    print()
    for what, rc in results:
        print(f"tests/run.py: {'ok  ' if rc == 0 else 'FAIL'} {what}")
    return 0 if all(rc == 0 for _, rc in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

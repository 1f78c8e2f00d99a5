"""Runs a workload inside `with radiograph.profile(OUT)`, as a user of the
in-process mode would profile a whole script: bench/overhead.py's third
column.

    python3 bench/inprocess_runner.py OUT script.py [args...]
"""
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import radiograph  # noqa: E402

out, script, *args = sys.argv[1:]
sys.argv = [script, *args]
with radiograph.profile(out, quiet=True):
    runpy.run_path(script, run_name="__main__")

"""radiograph: a performance and peak-memory profiler for Python batch jobs.

The profiler itself is a C program and a preloaded agent; this package only
finds the program and runs it (``python -m radiograph run job.py``).
"""
import os
import sys

__all__ = ["binary", "main"]


def binary():
    """Path of the radiograph executable: installed beside this package, or
    in the source tree's build/ directory."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "radiograph"),
                      os.path.join(os.path.dirname(here), "build", "radiograph")):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def main(argv=None):
    """Replaces this process with the radiograph executable."""
    argv = sys.argv[1:] if argv is None else argv
    exe = binary()
    if exe is None:
        sys.stderr.write("radiograph: the radiograph executable is missing: "
                         "run 'make build' or reinstall with 'pip install .'\n")
        return 2
    os.execv(exe, [exe] + list(argv))

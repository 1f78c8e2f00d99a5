"""radiograph: a performance and peak-memory profiler for Python batch jobs.

The profiler itself is a C program and an agent: ``radiograph run job.py``
(or ``python -m radiograph run job.py``) preloads the agent into the job.
The same agent also loads into a running interpreter, to profile a block of
code on demand: ``with radiograph.profile("out"): ...`` (radiograph/_api.py)
and, in IPython and Jupyter, ``%load_ext radiograph`` then a cell starting
with ``%%radiograph`` (radiograph/_magic.py).
"""
import os
import sys

__all__ = ["RadiographError", "binary", "load_ipython_extension", "main", "profile"]
__version__ = "0.1.0"


def binary():
    """Path of the radiograph executable: installed beside this package, or
    in the source tree's build/ directory."""
    from radiograph._session import installed_file
    exe = installed_file("radiograph")
    return exe if exe and os.access(exe, os.X_OK) else None


def main(argv=None):
    """Replaces this process with the radiograph executable."""
    argv = sys.argv[1:] if argv is None else argv
    exe = binary()
    if exe is None:
        sys.stderr.write("radiograph: the radiograph executable is missing: "
                         "run 'make build' or reinstall with 'pip install .'\n")
        return 2
    os.execv(exe, [exe] + list(argv))


def load_ipython_extension(ipython):
    """``%load_ext radiograph``: registers the ``%%radiograph`` cell magic."""
    from radiograph._magic import RadiographMagics
    ipython.register_magics(RadiographMagics)


def __getattr__(name):
    # The API is imported on first use: `radiograph run`'s console script
    # only needs main().
    if name in ("profile", "RadiographError"):
        from radiograph import _api
        return getattr(_api, name)
    raise AttributeError(f"module 'radiograph' has no attribute {name!r}")

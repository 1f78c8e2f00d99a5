"""One in-process profile: the agent loaded into this interpreter profiles a
block of code, and `radiograph report DIR` renders what it wrote.

Used by ``radiograph.profile`` and the ``%%radiograph`` magic. The agent
(libradiograph_agent.so, beside the radiograph executable) is loaded with
ctypes the first time; its exported ``radiograph_attach`` starts the sampler
in this running interpreter and redirects the loaded libraries' allocation
functions to its hooks, ``radiograph_detach`` puts them back (agent/attach.h).
The directory is laid out as ``radiograph run`` lays it out: the raw files,
and ``raw/run.info`` written here (docs/internals.md §1).
"""
import ctypes
import os
import subprocess
import sys
import threading
import time

__all__ = ["RadiographError", "Session", "check_options"]

VERSION = "0.1.0"
RATE_MIN, RATE_MAX = 1, 10000
SAMPLE_BYTES_MAX = 1 << 40
DEFAULT_SAMPLE_BYTES = 64 * 1024

_lock = threading.Lock()
_active = None          # the Session running in this process, if any
_agent = None           # the loaded agent (ctypes.CDLL)


class RadiographError(Exception):
    """A profile could not be taken or written. The message is one line
    starting "radiograph:" that says what is wrong and what to do."""


def _here():
    return os.path.dirname(os.path.abspath(__file__))


def installed_file(name):
    """Path of NAME (the radiograph executable or the agent): installed
    beside this package, or in the source tree's build/ directory."""
    here = _here()
    for candidate in (os.path.join(here, name), os.path.join(os.path.dirname(here), "build", name)):
        if os.path.isfile(candidate):
            return candidate
    return None


def _load_agent():
    global _agent
    if _agent is None:
        path = installed_file("libradiograph_agent.so")
        if path is None:
            raise RadiographError("radiograph: the agent libradiograph_agent.so is missing: "
                                  "run 'make build' or reinstall radiograph")
        lib = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        lib.radiograph_attach.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.c_int64,
                                          ctypes.c_void_p, ctypes.c_int]
        lib.radiograph_attach.restype = ctypes.c_int
        lib.radiograph_detach.argtypes = []
        lib.radiograph_detach.restype = ctypes.c_int
        lib.radiograph_error.argtypes = []
        lib.radiograph_error.restype = ctypes.c_char_p
        _agent = lib
    return _agent


def check_options(rate, memory_sample_bytes):
    """Raises RadiographError, as the CLI would word it, for a bad option."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not RATE_MIN <= rate <= RATE_MAX:
        raise RadiographError(f"radiograph: rate {rate!r} is not a rate: give samples per second "
                              f"from {RATE_MIN} to {RATE_MAX}")
    if memory_sample_bytes is not None and (
            isinstance(memory_sample_bytes, bool) or not isinstance(memory_sample_bytes, int)
            or not 1 <= memory_sample_bytes <= SAMPLE_BYTES_MAX):
        raise RadiographError(f"radiograph: memory_sample_bytes {memory_sample_bytes!r} is not a size: "
                              "give bytes from 1 to 2^40")


class _Taken(Exception):
    """OUT/raw exists: another report's, or another profile's writing one."""


def _claim(out):
    """Makes OUT/raw, exclusively, as `radiograph run` claims its -o: of two
    profiles given the same directory exactly one gets it. Returns whether
    OUT itself was made here."""
    made = not os.path.isdir(out)
    os.makedirs(out, exist_ok=True)
    try:
        os.mkdir(os.path.join(out, "raw"))
    except FileExistsError:
        raise _Taken(out) from None
    return made


def _claim_default():
    """Claims radiograph-report/<date>T<time> (-2, -3, ... if taken), as
    `radiograph run` names its default. Returns the directory."""
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
    os.makedirs("radiograph-report", exist_ok=True)
    for k in range(1, 1000):
        out = os.path.join("radiograph-report", stamp if k == 1 else f"{stamp}-{k}")
        try:
            os.mkdir(out)
        except FileExistsError:
            continue
        _claim(out)
        return out
    raise _Taken(os.path.join("radiograph-report", stamp))


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n")


class _kernel_cells:
    """While the report is built, the code of the notebook's earlier cells
    is on disk where their frames say it is, so that the report labels
    their frames with their lines as it does a script's.

    ipykernel names each cell's code /tmp/ipykernel_<pid>/<hash>.py but
    keeps it in linecache only (its debugger writes the files when asked).
    The files are written only into that directory of this process, only if
    it does not exist yet (made here, not followed if it is a link), and
    removed again at once, the directory with them."""

    def __enter__(self):
        import linecache
        import tempfile
        self.dir = None
        root = os.path.join(tempfile.gettempdir(), f"ipykernel_{os.getpid()}")
        cells = {name: entry for name, entry in list(linecache.cache.items())
                 if os.path.dirname(name) == root and isinstance(entry, tuple) and len(entry) >= 3}
        if not cells:
            return self
        try:
            os.mkdir(root, 0o700)
        except OSError:
            return self     # there already (the debugger's?): leave it alone
        self.dir, self.files = root, []
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for name, entry in cells.items():
            try:
                fd = os.open(name, flags, 0o600)
            except OSError:
                continue
            self.files.append(name)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("".join(entry[2]))
        return self

    def __exit__(self, *exc):
        if self.dir:
            for name in self.files:
                try:
                    os.unlink(name)
                except OSError:
                    pass
            try:
                os.rmdir(self.dir)
            except OSError:
                pass
        return False


def busy_reason():
    """Why no profile can start in this process now, or None."""
    if _active is not None:
        return "a profile is already running in this process"
    preload = os.environ.get("LD_PRELOAD", "")
    if os.environ.get("RADIOGRAPH_RAW_DIR") and "libradiograph_agent" in preload:
        return ("this process is already profiled by `radiograph run` (its agent was preloaded), "
                "whose report covers this code too")
    return None


class Session:
    """Profiles this process from start() to stop() into OUTPUT (default
    radiograph-report/<date>T<time>). RATE is samples per second; MEMORY
    False profiles time only; ROOT_CODE (a code object) becomes the root of
    the stacks that pass through it; ALL_THREADS also samples the threads
    that were running before start(). COMMAND (a list of strings) is what
    the report names as the command."""

    def __init__(self, output=None, *, rate=100, memory=True, memory_sample_bytes=None,
                 all_threads=False, command=None, root_code=None):
        check_options(rate, memory_sample_bytes)
        self.output = os.fspath(output) if output is not None else None
        self.rate = rate
        self.memory = bool(memory)
        self.sample_bytes = memory_sample_bytes or DEFAULT_SAMPLE_BYTES
        self.all_threads = bool(all_threads)
        self.command = list(command) if command else ["radiograph.profile"]
        self.root_code = root_code
        self.report = None          # DIR/index.html once written
        self.partial = False
        self._pid = None
        self._raw = None
        self._made_output = False

    def prepare(self):
        """Makes the report's directory (start() does it if need be), so that
        files can be put there first. Raises RadiographError."""
        if self._raw:
            return self._raw
        out = self.output
        try:
            if out is None:
                out = _claim_default()
                self._made_output = True
            else:
                self._made_output = _claim(out)
            raw = os.path.join(out, "raw")
            probe = os.path.join(raw, ".probe")
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            os.close(fd)
            os.unlink(probe)
        except _Taken as e:
            raise RadiographError(f"radiograph: '{e}' already holds a report (or another run is "
                                  "writing one there): choose another directory, or remove it") from None
        except OSError as e:
            raise RadiographError(f"radiograph: cannot write the report to '{out}': "
                                  f"{e.strerror or e}; choose another directory") from None
        self.output = out
        self._raw = os.path.abspath(raw)
        return self._raw

    def abandon(self):
        """Leaves nothing behind of a profile that did not start: the
        directory prepare() made, and what was put there. A raw file saying
        why this Python is not profiled is kept, and rendered."""
        raw = self._raw
        if not raw or _active is self:
            return
        try:
            if any(n.endswith(".rgd") for n in os.listdir(raw)):
                self._write_runinfo(time.monotonic_ns(), 0, 0)
                self._render()
                return
            os.rmdir(raw)
            cell = os.path.join(self.output, "cell.py")
            if os.path.exists(cell):
                os.unlink(cell)
            if self._made_output:
                os.rmdir(self.output)
        except (OSError, RadiographError):
            pass

    def start(self):
        """Starts profiling. Raises RadiographError if it cannot."""
        global _active
        with _lock:
            why = busy_reason()
            if why:
                raise RadiographError("radiograph: " + why)
            raw = self.prepare()
            agent = _load_agent()
            self._interval_us = int(1e6 / self.rate + 0.5)
            self._start_real = time.time_ns()
            self._start_mono = time.monotonic_ns()
            self._cpu0 = time.process_time_ns()
            code = id(self.root_code) if self.root_code is not None else None
            rc = agent.radiograph_attach(os.fsencode(raw), self._interval_us,
                                         self.sample_bytes if self.memory else 0, code,
                                         1 if self.all_threads else 0)
            if rc != 0:
                why = (agent.radiograph_error() or b"the agent could not start").decode("utf-8", "replace")
                self.abandon()
                raise RadiographError(f"radiograph: cannot profile here: {why}")
            self._pid = os.getpid()
            _active = self
        return self

    def stop(self, failed=False):
        """Stops profiling and writes the report; returns the path of its
        index.html. FAILED says the profiled code raised. Raises
        RadiographError if the report cannot be written (the raw data stays:
        `radiograph report DIR` tries again)."""
        global _active
        with _lock:
            if _active is not self or self._pid != os.getpid():
                return None     # never started, already stopped, or a forked child
            end_mono = time.monotonic_ns()
            cpu = time.process_time_ns() - self._cpu0
            _load_agent().radiograph_detach()
            _active = None
        try:
            self._write_runinfo(end_mono, cpu, 1 if failed else 0)
        except OSError as e:
            raise RadiographError(f"radiograph: cannot write the report to '{self.output}': "
                                  f"{e.strerror or e}") from None
        return self._render()

    def _write_runinfo(self, end_mono, cpu_ns, exit_code):
        raw = os.path.join(self.output, "raw")
        lines = [f"radiograph_version={VERSION}"]
        lines += [f"arg={_escape(a)}" for a in self.command]
        lines += [f"start_real_ns={self._start_real}", f"start_mono_ns={self._start_mono}",
                  f"sample_interval_us={self._interval_us}", f"end_mono_ns={end_mono}",
                  f"exit_code={exit_code}", f"cpu_ns={cpu_ns}"]
        tmp = os.path.join(raw, "run.info.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, os.path.join(raw, "run.info"))

    def _render(self):
        exe = installed_file("radiograph")
        if exe is None:
            raise RadiographError("radiograph: the radiograph executable is missing: "
                                  "run 'make build' or reinstall radiograph")
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        with _kernel_cells():
            p = subprocess.run([exe, "report", self.output], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
            raise RadiographError(lines[0] if lines else
                                  f"radiograph: the report could not be written to '{self.output}'")
        self.partial = "partial" in p.stderr
        self.report = os.path.join(self.output, "index.html")
        return self.report


def running():
    """The Session running in this process, or None."""
    return _active

"""radiograph.profile: the in-process mode as a context manager and a
decorator (the ``%%radiograph`` magic's machinery, radiograph/_session.py)."""
import functools
import os
import sys

from radiograph._session import RadiographError, Session, busy_reason, check_options

__all__ = ["RadiographError", "profile"]


class profile:
    """Profiles a block of code and writes a report, as ``radiograph run``
    would for a whole program::

        with radiograph.profile("out"):
            train(epochs=3)
        # out/index.html, out/performance.folded, out/memory.folded, ...

        @radiograph.profile()
        def step(batch): ...      # each call writes its own report

    OUTPUT is the report's directory (default radiograph-report/<date>T<time>;
    it must not already hold a report: a decorated function called twice
    needs the default, or a fresh directory each time). RATE is samples per
    second (1 to 10000); MEMORY False profiles time only;
    MEMORY_SAMPLE_BYTES is the mean distance between sampled allocations.
    The threads already running when the block begins, other than the one
    running it, are left out unless ALL_THREADS; memory is that of the whole
    process, but only what is allocated during the block counts. QUIET
    False prints the report's path on stderr, as ``radiograph run`` does.

    After the block, ``.report`` is the path of its index.html (None if it
    could not be written: that is said on stderr, not raised, and the raw
    data stays for ``radiograph report DIR``). An exception from the block
    is not caught; the report is written first. Bad arguments, or an output
    directory that cannot be used, raise RadiographError before the block
    runs. Inside
    another profile, or in a process ``radiograph run`` profiles already,
    the block runs unprofiled, with one line on stderr saying so.
    """

    def __init__(self, output=None, *, rate=100, memory=True, memory_sample_bytes=None,
                 all_threads=False, quiet=False):
        check_options(rate, memory_sample_bytes)
        self._options = dict(rate=rate, memory=memory, memory_sample_bytes=memory_sample_bytes,
                             all_threads=all_threads)
        self.output = None if output is None else os.fspath(output)
        self.quiet = quiet
        self.report = None
        self._session = None

    def _start(self, root, where):
        why = busy_reason()
        if why:
            sys.stderr.write(f"radiograph: {why}: {where} is not profiled on its own\n")
            return
        self._session = Session(self.output, command=["radiograph.profile", where], root_code=root,
                                **self._options).start()

    def _stop(self, failed):
        session, self._session = self._session, None
        if session is None:
            return
        try:
            self.report = session.stop(failed=failed)
        except RadiographError as e:
            # The program goes on: a report that cannot be written (a full
            # disk) is said, never raised into the code that was profiled.
            sys.stderr.write(f"{e}\n")
            return
        if self.report and not self.quiet:
            note = "some profile data was missing or damaged; the report is partial\nradiograph: " \
                if session.partial else ""
            sys.stderr.write(f"radiograph: {note}report written to {self.report}\n")

    def __enter__(self):
        caller = sys._getframe(1)
        code = caller.f_code
        self._start(code, f"{os.path.basename(code.co_filename)}:{caller.f_lineno}")
        return self

    def __exit__(self, exc_type, exc, tb):
        self._stop(exc_type is not None)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError("radiograph.profile() decorates a function: "
                            "use @radiograph.profile() with parentheses")
        options, output, quiet = self._options, self.output, self.quiet

        @functools.wraps(func)
        def profiled(*args, **kwargs):
            each = profile(output, quiet=quiet, **options)
            each._start(func.__code__, getattr(func, "__qualname__", func.__name__))
            failed = True
            try:
                result = func(*args, **kwargs)
                failed = False
                return result
            finally:
                each._stop(failed)
        return profiled



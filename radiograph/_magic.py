"""The ``%%radiograph`` cell magic: ``%load_ext radiograph``, then

    %%radiograph [-o DIR] [--rate HZ] [--no-memory] [--memory-sample-bytes N] [--all-threads]
    ...the cell's code...

runs the cell under both profiles in this kernel (radiograph/_session.py),
shows the report's page inline — framed, from the one self-contained
index.html, so it needs no server — and prints the report's path as the
output's last line. The options are `radiograph run`'s.

The cell is compiled here, not handed to IPython's run_cell, so that the
profile's stacks can start at the cell's own code (its code object is the
profile's root) rather than under the kernel's few dozen frames. IPython's
syntax (``%magic``, ``!cmd``) still works: the cell goes through IPython's
input transformers first. Its code is written beside the report as
``cell.py`` (its line numbers are the cell's, the ``%%radiograph`` line
being line 1), so the report shows the cell's lines like any source file.
"""
import ast
import html
import os
import shlex
import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.display import display

from radiograph._session import RadiographError, Session, busy_reason, check_options

USAGE = ("%%radiograph [-o DIR] [--rate HZ] [--no-memory] [--memory-sample-bytes N] "
         "[--all-threads]")
FRAME_HEIGHT = 720


def parse(line):
    """The magic's options as a dict; UsageError, worded as the CLI words
    it, for a bad one."""
    try:
        words = shlex.split(line)
    except ValueError as e:
        raise UsageError(f"radiograph: cannot read the options '{line}': {e}") from None
    opts = dict(output=None, rate=100, memory=True, memory_sample_bytes=None, all_threads=False)
    i = 0

    def value(name, what):
        nonlocal i
        word = words[i]
        if word.startswith(name + "="):
            return word[len(name) + 1:]
        if i + 1 >= len(words):
            raise UsageError(f"radiograph: {name} needs {what}")
        i += 1
        return words[i]

    while i < len(words):
        word = words[i]
        if word in ("-o", "--output") or word.startswith("--output="):
            opts["output"] = value("--output" if word != "-o" else "-o", "a directory")
        elif word == "--rate" or word.startswith("--rate="):
            v = value("--rate", "a number of samples per second")
            try:
                opts["rate"] = float(v)
            except ValueError:
                opts["rate"] = None
            if opts["rate"] is None or not 1 <= opts["rate"] <= 10000:
                raise UsageError(f"radiograph: --rate '{v}' is not a rate: give samples per second "
                                 "from 1 to 10000")
        elif word == "--no-memory":
            opts["memory"] = False
        elif word == "--memory-sample-bytes" or word.startswith("--memory-sample-bytes="):
            v = value("--memory-sample-bytes", "a number of bytes")
            if not v.isdigit() or not 1 <= int(v) <= 1 << 40:
                raise UsageError(f"radiograph: --memory-sample-bytes '{v}' is not a size: give bytes "
                                 "from 1 to 2^40")
            opts["memory_sample_bytes"] = int(v)
        elif word == "--all-threads":
            opts["all_threads"] = True
        else:
            raise UsageError(f"radiograph: unknown option '{word}' for %%radiograph: {USAGE}")
        i += 1
    try:
        check_options(opts["rate"], opts["memory_sample_bytes"])
    except RadiographError as e:
        raise UsageError(str(e)) from None
    return opts


class _Cell:
    """The cell as code: its module code object, and the name its last
    expression's value is left under (None if it ends with a statement, or
    with a ';' that asks for no output)."""

    LAST = "__radiograph_last__"

    def __init__(self, shell, line, cell, path):
        source = shell.transform_cell(cell)
        try:
            tree = ast.parse(source, filename=path)
        except SyntaxError as e:
            if e.lineno:
                e.lineno += 1       # the cell's own numbering: line 1 is %%radiograph
            raise
        self.last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not cell.rstrip().endswith(";"):
            expr = tree.body[-1]
            tree.body[-1] = ast.copy_location(
                ast.Assign(targets=[ast.Name(id=self.LAST, ctx=ast.Store())], value=expr.value), expr)
            self.last = self.LAST
        ast.fix_missing_locations(tree)
        # Line 1 is the %%radiograph line, as in the notebook.
        ast.increment_lineno(tree, 1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"# %%radiograph {line}".rstrip() + "\n" + source)
        try:
            self.code = compile(tree, path, "exec")
        except SyntaxError as e:
            if "await" in str(e):
                raise UsageError("radiograph: top-level await is not supported in a %%radiograph "
                                 "cell: run the coroutine with asyncio.run(...) or a helper "
                                 "function") from None
            raise


def frame(index_html):
    """The report's page framed for the notebook: srcdoc holds the whole
    self-contained page."""
    with open(index_html, encoding="utf-8") as f:
        page = f.read()
    return {
        "text/html": f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;'
                     f'height:{FRAME_HEIGHT}px;border:1px solid #ccc" '
                     'title="radiograph report"></iframe>',
        "text/plain": "radiograph report (open index.html in a browser to read it)",
    }


@magics_class
class RadiographMagics(Magics):
    @cell_magic
    def radiograph(self, line, cell):
        """Profiles this cell: where the time went and what held memory at
        its peak (only memory allocated during the cell counts).

            %%radiograph [-o DIR] [--rate HZ] [--no-memory] [--memory-sample-bytes N] [--all-threads]

        -o DIR             the report's directory (default radiograph-report/<date>T<time>)
        --rate HZ          samples per second, 1 to 10000 (default 100)
        --no-memory        the performance profile only
        --memory-sample-bytes N
                           mean bytes between sampled allocations (default 65536)
        --all-threads      sample the threads that were running before the cell too
                           (the kernel's own are left out by default)
        """
        opts = parse(line)
        ns = self.shell.user_ns
        why = busy_reason()
        if why:
            print(f"radiograph: {why}: this cell runs unprofiled", file=sys.stderr)
            self.shell.run_cell(cell, store_history=False)
            return None
        command = ["%%radiograph", *shlex.split(line)]
        try:
            session = Session(opts.pop("output"), command=command, **opts)
            session.prepare()
        except RadiographError as e:
            raise UsageError(str(e)) from None
        try:
            cell_code = _Cell(self.shell, line, cell, os.path.join(os.path.abspath(session.output), "cell.py"))
            session.root_code = cell_code.code
            session.start()
        except BaseException as e:
            session.abandon()
            if isinstance(e, RadiographError):
                raise UsageError(str(e)) from None
            raise
        failed = True
        try:
            exec(cell_code.code, ns)
            failed = False
        finally:
            value = ns.pop(cell_code.last, None) if cell_code.last else None
            try:
                report = session.stop(failed=failed)
            except RadiographError as e:
                print(e, file=sys.stderr)
                report = None
            if value is not None and not failed:
                display(value)
            if report:
                display(frame(report), raw=True)
                sys.stdout.flush()
                print(f"radiograph: report written to {os.path.abspath(report)}"
                      + (" (partial: some profile data was missing or damaged)" if session.partial else ""))
        return None

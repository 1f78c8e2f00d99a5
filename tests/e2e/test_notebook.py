"""The %%radiograph magic in a real Jupyter kernel: notebooks executed by
nbclient against an ipykernel of the interpreter the suite targets (a
plain `python3` kernel: radiograph is not preloaded, the magic loads the
agent into the running kernel)."""
import json
import os
import re
import textwrap

import pytest

from conftest import ROOT, parse_folded

MB = 1_000_000

def require_notebook_tools(target):
    """The notebook tests fail, not skip, where their tools are missing."""
    try:
        import jupyter_client  # noqa: F401
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as e:
        pytest.fail(f"{e.name} is missing for the test runner: run `make setup`")
    from conftest import require
    require("ipykernel")


@pytest.fixture
def notebook(tmp_path, target):
    """Executes CELLS (sources) in a fresh kernel of the target interpreter,
    in TMP_PATH; returns the executed cells (errors stay in their outputs)."""
    require_notebook_tools(target)
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    spec_dir = tmp_path / "kernels" / "target"
    spec_dir.mkdir(parents=True)
    env = {"PYTHONPATH": str(ROOT)}
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [target["executable"], "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "target", "language": "python", "env": env}))

    def _run(cells, timeout=180):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c).strip("\n"))
                                             for c in cells])
        ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
        km = KernelManager(kernel_name="target", kernel_spec_manager=ksm)
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
        return nb.cells
    return _run


def texts(cell):
    """The cell's outputs as (kind, text) in order: stream text, text/plain
    or text/html of displays, and error names."""
    out = []
    for o in cell.outputs:
        if o.output_type == "stream":
            out.append((o.name, o.text))
        elif o.output_type in ("display_data", "execute_result"):
            out.append(("html" if "text/html" in o.data else "plain",
                        o.data.get("text/html") or o.data.get("text/plain")))
        elif o.output_type == "error":
            out.append(("error", f"{o.ename}: {o.evalue}"))
    return out


def held_by(folded, name):
    return sum(b for s, b in folded.items() if any(f.split(" (")[0] == name for f in s))


DEFINE = """
%load_ext radiograph
import time
def burn(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
def hold():
    return bytearray(100_000_000)
old = bytearray(150_000_000)
"""


def test_known_answer_cell(notebook, tmp_path, target):
    cells = notebook([DEFINE, """
        %%radiograph -o out
        burn(0.6)
        h = hold()
        del old
        len(h)
    """, "print(len(h), 'old' in globals())"])
    errors = [t for c in cells for t in texts(c) if t[0] == "error"]
    assert not errors, errors
    outs = texts(cells[1])
    report = tmp_path / "out"
    # the cell's value, the framed page, then the path, last
    assert outs[0] == ("plain", "100000000"), outs
    kind, page = outs[-2]
    assert kind == "html" and page.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;'), page[:80]
    assert "rg-data" in page and "</iframe>" in page
    assert outs[-1] == ("stdout", f"radiograph: report written to {report}/index.html\n"), outs[-1]
    # the cell ran in the user's namespace
    assert texts(cells[2]) == [("stdout", "100000000 False\n")]

    s = json.loads((report / "summary.json").read_text())
    assert s["command"] == ["%%radiograph", "-o", "out"]
    assert s["python_version"] == ".".join(map(str, target["version"]))
    assert s["threads"] == 1, s          # the kernel's own threads are left out
    assert 100 * MB <= s["peak_memory_bytes"] < 104 * MB, s["peak_memory_bytes"]
    m = parse_folded(report / "memory.folded")
    assert abs(held_by(m, "hold") - 100 * MB) < MB, m
    perf = parse_folded(report / "performance.folded")
    total = sum(perf.values())
    assert sum(c for st, c in perf.items() if any(f.startswith("burn ") for f in st)) > 0.6 * total, perf
    cell_py = report / "cell.py"
    roots = {st[0] for st in perf}
    assert all(re.fullmatch(rf"<module> \({re.escape(str(cell_py))}:[2-5]\)", r) for r in roots), roots
    # cell.py holds the cell with its line numbers; the page shows the lines
    # of this cell and of the one that defined burn and hold
    lines = cell_py.read_text().splitlines()
    assert lines[0] == "# %%radiograph -o out" and lines[1] == "burn(0.6)" and lines[2] == "h = hold()"
    html = (report / "index.html").read_text()
    assert "h = hold()" in html and "return bytearray(100_000_000)" in html


def test_options_errors_and_exceptions(notebook, tmp_path):
    cells = notebook([DEFINE, """
        %%radiograph -o fast --rate 500 --no-memory
        burn(0.3)
    """, """
        %%radiograph --rate 0
        burn(0.1)
    """, """
        %%radiograph -o fast
        burn(0.1)
    """, """
        %%radiograph -o failed
        burn(0.2)
        1 / 0
    """, """
        %%radiograph -o magics
        %time burn(0.2)
        echoed = !echo hi
        x = 5;
    """, "print(x, echoed)", """
        %%radiograph -o all --all-threads
        burn(0.3)
    """, """
        %%radiograph -o broken
        burn(0.1)
        x = (
    """])
    fast = tmp_path / "fast"
    s = json.loads((fast / "summary.json").read_text())
    assert s["sample_interval_seconds"] == 0.002 and s["peak_memory_source"] == "rss", s
    assert not (fast / "memory.folded").exists()
    # IPython shows a magic's UsageError as one line on stderr
    assert texts(cells[2]) == [("stderr", "UsageError: radiograph: --rate '0' is not a rate: give samples "
                                          "per second from 1 to 10000\n")]
    assert not (tmp_path / "radiograph-report").exists()
    assert texts(cells[3]) == [("stderr", "UsageError: radiograph: 'fast' already holds a report (or "
                                          "another run is writing one there): choose another directory, "
                                          "or remove it\n")]
    failed = texts(cells[4])
    assert failed[-1] == ("error", "ZeroDivisionError: division by zero"), failed
    assert failed[-2][0] == "stdout" and "failed/index.html" in failed[-2][1], failed
    assert json.loads((tmp_path / "failed" / "summary.json").read_text())["exit_code"] == 1
    magics = texts(cells[5])
    assert any(k == "stdout" and "Wall time" in t for k, t in magics), magics
    assert magics[-1][1].startswith("radiograph: report written to ") and magics[-2][0] == "html", magics
    assert not any(k == "plain" for k, _ in magics)      # the ';' kept the value quiet
    assert texts(cells[6]) == [("stdout", "5 ['hi']\n")]
    perf = parse_folded(tmp_path / "magics" / "performance.folded")
    assert any(any(f.startswith("burn ") for f in st) for st in perf), perf
    # a cell that does not compile runs nothing and leaves nothing
    broken = texts(cells[8])
    assert broken[-1][0] == "error" and broken[-1][1].startswith("SyntaxError"), broken
    assert not (tmp_path / "broken").exists()
    # --all-threads: the kernel's own threads too
    assert json.loads((tmp_path / "all" / "summary.json").read_text())["threads"] > 1
    assert json.loads((tmp_path / "magics" / "summary.json").read_text())["threads"] == 1

"""Run one of pyperformance's benchmarks for a fixed number of iterations,
in this process, without pyperf's Runner (which spawns worker processes and
calibrates loop counts, so the profiled process would not be the one that
does the work).

    python pyperformance_job.py NAME ITERATIONS

NAME is one of the ten programs of the Scalene paper's overhead table:
async_tree_none, async_tree_io, async_tree_cpu_io_mixed,
async_tree_memoization, docutils, fannkuch, mdp, pprint, raytrace, sympy.
Sizes are cut down so one run takes 1-3 s here: the async trees are 5
levels deep (pyperformance: 6), docutils renders N of its 49 documents
(cycling, in name order), mdp evaluates with tolerance 0.3 (pyperformance:
0.192, ~7 s); the others run their pyperformance defaults N times.
The benchmark's code is loaded from the pyperformance package installed in
the running interpreter (its data-files/benchmarks/bm_*/run_benchmark.py);
nothing of it is copied here. Needs pyperformance and pyperf, and docutils
and sympy for those two.
"""
import asyncio
import contextlib
import importlib.util
import sys
from pathlib import Path


def load(bm):
    import pyperformance
    path = Path(pyperformance.__file__).parent / "data-files" / "benchmarks" / f"bm_{bm}" / "run_benchmark.py"
    spec = importlib.util.spec_from_file_location(f"bm_{bm}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # not __main__: no pyperf.Runner is made
    return mod


def run(name, n):
    if name.startswith("async_tree_"):
        m = load("async_tree")
        m.NUM_RECURSE_LEVELS = 5
        cls = m.BENCHMARKS[name[len("async_tree_"):]]
        for _ in range(n):
            asyncio.run(cls().run())
    elif name == "docutils":
        m = load("docutils")
        docs = sorted(m.DOC_ROOT.rglob("*.txt"))
        for i in range(n):
            text = docs[i % len(docs)].read_text(encoding="utf-8")
            with contextlib.suppress(m.docutils.ApplicationError):
                m.core.publish_string(source=text, reader_name="standalone", parser_name="restructuredtext",
                                      writer_name="html5",
                                      settings_overrides={"input_encoding": "unicode",
                                                          "output_encoding": "unicode", "report_level": 5})
    elif name == "fannkuch":
        m = load("fannkuch")
        for _ in range(n):
            m.fannkuch(m.DEFAULT_ARG)
    elif name == "mdp":
        m = load("mdp")
        for _ in range(n):
            m.Battle().evaluate(0.3)
    elif name == "pprint":
        m = load("pprint")
        for _ in range(n):
            m.p.pformat(m.printable)
    elif name == "raytrace":
        m = load("raytrace")
        m.bench_raytrace(n, m.DEFAULT_WIDTH, m.DEFAULT_HEIGHT, None)
    elif name == "sympy":
        m = load("sympy")
        for _ in range(n):
            for f in (m.bench_expand, m.bench_integrate, m.bench_sum, m.bench_str):
                m.bench_sympy(1, f)  # clears sympy's cache before each, as pyperformance does
    else:
        sys.exit(f"unknown benchmark {name!r}")


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)

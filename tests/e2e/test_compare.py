"""`radiograph compare BASE NEW`: comparisons of runs with a known change,
identical runs, bare .folded files, and every way the input can be wrong."""
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

MIB = 1 << 20

# slow() does FACTOR times the work of the new run's; hold() keeps MB
# mebibytes alive at the peak; steady() is the same in both.
JOB = """
import sys
FACTOR, MB = int(sys.argv[1]), int(sys.argv[2])

def slow(n):
    s = 0
    for i in range(n):
        s += i * i
    return s

def steady(n):
    s = 0
    for i in range(n):
        s += i
    return s

def hold(mb):
    return bytearray(mb << 20)

def main():
    keep = hold(MB)
    # slow() dominates: 3x its work is ~1 s more here, so that elapsed time
    # (which the gate tests compare) moves by far more than a loaded
    # machine's noise, on the fastest supported interpreter too
    slow(5_000_000 * FACTOR)
    steady(1_500_000)
    return keep

main()
"""


def run_job(radiograph, tmp, name, *args, options=()):
    script = tmp / "job.py"
    if not script.exists():
        script.write_text(textwrap.dedent(JOB))
    out = tmp / name
    p = subprocess.run([radiograph, "run", "-q", "-o", str(out), *options, str(script), *args],
                       cwd=tmp, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    return out


def compare(radiograph, cwd, *args):
    return subprocess.run([radiograph, "compare", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def compared(radiograph, tmp, base, new, *options, name="cmp"):
    out = tmp / name
    p = compare(radiograph, tmp, "-o", out, *options, base, new)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip().splitlines()[-1] == f"radiograph: comparison written to {out}/index.html"
    assert (out / "index.html").stat().st_size > 10000
    return json.loads((out / "comparison.json").read_text())


def stacks_with(entries, function):
    return [e for e in entries if any(f.startswith(function + " (") for f in e["stack"])]


@pytest.fixture(scope="module")
def pair(radiograph, tmp_path_factory):
    """Two reports of the job: base slow() 3x the work and 200 MiB held,
    new 1x and 100 MiB."""
    tmp = tmp_path_factory.mktemp("pair")
    base = run_job(radiograph, tmp, "base", "3", "200")
    new = run_job(radiograph, tmp, "new", "1", "100")
    return tmp, base, new


def test_function_made_3x_faster(radiograph, pair):
    tmp, base, new = pair
    c = compared(radiograph, tmp, base, new)
    for key in ("elapsed_seconds", "cpu_seconds", "peak_memory_bytes"):
        assert set(c[key]) == {"base", "new", "change_percent"}
    el = c["elapsed_seconds"]
    assert el["new"] < el["base"]
    assert el["change_percent"] == pytest.approx((el["new"] - el["base"]) / el["base"] * 100, abs=0.01)
    perf = c["performance"]
    assert perf["unit"] == "seconds"
    slow = stacks_with(perf["shrank"], "slow")
    assert slow, perf["shrank"]
    # computing, or waiting for a CPU on a busy machine: slow() all the same
    b = sum(e["base"] for e in slow)
    n = sum(e["new"] for e in slow)
    # 3x faster is -66.7%; sampling at 100 Hz over ~1 s leaves room
    assert -85 < (n - b) / b * 100 < -45, slow
    top = max(slow, key=lambda e: e["base"])
    assert top["stack"][-1] in ("[running]", "[waiting: cpu]")
    assert top["stack"][-2] == "slow (%s)" % (tmp / "job.py")    # matched by function, no line
    # what of slow() grew is noise: a state leaf ([waiting: cpu] on a loaded
    # machine) seen in one run only, small beside what shrank
    grew = sum(e["new"] - e["base"] for e in stacks_with(perf["grew"], "slow"))
    assert grew < 0.1 * (b - n), (grew, b - n, stacks_with(perf["grew"], "slow"))
    # grew/shrank are ordered by the size of the change
    changes = [e["change"] for e in perf["shrank"]]
    assert changes == sorted(changes) and all(x < 0 for x in changes)
    assert len(perf["grew"]) <= 10 and len(perf["shrank"]) <= 10


def test_allocation_halved(radiograph, pair):
    tmp, base, new = pair
    c = compared(radiograph, tmp, base, new, name="cmp-mem")
    mem = c["memory"]
    assert mem["unit"] == "bytes"
    hold = stacks_with(mem["shrank"], "hold")
    assert hold, mem["shrank"]
    top = hold[0]
    assert top["base"] == pytest.approx(200 * MIB, rel=0.01)
    assert top["new"] == pytest.approx(100 * MIB, rel=0.01)
    assert top["change_percent"] == pytest.approx(-50, abs=1)
    assert mem["shrank"][0] is top              # the largest change comes first
    pk = c["peak_memory_bytes"]
    assert pk["base"] - pk["new"] == pytest.approx(100 * MIB, rel=0.03)
    # the headline figures are printed too
    p = compare(radiograph, tmp, "-o", tmp / "cmp-print", base, new)
    assert "peak memory" in p.stderr and "->" in p.stderr


def test_a_report_compared_with_itself_is_zero_everywhere(radiograph, pair):
    tmp, base, _ = pair
    c = compared(radiograph, tmp, base, base, name="cmp-self")
    for key in ("elapsed_seconds", "cpu_seconds", "peak_memory_bytes"):
        assert c[key]["change_percent"] == 0
    for prof in ("performance", "memory"):
        assert c[prof]["total"]["change_percent"] == 0
        assert c[prof]["grew"] == [] and c[prof]["shrank"] == []
    assert c["notes"] == []


def test_two_runs_of_the_same_job_compare_as_about_zero(radiograph, pair):
    tmp, base, _ = pair
    again = run_job(radiograph, tmp, "base-again", "3", "200")
    c = compared(radiograph, tmp, base, again, name="cmp-again")
    assert c["notes"] == []                     # same command, same versions
    assert abs(c["peak_memory_bytes"]["change_percent"]) < 3
    hold = [e for e in c["memory"]["grew"] + c["memory"]["shrank"]
            if any(f.startswith("hold (") for f in e["stack"])]
    assert all(abs(e["change_percent"] or 0) < 1 for e in hold), hold
    # the same work: slow()'s time is about the same (loose: a shared VM)
    perf = c["performance"]
    assert abs(perf["total"]["change_percent"]) < 60


def test_lines_option_matches_by_line(radiograph, tmp_path):
    (tmp_path / "base.folded").write_text(
        "main (a.py:3);f (a.py:7);[running] 10\n"
        "main (a.py:3);g (a.py:20);[running] 5\n")
    (tmp_path / "new.folded").write_text(
        "main (a.py:4);f (a.py:8);[running] 4\n"
        "main (a.py:4);g (a.py:21);[running] 5\n"
        "main (a.py:4);h (a.py:30);[running] 2\n")
    c = compared(radiograph, tmp_path, tmp_path / "base.folded", tmp_path / "new.folded")
    assert c["match"] == "function"
    perf = c["performance"]
    assert perf["unit"] == "samples"
    assert perf["total"] == {"base": 15, "new": 11, "change_percent": pytest.approx(-26.667, abs=0.001)}
    assert [(e["stack"], e["base"], e["new"], e["change"]) for e in perf["shrank"]] == [
        (["main (a.py)", "f (a.py)", "[running]"], 10, 4, -6)]
    assert [(e["stack"], e["change_percent"]) for e in perf["grew"]] == [
        (["main (a.py)", "h (a.py)", "[running]"], None)]
    for key in ("elapsed_seconds", "cpu_seconds", "peak_memory_bytes"):
        assert c[key] == {"base": None, "new": None, "change_percent": None}
    assert c["memory"] is None

    c = compared(radiograph, tmp_path, tmp_path / "base.folded", tmp_path / "new.folded", "--lines",
                 name="cmp-lines")
    assert c["match"] == "line"
    perf = c["performance"]
    # by line every frame moved: everything in base vanished, everything in new is new
    assert sorted(e["change"] for e in perf["shrank"]) == [-10, -5]
    assert sorted(e["change"] for e in perf["grew"]) == [2, 4, 5]


def test_folded_files_from_other_tools(radiograph, tmp_path):
    # flamegraph.pl / inferno style: fractional counts, CRLF, a bad line,
    # empty frames, duplicate stacks adding up
    (tmp_path / "a.folded").write_bytes(
        b"root;work;inner 3.5\r\nroot;work;inner 1.5\r\nroot;;idle 2\r\nnot a stack line\r\n")
    (tmp_path / "b.folded").write_bytes(b"root;work;inner 1\nroot;idle 4\n")
    c = compared(radiograph, tmp_path, tmp_path / "a.folded", tmp_path / "b.folded")
    perf = c["performance"]
    assert perf["total"]["base"] == 7 and perf["total"]["new"] == 5
    assert perf["shrank"][0]["stack"] == ["root", "work", "inner"]
    assert perf["shrank"][0]["base"] == 5 and perf["shrank"][0]["new"] == 1
    assert perf["grew"][0]["stack"] == ["root", "idle"]
    assert any("1 of 4 lines" in n and "line 4" in n for n in c["notes"]), c["notes"]


def test_memory_folded_files_compare_in_bytes(radiograph, pair):
    tmp, base, new = pair
    c = compared(radiograph, tmp, base / "memory.folded", new / "memory.folded", name="cmp-mf")
    assert c["memory"]["unit"] == "bytes" and c["performance"] is None
    assert stacks_with(c["memory"]["shrank"], "hold")[0]["change_percent"] == pytest.approx(-50, abs=1)


def test_different_programs_and_versions_compare_with_a_note(radiograph, pair, tmp_path):
    tmp, base, new = pair
    other = tmp_path / "other"
    shutil.copytree(new, other)
    s = json.loads((other / "summary.json").read_text())
    s["command"] = ["python3", "other.py"]
    s["radiograph_version"] = "9.9.9"
    s["python_version"] = "2.7.18"           # no supported interpreter: differs under every one
    (other / "summary.json").write_text(json.dumps(s))
    c = compared(radiograph, tmp_path, base, other)
    notes = " ".join(c["notes"])
    assert "different commands" in notes and "other.py" in notes
    assert "different radiograph versions (0.1.0 and 9.9.9)" in notes or "9.9.9" in notes
    assert "different Python versions" in notes
    assert c["new"]["radiograph_version"] == "9.9.9"


def test_no_memory_on_one_side(radiograph, pair, tmp_path):
    tmp, base, _ = pair
    nomem = run_job(radiograph, tmp_path, "nomem", "1", "1", options=("--no-memory",))
    c = compared(radiograph, tmp_path, base, nomem)
    assert c["memory"] is None
    # --no-memory still knows the peak RSS: compared, with a note saying so
    assert c["peak_memory_bytes"]["new"] > 0
    assert any("did not track memory" in n for n in c["notes"])
    assert any("measured differently" in n and "RSS" in n for n in c["notes"])
    assert c["performance"] is not None


def one_line_error(p, *needles):
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_bad_input_is_one_clear_line_and_leaves_nothing(radiograph, pair, tmp_path):
    tmp, base, new = pair
    out = tmp_path / "out"
    (tmp_path / "empty.folded").write_text("no counts here\n\n")
    (tmp_path / "x.folded").write_text("a;b 1\n")
    (tmp_path / "memory.folded").write_text("a;b 1\n")
    cases = [
        ((tmp_path / "missing", base), ("BASE", "missing", "No such file")),
        ((base, tmp_path / "missing"), ("NEW",)),
        ((base, tmp_path / "x.folded"), ("report directory with a .folded file",)),
        ((tmp_path / "x.folded", tmp_path / "memory.folded"), ("not the same kind",)),
        ((tmp_path / "empty.folded", tmp_path / "x.folded"), ("holds no folded stacks",)),
        ((tmp_path, base), ("not a radiograph report",)),
    ]
    for (b, n), needles in cases:
        p = compare(radiograph, tmp_path, "-o", out, b, n)
        one_line_error(p, *needles)
        assert not out.exists(), f"{b} {n}: left {out} behind"

    # raw data but never rendered: say how to render it
    unrendered = tmp_path / "unrendered"
    (unrendered / "raw").mkdir(parents=True)
    (unrendered / "raw" / "run.info").write_text("")
    one_line_error(compare(radiograph, tmp_path, "-o", out, unrendered, base),
                   "radiograph report")
    # a damaged summary.json
    damaged = tmp_path / "damaged"
    shutil.copytree(new, damaged)
    (damaged / "summary.json").write_text('{"elapsed_seconds": 1.0, "radiograph_version": ')
    one_line_error(compare(radiograph, tmp_path, "-o", out, base, damaged), "not valid JSON", "byte")
    (damaged / "summary.json").write_text('{"hello": "world"}')
    one_line_error(compare(radiograph, tmp_path, "-o", out, base, damaged), "not a radiograph summary")
    assert not out.exists()

    # writing into a profiling report's directory would overwrite its page
    one_line_error(compare(radiograph, tmp_path, "-o", new, base, new), "holds a profiling report")
    # usage
    one_line_error(compare(radiograph, tmp_path, base), "two reports")
    one_line_error(compare(radiograph, tmp_path, base, new, base), "third")
    one_line_error(compare(radiograph, tmp_path, "--frobnicate", base, new), "unknown option")


def test_default_output_directory(radiograph, tmp_path):
    (tmp_path / "a.folded").write_text("x;y 2\n")
    (tmp_path / "b.folded").write_text("x;y 3\n")
    p = compare(radiograph, tmp_path, "-q", "a.folded", "b.folded")
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("\n") == 1                       # -q: only the path
    path = p.stderr.strip().split(" written to ")[1]
    assert path.startswith("radiograph-compare/") and (tmp_path / path).exists()
    assert os.path.exists(tmp_path / os.path.dirname(path) / "comparison.json")


# ---- the CI gate: --fail-if-slower / --fail-if-bigger ----------------------

def gate_lines(p):
    return [l for l in p.stderr.splitlines() if l.startswith(("radiograph: FAILED", "radiograph: passed"))]


def growth(base, new, key):
    b = json.loads((base / "summary.json").read_text())[key]
    n = json.loads((new / "summary.json").read_text())[key]
    return b, n, (n - b) / b * 100


def test_gate_fails_a_job_made_slower_and_bigger(radiograph, pair):
    # the pair the other way round: NEW does 3x the work in slow() and holds 200 MiB, not 100
    tmp, slower, faster = pair
    out = tmp / "gate-fail"
    p = compare(radiograph, tmp, "-o", out, "--fail-if-slower", "10", "--fail-if-bigger=10%",
                faster, slower)
    assert p.returncode == 1, p.stderr
    assert p.stderr.splitlines()[-1] == f"radiograph: comparison written to {out}/index.html"
    eb, en, epct = growth(faster, slower, "elapsed_seconds")
    mb, mn, mpct = growth(faster, slower, "peak_memory_bytes")
    assert epct > 10 and mpct > 90
    lines = gate_lines(p)
    assert lines == [
        f"radiograph: FAILED --fail-if-slower 10%: elapsed time grew by {epct:.1f}% "
        f"({eb:.3g} s -> {en:.3g} s)",
        lines[1]]
    assert lines[1].startswith(f"radiograph: FAILED --fail-if-bigger 10%: peak memory grew by {mpct:.1f}% (")
    assert "MiB -> " in lines[1]
    c = json.loads((out / "comparison.json").read_text())
    assert c["gate"]["passed"] is False
    assert [(k["option"], k["figure"], k["limit_percent"], k["passed"]) for k in c["gate"]["checks"]] == [
        ("--fail-if-slower", "elapsed_seconds", 10, False),
        ("--fail-if-bigger", "peak_memory_bytes", 10, False)]
    slow, big = c["gate"]["checks"]
    assert (slow["base"], slow["new"]) == (eb, en)
    assert slow["change_percent"] == c["elapsed_seconds"]["change_percent"]
    assert (big["base"], big["new"]) == (mb, mn)
    # the comparison itself is the same as without the gate
    assert stacks_with(c["performance"]["grew"], "slow")


def test_gate_passes_a_faster_smaller_job_even_at_zero(radiograph, pair):
    tmp, base, new = pair
    out = tmp / "gate-pass"
    p = compare(radiograph, tmp, "-o", out, "--fail-if-slower", "0", "--fail-if-bigger", "0", base, new)
    assert p.returncode == 0, p.stderr
    lines = gate_lines(p)
    assert len(lines) == 2 and all(l.startswith("radiograph: passed --fail-if-") for l in lines), p.stderr
    assert "elapsed time changed by -" in lines[0] and "peak memory changed by -" in lines[1]
    c = json.loads((out / "comparison.json").read_text())
    assert c["gate"]["passed"] is True and all(k["passed"] for k in c["gate"]["checks"])
    # -q: a gate that holds prints nothing but the path
    p = compare(radiograph, tmp, "-q", "-o", tmp / "gate-pass-q", "--fail-if-slower", "0", base, new)
    assert p.returncode == 0 and p.stderr.count("\n") == 1, p.stderr


def test_gate_limit_just_above_or_below_the_growth(radiograph, pair):
    # a real slowdown and growth, and limits on either side of them: the
    # verdict follows the limit, not a rounding of it
    tmp, slower, faster = pair
    _, _, epct = growth(faster, slower, "elapsed_seconds")
    _, _, mpct = growth(faster, slower, "peak_memory_bytes")
    within = compare(radiograph, tmp, "-o", tmp / "gate-within", "--fail-if-slower", f"{epct + 0.01:.2f}",
                     "--fail-if-bigger", f"{mpct + 0.01:.2f}", faster, slower)
    assert within.returncode == 0, within.stderr
    assert len(gate_lines(within)) == 2 and "FAILED" not in within.stderr
    c = json.loads((tmp / "gate-within" / "comparison.json").read_text())
    assert c["gate"]["passed"] is True
    # only memory over its limit: only memory fails, and says so
    one = compare(radiograph, tmp, "-o", tmp / "gate-one", "--fail-if-slower", f"{epct + 0.01:.2f}",
                  "--fail-if-bigger", f"{mpct - 0.01:.2f}", faster, slower)
    assert one.returncode == 1, one.stderr
    failed = [l for l in gate_lines(one) if "FAILED" in l]
    assert len(failed) == 1 and "--fail-if-bigger" in failed[0] and "peak memory" in failed[0]
    c = json.loads((tmp / "gate-one" / "comparison.json").read_text())
    assert [k["passed"] for k in c["gate"]["checks"]] == [True, False]


def test_gate_on_a_job_bigger_within_the_limit(radiograph, tmp_path):
    # 100 MiB -> 105 MiB held at the peak: +~5%; a 20% limit holds, a 1% one does not
    base = run_job(radiograph, tmp_path, "m100", "1", "100")
    new = run_job(radiograph, tmp_path, "m105", "1", "105")
    _, _, mpct = growth(base, new, "peak_memory_bytes")
    assert 2 < mpct < 8, mpct
    p = compare(radiograph, tmp_path, "-o", tmp_path / "g20", "--fail-if-bigger", "20", base, new)
    assert p.returncode == 0, p.stderr
    assert gate_lines(p) == [l for l in gate_lines(p) if "passed --fail-if-bigger 20%: peak memory changed by +" in l]
    p = compare(radiograph, tmp_path, "-o", tmp_path / "g1", "--fail-if-bigger", "1", base, new)
    assert p.returncode == 1, p.stderr
    assert "FAILED --fail-if-bigger 1%: peak memory grew by" in p.stderr


def test_gate_on_folded_files_compares_their_totals(radiograph, tmp_path):
    (tmp_path / "a.folded").write_text("main;work 100\nmain;idle 100\n")
    (tmp_path / "b.folded").write_text("main;work 130\nmain;idle 100\n")    # +15%
    p = compare(radiograph, tmp_path, "-o", tmp_path / "f1", "--fail-if-slower", "10", "a.folded", "b.folded")
    assert p.returncode == 1
    assert "FAILED --fail-if-slower 10%: time grew by 15.0% (200 samples -> 230 samples)" in p.stderr
    p = compare(radiograph, tmp_path, "-o", tmp_path / "f2", "--fail-if-slower", "15", "a.folded", "b.folded")
    assert p.returncode == 0, p.stderr            # exactly 15% is not more than 15%
    c = json.loads((tmp_path / "f2" / "comparison.json").read_text())
    assert c["gate"]["checks"][0]["figure"] == "performance.total"
    # without a limit there is no gate
    c = compared(radiograph, tmp_path, tmp_path / "a.folded", tmp_path / "b.folded", name="f3")
    assert c["gate"] is None


def test_gate_usage_errors(radiograph, pair, tmp_path):
    tmp, base, new = pair
    out = tmp_path / "out"
    for opt in ("--fail-if-slower", "--fail-if-bigger"):
        for bad in ("-5", "ten", "", "1e2", "nan", "inf", "10%%", "0x10"):
            p = compare(radiograph, tmp_path, "-o", out, opt, bad, base, new)
            one_line_error(p, opt, "not a percentage")
            assert not out.exists()
        one_line_error(compare(radiograph, tmp_path, "-o", out, base, new, opt), opt, "needs a percentage")
    # limits that these inputs cannot answer: said before anything is written
    nomem = run_job(radiograph, tmp_path, "nomem", "1", "1", options=("--no-memory",))
    one_line_error(compare(radiograph, tmp_path, "-o", out, "--fail-if-bigger", "5", base, nomem),
                   "--fail-if-bigger cannot be checked", "--no-memory")
    (tmp_path / "a.folded").write_text("x;y 2\n")
    (tmp_path / "b.folded").write_text("x;y 3\n")
    one_line_error(compare(radiograph, tmp_path, "-o", out, "--fail-if-bigger", "5", "a.folded", "b.folded"),
                   "--fail-if-bigger cannot be checked")
    one_line_error(compare(radiograph, tmp_path, "-o", out, "--fail-if-slower", "5",
                           base / "memory.folded", new / "memory.folded"),
                   "--fail-if-slower cannot be checked")
    assert not out.exists()
    # --no-memory on both sides: RSS against RSS is a fair check
    nomem2 = run_job(radiograph, tmp_path, "nomem2", "1", "1", options=("--no-memory",))
    p = compare(radiograph, tmp_path, "-o", out, "--fail-if-bigger", "1000", nomem, nomem2)
    assert p.returncode == 0, p.stderr

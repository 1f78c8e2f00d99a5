"""summary.json's "answers" on a real job, checked against the folded files
the same report wrote: each line's seconds (or bytes) are the samples (or
bytes) of the stacks whose innermost frame of the job's own code is that
line, nothing left out is larger, and the waits name their reason and how
many threads waited there."""
from collections import defaultdict

from conftest import parse_folded

JOB = """
import json, threading

def work(l):
    for _ in range(4):
        copy = [x[:] for x in l]
    return copy

def main():
    l = [list(range(i % 300)) for i in range(12000)]
    for _ in range(4):
        s = json.dumps(l)
    threads = [threading.Thread(target=work, args=(l,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

main()
"""


def library(file):
    return (not file or file.startswith("<") or "/site-packages/" in file or "/dist-packages/" in file
            or "/lib/python3" in file or "/lib64/python3" in file)


def split(label):
    """'f (file:12)' -> ('f', 'file', 12); a label frame -> (label, None, None)."""
    if not label.endswith(")") or " (" not in label:
        return label, None, None
    name, _, where = label[:-1].rpartition(" (")
    file, _, line = where.rpartition(":")
    return (name, file, int(line)) if line.isdigit() else (name, where, None)


def line_of(stack):
    """The innermost own-code frame of STACK (frames, root first), else its
    innermost Python frame."""
    python = [f for f in stack if not f.startswith("[")]
    for f in reversed(python):
        name, file, _ = split(f)
        if not library(file):
            return f
    return python[-1] if python else stack[-1]


def check_items(items, groups, unit, scale):
    assert items
    listed = set()
    for it in items:
        key = it["frame"] if unit == "bytes" else (it["frame"], it.get("reason"))
        listed.add(key)
        assert groups[key] * scale == it[unit] or abs(groups[key] * scale - it[unit]) < 1e-9, (key, it)
    smallest = min(it[unit] for it in items)
    for key, v in groups.items():
        if key in listed or not v:
            continue
        assert len(items) == 5, f"{key} has {v} but is not listed, and fewer than 5 lines are"
        assert v * scale <= smallest + 1e-9, f"{key} ({v * scale}) is larger than a listed line"


def test_answers_match_the_folded_stacks(run):
    r = run(JOB)
    assert r.proc.returncode == 0, r.proc.stderr
    s = r.summary
    a = s["answers"]
    interval = s["sample_interval_seconds"]
    folded = r.folded
    total = sum(folded.values())
    assert abs(a["time"]["thread_seconds"] - total * interval) < 1e-9
    computing, waiting = defaultdict(int), defaultdict(int)
    for stack, n in folded.items():
        state = stack[-1]
        if state == "[running]":
            computing[(line_of(stack[:-1]), None)] += n
        else:
            reason = "unknown" if state == "[waiting]" else state[len("[waiting: "):-1]
            waiting[(line_of(stack[:-1]), reason)] += n
    assert abs(a["time"]["computing_seconds"] - sum(computing.values()) * interval) < 1e-9
    check_items(a["time"]["computing"], computing, "seconds", interval)
    check_items(a["time"]["waiting"], waiting, "seconds", interval)
    for it in a["time"]["computing"] + a["time"]["waiting"]:
        assert 1 <= it["threads"] <= s["threads"]
        assert it["share"] == round(it["seconds"] / a["time"]["thread_seconds"], 6)
    # json.dumps is credited to the job's own line, and named as where it went.
    dumps = [it for it in a["time"]["computing"] if it["function"] == "main" and it["in"]
             and it["in"]["function"].startswith("JSONEncoder")]
    assert dumps and dumps[0]["line"] == JOB.splitlines().index("        s = json.dumps(l)") + 1
    # The three copying threads waited for the GIL in work's comprehension.
    gil = [it for it in a["time"]["waiting"] if it["reason"] == "gil" and it["function"].startswith("work")]
    assert gil and gil[0]["threads"] == 3

    mem = parse_folded(r.report / "memory.folded")
    held = defaultdict(int)
    for stack, n in mem.items():
        held[line_of(stack)] += n
    assert a["memory"]["bytes"] == sum(mem.values())
    check_items(a["memory"]["holding"], held, "bytes", 1)
    # The job's lists are held by main (or its comprehension, before 3.12)
    # or by the copying threads' work.
    assert a["memory"]["holding"][0]["function"].split(".")[0] in ("main", "work")

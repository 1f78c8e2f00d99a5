"""The files other tools open: profile.speedscope.json (speedscope) and
timeline.json (Perfetto, chrome://tracing). Each is validated against a JSON
schema written here from the format's definition, then checked for meaning
against the folded files, which the other tests pin down."""
import json
from collections import Counter, defaultdict

import jsonschema
import pytest

from conftest import parse_folded

# speedscope's file format, from its TypeScript definition
# (src/lib/file-format-spec.ts in jlfwong/speedscope): FileFormat.File and
# the types it uses. Stricter than the definition in two ways that catch our
# own mistakes: no members it does not define, and frame indices and lines
# are non-negative integers.
SPEEDSCOPE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["$schema", "shared", "profiles"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"const": "https://www.speedscope.app/file-format-schema.json"},
        "shared": {
            "type": "object",
            "required": ["frames"],
            "additionalProperties": False,
            "properties": {"frames": {"type": "array", "items": {"$ref": "#/definitions/Frame"}}},
        },
        "profiles": {
            "type": "array",
            "minItems": 1,
            "items": {"oneOf": [{"$ref": "#/definitions/SampledProfile"},
                                {"$ref": "#/definitions/EventedProfile"}]},
        },
        "name": {"type": "string"},
        "activeProfileIndex": {"type": "integer", "minimum": 0},
        "exporter": {"type": "string"},
    },
    "definitions": {
        "Frame": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "file": {"type": "string"},
                "line": {"type": "integer", "minimum": 1},
                "col": {"type": "integer", "minimum": 1},
            },
        },
        "ValueUnit": {"enum": ["none", "nanoseconds", "microseconds", "milliseconds",
                               "seconds", "bytes"]},
        "SampledProfile": {
            "type": "object",
            "required": ["type", "name", "unit", "startValue", "endValue", "samples", "weights"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "sampled"},
                "name": {"type": "string"},
                "unit": {"$ref": "#/definitions/ValueUnit"},
                "startValue": {"type": "number"},
                "endValue": {"type": "number"},
                "samples": {"type": "array",
                            "items": {"type": "array", "items": {"type": "integer", "minimum": 0}}},
                "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
            },
        },
        "EventedProfile": {
            "type": "object",
            "required": ["type", "name", "unit", "startValue", "endValue", "events"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "evented"},
                "name": {"type": "string"},
                "unit": {"$ref": "#/definitions/ValueUnit"},
                "startValue": {"type": "number"},
                "endValue": {"type": "number"},
                "events": {"type": "array", "items": {
                    "type": "object",
                    "required": ["type", "at", "frame"],
                    "properties": {"type": {"enum": ["O", "C"]}, "at": {"type": "number"},
                                   "frame": {"type": "integer", "minimum": 0}},
                }},
            },
        },
    },
}

# The Trace Event Format events timeline.json uses ("JSON Object Format",
# traceEvents): complete events (X), metadata (M: process_name, thread_name
# and the sort indices) and counters (C), each with the fields its phase needs.
_ids = {"pid": {"type": "integer", "minimum": 1}, "tid": {"type": "integer", "minimum": 1}}
TRACE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["traceEvents"],
    "properties": {
        "displayTimeUnit": {"enum": ["ms", "ns"]},
        "traceEvents": {"type": "array", "items": {"oneOf": [
            {"type": "object", "required": ["ph", "name", "pid", "tid", "ts", "dur"],
             "properties": {"ph": {"const": "X"}, "name": {"type": "string", "minLength": 1},
                            "cat": {"type": "string"}, **_ids,
                            "ts": {"type": "number", "minimum": 0},
                            "dur": {"type": "number", "minimum": 0}}},
            {"type": "object", "required": ["ph", "name", "pid", "tid", "args"],
             "properties": {"ph": {"const": "M"}, **_ids,
                            "name": {"enum": ["process_name", "thread_name"]},
                            "args": {"type": "object", "required": ["name"],
                                     "properties": {"name": {"type": "string",
                                                             "minLength": 1}}}}},
            {"type": "object", "required": ["ph", "name", "pid", "tid", "args"],
             "properties": {"ph": {"const": "M"}, **_ids,
                            "name": {"enum": ["process_sort_index", "thread_sort_index"]},
                            "args": {"type": "object", "required": ["sort_index"],
                                     "properties": {"sort_index": {"type": "integer"}}}}},
            {"type": "object", "required": ["ph", "name", "pid", "tid", "ts", "args"],
             "properties": {"ph": {"const": "C"}, "name": {"type": "string", "minLength": 1},
                            **_ids, "ts": {"type": "number", "minimum": 0},
                            "args": {"type": "object", "minProperties": 1,
                                     "additionalProperties": {"type": "number"}}}},
        ]}},
    },
}

# Three Python threads, each in its own function, and 32 MB held by the
# main thread until the end.
JOB = """
    import threading, time
    def spin(n):
        s = 0
        for i in range(n):
            s += i
        return s
    def worker_a():
        spin(1_500_000)
        time.sleep(0.2)
    def worker_b():
        spin(1_500_000)
        time.sleep(0.2)
    def main_work():
        blobs = [bytearray(8_000_000) for _ in range(4)]
        ts = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
        for t in ts: t.start()
        spin(1_000_000)
        for t in ts: t.join()
        return blobs
    main_work()
"""


def load(report, name):
    return json.loads((report / name).read_text(encoding="utf-8"))


def stacks_of(doc, profile, scale):
    """A profile as a folded Counter: frame names joined root first, each
    weight divided by SCALE (the sample interval, or 1 for bytes)."""
    names = [f["name"] for f in doc["shared"]["frames"]]
    out = Counter()
    for stack, weight in zip(profile["samples"], profile["weights"]):
        out[tuple(names[i] for i in stack)] += round(weight / scale)
    return out


def funcs(stacks):
    return {f.split(" (")[0] for s in stacks for f in s}


@pytest.fixture
def job(run):
    r = run(JOB)
    assert r.proc.returncode == 0, r.proc.stderr
    return r


def test_speedscope_per_thread_and_memory(job):
    doc = load(job.report, "profile.speedscope.json")
    jsonschema.validate(doc, SPEEDSCOPE_SCHEMA)
    frames = doc["shared"]["frames"]
    for p in doc["profiles"]:
        assert len(p["samples"]) == len(p["weights"]), p["name"]
        assert all(0 <= i < len(frames) for s in p["samples"] for i in s), p["name"]
        assert p["startValue"] == 0
        assert p["endValue"] == pytest.approx(sum(p["weights"]), abs=1e-6), p["name"]
    assert doc["exporter"].startswith("radiograph@")
    assert doc["exporter"].endswith(job.summary["radiograph_version"])
    assert any(f.get("file", "").endswith("job.py") and f.get("line", 0) > 0 for f in frames)
    assert {"[running]", "[waiting: gil]"} <= {f["name"] for f in frames}

    perf = [p for p in doc["profiles"] if p["unit"] == "seconds"]
    mem = [p for p in doc["profiles"] if p["unit"] == "bytes"]
    assert len(perf) + len(mem) == len(doc["profiles"])
    assert len(mem) == 1

    # One profile per Python thread with samples: the threads that have
    # Python frames in the timeline (which, for a job this short, holds
    # every sample), named "pid PID COMMAND · THREAD".
    trace = load(job.report, "timeline.json")["traceEvents"]
    tname = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace
             if e["ph"] == "M" and e["name"] == "thread_name"}
    python_threads = {(e["pid"], e["tid"]) for e in trace
                      if e["ph"] == "X" and e.get("cat") != "state"}
    assert len(python_threads) == 3, python_threads
    assert Counter((f"pid {pid}", tname[pid, tid]) for pid, tid in python_threads) == \
        Counter((p["name"].split(" ")[0] + " " + p["name"].split(" ")[1],
                 p["name"].rpartition(" · ")[2]) for p in perf)
    pid = next(iter(python_threads))[0]
    assert all(p["name"].startswith(f"pid {pid} ") and "job.py" in p["name"] for p in perf)
    assert perf[doc["activeProfileIndex"]]["name"].endswith(" · MainThread")

    # Split by thread, the samples are exactly performance.folded's.
    interval = job.summary["sample_interval_seconds"]
    per_thread = [stacks_of(doc, p, interval) for p in perf]
    folded = job.folded
    assert sum(per_thread, Counter()) == folded
    total = sum(p["endValue"] for p in perf)
    assert total == pytest.approx(sum(folded.values()) * interval, rel=1e-9)
    # ... and each thread's share is its own: the main thread's profile holds
    # main_work, each worker's its function, and nothing of the others.
    owners = {fn: [i for i, s in enumerate(per_thread) if fn in funcs(s)]
              for fn in ("main_work", "worker_a", "worker_b")}
    assert all(len(v) == 1 for v in owners.values()), owners
    assert len({v[0] for v in owners.values()}) == 3, owners
    assert owners["main_work"] == [doc["activeProfileIndex"]]
    for fn, (i,) in owners.items():
        mine = sum(c for s, c in folded.items() if fn in funcs([s]))
        assert perf[i]["endValue"] == pytest.approx(
            sum(per_thread[i].values()) * interval, rel=1e-9)
        assert sum(c for s, c in per_thread[i].items() if fn in funcs([s])) == mine, fn

    # The memory profile is memory.folded, in bytes.
    memfold = parse_folded(job.report / "memory.folded")
    assert stacks_of(doc, mem[0], 1) == memfold
    assert mem[0]["endValue"] == sum(memfold.values())
    assert mem[0]["endValue"] >= 32_000_000
    assert job.summary["peak_memory_bytes"] >= mem[0]["endValue"] * 0.9


def test_timeline_events_nest_and_name_everything(job):
    doc = load(job.report, "timeline.json")
    jsonschema.validate(doc, TRACE_SCHEMA)
    events = doc["traceEvents"]

    named_procs = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    named_threads = {(e["pid"], e["tid"]) for e in events
                     if e["ph"] == "M" and e["name"] == "thread_name"}
    for e in events:
        assert e["pid"] in named_procs, e
        # a process-wide event is on the main thread (tid = pid)
        assert (e["pid"], e["tid"]) in named_threads or e["tid"] == e["pid"], e
    assert {(e["pid"], e["tid"]) for e in events if e["ph"] == "X"} <= named_threads
    assert all(e["tid"] == e["pid"] for e in events
               if e["ph"] == "M" and e["name"].startswith("process_"))

    # Per thread, complete events nest: read as the viewers do (sorted by ts,
    # ties in file order), each event lies inside the one still open.
    per = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            per[e["pid"], e["tid"]].append(e)
    assert len(per) >= 3
    for key, evs in per.items():
        assert evs == sorted(evs, key=lambda e: e["ts"]), f"{key}: not in order of start"
        open_ = []      # (start, end, is_state) of the events still open, outermost first
        for e in sorted(evs, key=lambda e: e["ts"]):
            start, end = e["ts"], e["ts"] + e["dur"]
            # closed: what ended before this starts, or at its start unless
            # both are empty at that instant
            while open_ and (open_[-1][1] < start or open_[-1][1] == start and
                             (open_[-1][0] < start or end > start)):
                open_.pop()
            if open_:
                p_start, p_end, p_state = open_[-1]
                assert p_start <= start and end <= p_end, (key, e, open_[-1])
                assert not p_state, f"{key}: {e} inside a state event"
            open_.append((start, end, e.get("cat") == "state"))
        assert any(e.get("cat") == "state" for e in evs), key

    counters = [e for e in events if e["ph"] == "C" and e["name"] == "memory"]
    assert counters, "no memory counter track"
    assert max(c["args"]["tracked_bytes"] for c in counters) >= 32_000_000
    assert all(c["pid"] in named_procs for c in counters)


def test_no_memory_has_no_memory_profile(run):
    r = run(JOB, options=["--no-memory"])
    assert r.proc.returncode == 0, r.proc.stderr
    doc = load(r.report, "profile.speedscope.json")
    jsonschema.validate(doc, SPEEDSCOPE_SCHEMA)
    assert doc["profiles"]
    assert all(p["unit"] == "seconds" for p in doc["profiles"])
    assert not (r.report / "memory.folded").exists()
    interval = r.summary["sample_interval_seconds"]
    assert sum((stacks_of(doc, p, interval) for p in doc["profiles"]), Counter()) == r.folded
    trace = load(r.report, "timeline.json")
    jsonschema.validate(trace, TRACE_SCHEMA)
    assert not [e for e in trace["traceEvents"] if e["ph"] == "C"]

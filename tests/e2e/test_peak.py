"""Peak memory is the memory the job used, told the same way everywhere:
address space reserved and never touched does not raise the peak (it is
listed apart, "reserved, not used", with its stack), and summary.json's
peak_memory_bytes, the total of memory.folded and the highest point of the
memory-over-time chart agree, for one process and for process trees."""
import json
import re

import pytest

from conftest import parse_folded, require

MB = 1_000_000
MiB = 1 << 20
# What the interpreter and the profiler's own start-up hold at any peak
# (the Python heap of an idle interpreter, imports): a few MB.
INTERPRETER = 30 * MB


def page_data(r):
    html = (r.report / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="rg-data">(.*?)</script>', html, re.S)
    assert m, "no page data"
    return json.loads(m.group(1))


def held_by(folded, name):
    return sum(b for s, b in folded.items() if any(f.split(" (")[0].split(".")[-1] == name for f in s))


def reserved_by(summary, name):
    return sum(r["bytes"] for r in summary["reserved"]
               if any(f.split(" (")[0].split(".")[-1] == name for f in r["stack"]))


def one_peak(r):
    """The three figures of the peak agree: returns (peak, folded total,
    chart's highest point) after checking them."""
    s = r.summary
    peak = s["peak_memory_bytes"]
    folded = sum(parse_folded(r.report / "memory.folded").values())
    series = page_data(r)["memory"]["series"]["tracked"]
    top = max(v for v in series if v is not None)
    assert abs(folded - peak) <= 0.01 * peak, (folded, peak)
    assert top <= peak, (top, peak)
    # the chart reaches the peak (its point is in the series)
    assert top >= 0.99 * peak, (top, peak)
    return peak, folded, top


NORESERVE = """
import mmap, time
MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
def reserve():
    return mmap.mmap(-1, 1 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
def fill():
    return bytearray(150 * 1000 * 1000)
r = reserve()
f = fill()
time.sleep(0.05)
del f
"""


def test_reservation_never_touched_beside_a_filled_block(run):
    r = run(NORESERVE)
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert 150 * MB <= peak < 150 * MB + INTERPRETER, peak
    m = parse_folded(r.report / "memory.folded")
    assert abs(held_by(m, "fill") - 150 * MB) < 0.01 * 150 * MB, held_by(m, "fill")
    assert held_by(m, "reserve") < MiB
    s = r.summary
    assert reserved_by(s, "reserve") >= (1 << 30) - MiB, s["reserved"]
    assert s["reserved_bytes"] >= (1 << 30) - MiB


def test_reservation_partly_filled_counts_what_was_written(run):
    r = run("""
        import mmap, time
        MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
        def reserve_and_fill():
            m = mmap.mmap(-1, 1 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
            chunk = b"x" * (1 << 20)
            for i in range(150):
                m[i << 20:(i + 1) << 20] = chunk      # 150 MiB written, the rest never
            return m
        m = reserve_and_fill()
        time.sleep(0.05)
        m.close()
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert 150 * MiB <= peak < 150 * MiB + INTERPRETER, peak
    m = parse_folded(r.report / "memory.folded")
    assert abs(held_by(m, "reserve_and_fill") - 150 * MiB) < 0.01 * 150 * MiB
    assert abs(reserved_by(r.summary, "reserve_and_fill") - ((1 << 30) - 150 * MiB)) < MiB


def test_mapping_never_touched_is_listed_not_counted(run):
    r = run("""
        import mmap, time
        def untouched():
            return mmap.mmap(-1, 64 << 20)            # 64 MiB, never written
        def used():
            return bytearray(20 * 1000 * 1000)
        m = untouched()
        x = used()
        time.sleep(0.05)
        del x
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert 20 * MB <= peak < 20 * MB + INTERPRETER, peak
    assert held_by(parse_folded(r.report / "memory.folded"), "untouched") < MiB
    s = r.summary
    assert reserved_by(s, "untouched") == 64 << 20, s["reserved"]
    # the page lists it too, with its stack, under the memory flamegraph
    assert page_data(r)["summary"]["reserved"] == s["reserved"]


def test_numpy_zeros_with_a_quarter_written(run):
    require("numpy")
    r = run("""
        import numpy as np, time
        def big():
            a = np.zeros(1000 * 1000 * 1000 // 8)     # 1 GB, calloc: no page touched
            a[: len(a) // 4] = 1.0                    # a quarter written
            return a
        a = big()
        time.sleep(0.05)
        del a
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert 250 * MB <= peak < 250 * MB + INTERPRETER + 30 * MB, peak   # + NumPy's import
    m = parse_folded(r.report / "memory.folded")
    assert abs(held_by(m, "big") - 250 * MB) < 0.01 * 250 * MB, held_by(m, "big")
    assert abs(reserved_by(r.summary, "big") - 750 * MB) < 0.01 * 750 * MB, r.summary["reserved"]


def test_written_after_allocation_between_ticks(run):
    """Blocks allocated and written faster than the sampler ticks, then
    freed: each is measured as it goes, and the peak is the two together."""
    r = run("""
        def a():
            return bytearray(200 * 1000 * 1000)
        def b():
            return bytearray(100 * 1000 * 1000)
        for _ in range(3):
            x = a(); y = b()
            del x, y
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert 300 * MB <= peak < 300 * MB + INTERPRETER, peak
    m = parse_folded(r.report / "memory.folded")
    assert abs(held_by(m, "a") - 200 * MB) < 0.01 * 200 * MB
    assert abs(held_by(m, "b") - 100 * MB) < 0.01 * 100 * MB


POOL_THEN_PARENT = """
import multiprocessing as mp, sys, time
held = []
def hold(mb):
    held.append(bytearray(mb * 1000 * 1000))   # kept by the worker until the pool ends
    time.sleep(0.3)
    return mb
def parent_alone():
    return bytearray(350 * 1000 * 1000)
if __name__ == "__main__":
    with mp.get_context(sys.argv[1]).Pool(2) as pool:
        print(sum(pool.map(hold, [100, 100], chunksize=1)))
        time.sleep(0.2)
    # leaving the with block terminated the workers (SIGTERM)
    x = parent_alone()
    time.sleep(0.3)
    del x
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_torn_down_then_the_parent_peaks_alone(run, method):
    r = run(POOL_THEN_PARENT, args=[method])
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.proc.stdout.strip() == "200"
    peak, _, top = one_peak(r)
    # the parent's 350 MB, not the workers' 200 MB still counted on top
    assert 350 * MB <= peak < 350 * MB + INTERPRETER, peak
    m = parse_folded(r.report / "memory.folded")
    assert abs(held_by(m, "parent_alone") - 350 * MB) < 0.01 * 350 * MB
    assert held_by(m, "hold") == 0
    s = r.summary
    workers = [e for e in s["process_ends"] if e["ppid"] != s["process_ends"][0]["ppid"]]
    assert len(workers) >= 2, s["process_ends"]
    # a worker that saw the pool's sentinel first exits by itself
    for e in workers:
        assert e["ended"] in ("terminated by SIGTERM (its parent ended the pool)", "exited 0"), e
    assert not any("not known" in n for n in s["notes"]), s["notes"]


def test_pool_workers_peak_together_with_the_parent(run):
    r = run("""
        import multiprocessing as mp, time
        def hold(mb):
            b = bytearray(mb * 1000 * 1000)
            time.sleep(0.5)
            return len(b)
        if __name__ == "__main__":
            base = bytearray(100 * 1000 * 1000)
            with mp.get_context("fork").Pool(2) as pool:
                print(sum(pool.map(hold, [150, 150], chunksize=1)))
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert 400 * MB <= peak < 400 * MB + 3 * INTERPRETER, peak
    m = parse_folded(r.report / "memory.folded")
    assert abs(held_by(m, "hold") - 300 * MB) < 0.02 * 300 * MB


SMALL_MAPS = """
import ctypes, mmap, queue, sys, threading, time
SIZE = 32 * 1024                   # under 64 KiB: counted in full, not by residency
def hold(n):
    return [mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS) for _ in range(n)]
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
def across(n):
    # each mapped by this thread, at an address of its own, and unmapped by
    # another while it is this thread's last mapping
    todo, done = queue.Queue(), queue.Queue()
    def closer():
        while (p := todo.get()) is not None:
            libc.munmap(p, SIZE)
            done.put(1)
    t = threading.Thread(target=closer)
    t.start()
    hint = libc.mmap(None, SIZE, 3, 0x22, -1, 0)
    for _ in range(n):
        hint -= 4 * SIZE
        p = libc.mmap(hint, SIZE, 3, 0x22, -1, 0)
        ctypes.memset(p, 1, SIZE)
        todo.put(p)
        done.get()
    todo.put(None)
    t.join()
if sys.argv[1] == "hold":
    ms = hold(3000)                # 98 MB
    time.sleep(0.05)
    for m in ms: m.close()
else:
    across(3000)                   # 98 MB in all, one held at a time
    time.sleep(0.05)
"""


def test_small_mappings_held_count_in_full(run):
    # CPython's frame-stack chunks and the like: a thread's last small
    # mapping waits outside the totals until its next one (a chunk mapped
    # and unmapped on a deep call costs no lock); the ones before it count.
    r = run(SMALL_MAPS, args=["hold"])
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    held = 3000 * 32 * 1024
    assert held - 64 * 1024 <= peak < held + INTERPRETER, peak
    # their stacks are sampled (one per 4 MiB of such mappings: ~24 here)
    assert held_by(parse_folded(r.report / "memory.folded"), "hold") >= 0.7 * held


def test_small_mappings_unmapped_by_another_thread_leave_nothing_behind(run):
    # a mapping another thread unmapped, or mapped over, is not put in the
    # tables when its thread maps again: 3,000 of them would be 98 MB
    r = run(SMALL_MAPS, args=["across"])
    assert r.proc.returncode == 0, r.proc.stderr
    peak, _, _ = one_peak(r)
    assert peak < INTERPRETER + 20 * MB, peak

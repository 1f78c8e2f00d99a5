#!/usr/bin/env python3
"""Write synthetic raw/ directories, as radiograph's agent and CLI would.

Used to measure `radiograph report` on long and wide runs without running
them, and to make the fuzz corpus. Standard library only.

    bench/synth_raw.py OUT --preset hour16    # 1 h, 16 threads, 100 Hz
    bench/synth_raw.py OUT --preset procs50   # 50 processes
    bench/synth_raw.py OUT --preset tiny      # a few seconds, every record type

OUT/raw/run.info and OUT/raw/<pid>.rgd are written (format: common/rawfmt.h,
docs/internals.md). What the agent does is imitated:

- samples are aggregated into COUNTS records, one flush a second, each
  preceded by the STRING/FRAME/STACK definitions it needs (ids start at 1,
  defined before use, parents before children);
- the timeline keeps a subset of samples per thread: every sample for the
  first 2048 points, then the stride doubles every 2048 points, so a thread
  of N samples has about 2048 * (1 + log2(N / 2048)) points;
- a STATS record every second (cumulative samples, cpu, rss), END at exit;
- memory as the agent tracks it: MEM_INFO once; a MEM_SERIES point per
  sampler tick (RSS read every 10th tick), the stride doubling every 1024
  points, flushed each second; a MEM_PEAK (the callstacks live at the
  process's highest tracked total so far) at most every 5 s while the total
  keeps reaching new highs, and a last one at exit, after which the final
  flush adds the peak itself as one more (out of order) series point.

The program is a random but realistic call tree: a shared trunk (module,
main, framework layers), branching into many distinct stacks of depth 20-60,
and each thread wanders between a working set of nearby stacks, with a
thread state per run of samples (mostly running, sometimes waiting on the
GIL, a lock, sleep, disk, network).
"""
import argparse
import os
import random
import struct

MAGIC = b"RGRAW01\n"
RAW_STRING, RAW_FRAME, RAW_STACK, RAW_THREAD, RAW_COUNTS, RAW_TIMELINE, \
    RAW_STATS, RAW_NOTE, RAW_END, RAW_CMDLINE = range(1, 11)
RAW_MEM_INFO, RAW_MEM_SERIES, RAW_MEM_PEAK = 20, 21, 22
RAW_THREAD_PYTHON, RAW_THREAD_MAIN = 1, 2
PY_3_11_7 = 0x030B07F0


class RawWriter:
    """One raw/<pid>.rgd: header, then records appended to a buffer."""

    def __init__(self, path, pid, ppid, start_mono, start_real, interval_us):
        self.path = path
        self.buf = bytearray()
        self.buf += MAGIC + struct.pack("<IIIIQQII16x", 1, 64, pid, ppid,
                                        start_mono, start_real, PY_3_11_7,
                                        interval_us)
        assert len(self.buf) == 64
        self.strings = {}
        self.frames = {}
        self.stacks = {}

    def record(self, rtype, payload):
        self.buf += struct.pack("<HHI", rtype, 0, len(payload)) + payload

    def string(self, s):
        sid = self.strings.get(s)
        if sid is None:
            sid = self.strings[s] = len(self.strings) + 1
            self.record(RAW_STRING, struct.pack("<I", sid) + s.encode())
        return sid

    def frame(self, fr):
        fid = self.frames.get(fr)
        if fid is None:
            name, file, line = fr
            n, f = self.string(name), self.string(file) if file else 0
            fid = self.frames[fr] = len(self.frames) + 1
            self.record(RAW_FRAME, struct.pack("<IIII", fid, n, f, line))
        return fid

    def stack(self, prog, node):
        """The id of program node NODE, defining it and its callers."""
        sid = self.stacks.get(node)
        if sid is not None:
            return sid
        chain = []
        while node is not None and node not in self.stacks:
            chain.append(node)
            node = prog.parent[node]
        for n in reversed(chain):
            p = prog.parent[n]
            pid = self.stacks[p] if p is not None else 0
            fid = self.frame(prog.frame[n])
            sid = self.stacks[n] = len(self.stacks) + 1
            self.record(RAW_STACK, struct.pack("<III", sid, pid, fid))
        return self.stacks[chain[0]] if chain else self.stacks[node]

    def thread(self, tid, flags, first_seen, name):
        self.record(RAW_THREAD, struct.pack("<IIQ", tid, flags, first_seen) + name.encode())

    def counts(self, items):
        if items:
            self.record(RAW_COUNTS, b"".join(
                struct.pack("<IIB3xI", st, tid, state, c) for (st, tid, state), c in items))

    def timeline(self, points):
        if points:
            self.record(RAW_TIMELINE, b"".join(
                struct.pack("<QIIB7x", t, tid, st, state) for t, tid, st, state in points))

    def stats(self, t, samples, dropped, cpu, rss, rss_peak, agent_cpu=0):
        self.record(RAW_STATS, struct.pack("<7Q", t, samples, dropped, cpu, rss, rss_peak,
                                           agent_cpu))

    def note(self, msg):
        self.record(RAW_NOTE, msg.encode())

    def end(self, t, cpu):
        self.record(RAW_END, struct.pack("<QQ", t, cpu))

    def mem_info(self, sample_bytes):
        self.record(RAW_MEM_INFO, struct.pack("<QQ", sample_bytes, 0))

    def mem_series(self, points):
        for i in range(0, len(points), 4096):
            self.record(RAW_MEM_SERIES, b"".join(
                struct.pack("<QQQ", *p) for p in points[i:i + 4096]))

    def mem_peak(self, t, peak, entries, oom=0, generation=None, tree_peak=0):
        """ENTRIES: [(stack id, bytes)]. GENERATION: None for the 32-byte head."""
        head = struct.pack("<QQQQ", t, peak, len(entries), oom)
        if generation is not None:
            head += struct.pack("<QQ", generation, tree_peak)
        self.record(RAW_MEM_PEAK, head + b"".join(
            struct.pack("<IIQ", st, 0, b) for st, b in entries))

    def cmdline(self, argv):
        self.record(RAW_CMDLINE, b"".join(a.encode() + b"\0" for a in argv))

    def close(self, cut=0):
        data = bytes(self.buf[:len(self.buf) - cut] if cut else self.buf)
        with open(self.path, "wb") as f:
            f.write(data)


class Program:
    """A call tree: node -> parent, node -> frame (qualname, file, line)."""

    def __init__(self, rng, nstacks, depth_min, depth_max, nfiles=120):
        self.rng = rng
        self.parent = []
        self.frame = []
        self.children = []
        files = [f"/srv/app/{pkg}/{mod}.py"
                 for pkg in ("pipeline", "model", "io", "util", "features", "train")
                 for mod in ("core", "stage", "loader", "ops", "transform", "encode",
                             "schedule", "batch", "cache", "net", "store", "layers",
                             "metrics", "graph", "plan", "exec", "sched", "parse",
                             "compat", "tools")][:nfiles]
        files += ["/usr/lib/python3.11/json/encoder.py", "/usr/lib/python3.11/threading.py",
                  "<frozen importlib._bootstrap>", "<string>"]
        names = ["run", "step", "forward", "backward", "load", "save", "encode",
                 "decode", "transform", "apply", "__call__", "_inner", "<listcomp>",
                 "<genexpr>", "<lambda>", "fit", "predict", "batchify", "collate",
                 "read_chunk", "write_chunk", "wait", "acquire", "compute", "merge"]
        classes = ["", "Trainer.", "Loader.", "Encoder.", "Graph.", "Stage.",
                   "Scheduler.", "Cache.", "Model.", "Batch."]
        self.frame_pool = [(rng.choice(classes) + rng.choice(names), rng.choice(files),
                            rng.randint(1, 900)) for _ in range(4000)]
        self.frame_pool.append(("weird;name\nwith newline", "/srv/app/odd;file.py", 7))
        # the trunk every stack shares
        node = self.add(None, ("<module>", "/srv/app/job.py", 1))
        for i, fr in enumerate([("main", "/srv/app/job.py", 40),
                                ("Trainer.fit", "/srv/app/train/core.py", 120),
                                ("Trainer._loop", "/srv/app/train/core.py", 188)]):
            node = self.add(node, fr)
        self.trunk = node
        self.leaves = []
        seen = set()
        while len(self.leaves) < nstacks:
            n, depth = self.trunk, 4
            target = rng.randint(depth_min, depth_max)
            while depth < target:
                kids = self.children[n]
                if kids and rng.random() < 0.85 - 0.5 * (depth / depth_max):
                    n = rng.choice(kids)
                else:
                    n = self.add(n, rng.choice(self.frame_pool))
                depth += 1
            if n not in seen:
                seen.add(n)
                self.leaves.append(n)

    def add(self, parent, fr):
        if parent is not None:
            for k in self.children[parent]:
                if self.frame[k] == fr:
                    return k
        self.parent.append(parent)
        self.frame.append(fr)
        self.children.append([])
        if parent is not None:
            self.children[parent].append(len(self.frame) - 1)
        return len(self.frame) - 1


STATES = [0] * 14 + [2] * 3 + [3, 4, 5, 6, 1, 7]   # mostly running


class ThreadSim:
    """Runs of (stack, state) for one thread, plus the agent's point stride."""

    def __init__(self, rng, prog, tid, working_set):
        self.rng, self.prog, self.tid = rng, prog, tid
        self.working = rng.sample(prog.leaves, min(working_set, len(prog.leaves)))
        self.sample = 0          # samples taken so far
        self.emitted = 0         # timeline points so far
        self.next_emit = 0
        self.run_left = 0
        self.cur = None

    def new_run(self):
        rng = self.rng
        if rng.random() < 0.02:       # a phase change: a new working set
            self.working[rng.randrange(len(self.working))] = rng.choice(self.prog.leaves)
        self.cur = (rng.choice(self.working), rng.choice(STATES))
        self.run_left = max(1, int(rng.expovariate(1 / 25)))

    def advance(self, n, counts, points, t0, interval_ns):
        """Takes N samples: adds to COUNTS {(node, tid, state): c} and POINTS."""
        while n:
            if self.run_left == 0:
                self.new_run()
            k = min(n, self.run_left)
            node, state = self.cur
            key = (node, self.tid, state)
            counts[key] = counts.get(key, 0) + k
            end = self.sample + k
            while self.next_emit < end:
                points.append((t0 + self.next_emit * interval_ns, self.tid, node, state))
                self.emitted += 1
                self.next_emit += 1 << (self.emitted // 2048)
            self.sample = end
            self.run_left -= k
            n -= k


class MemSim:
    """A process's tracked memory, the agent's series stride and its peak
    snapshots: a working set of allocating stacks whose live bytes grow in a
    sawtooth (batches allocated, then freed) over a rising baseline for the
    first part of the run, then fall back."""

    R = 256 * 1024

    def __init__(self, rng, prog, seconds, hz, nstacks, base_mb, top_mb):
        self.rng, self.hz = rng, hz
        self.total_ticks = seconds * hz
        self.base, self.top = base_mb << 20, top_mb << 20
        self.stacks = rng.sample(prog.leaves, min(nstacks, len(prog.leaves)))
        # inner frames allocate too: some stacks are callers of the leaves
        for i in range(0, len(self.stacks), 5):
            n = self.stacks[i]
            for _ in range(rng.randint(1, 6)):
                if prog.parent[n] is not None:
                    n = prog.parent[n]
            self.stacks[i] = n
        self.weights = [rng.paretovariate(1.1) for _ in self.stacks]
        wsum = sum(self.weights)
        self.weights = [w / wsum for w in self.weights]
        self.tick = 0
        self.stride, self.skip, self.in_epoch = 1, 0, 0
        self.points = []
        self.peak, self.peak_t = 0, 0
        self.peak_dirty = False
        self.last_peak_write = None

    def tracked(self, k):
        x = k / self.total_ticks
        rise = min(1.0, x / 0.35)
        level = self.base + (self.top - self.base) * rise * (1.0 if x < 0.7 else
                                                            max(0.3, 1 - (x - 0.7) / 0.3))
        saw = ((k % (self.hz * 7)) / (self.hz * 7)) * 0.15 * level
        return int(level * 0.85 + saw)

    def advance(self, t0, interval_ns):
        """One second of sampler ticks: series points and the peak."""
        for _ in range(self.hz):
            k = self.tick
            self.tick += 1
            v = self.tracked(k)
            t = t0 + k * interval_ns
            if v > self.peak:
                self.peak, self.peak_t, self.peak_dirty = v, t, True
            self.skip += 1
            if self.skip < self.stride:
                continue
            self.skip = 0
            rss = int(v * 1.08) + (60 << 20) if k % 10 == 1 else 0
            self.points.append((t, v, rss))
            self.in_epoch += 1
            if self.in_epoch == 1024:
                self.in_epoch = 0
                self.stride *= 2

    def snapshot(self, w, prog, leave_out_first=0):
        """(stack id, bytes) entries estimating what was live at the peak."""
        out = [(0, int(self.peak * 0.03))]       # no Python stack
        for node, wt in zip(self.stacks[leave_out_first:], self.weights[leave_out_first:]):
            b = int(self.peak * 0.97 * wt * self.rng.uniform(0.8, 1.2))
            if b >= 64:
                out.append((w.stack(prog, node), b))
        return out

    def flush(self, w, prog, now, final=False):
        if self.tick == self.hz or (final and self.tick <= self.hz):
            w.mem_info(self.R)
        if final:
            self.points.append((self.peak_t, self.peak, 0))
        w.mem_series(self.points)
        self.points = []
        if self.peak_dirty and (final or self.last_peak_write is None or
                                now - self.last_peak_write >= 5_000_000_000):
            w.mem_peak(self.peak_t, self.peak, self.snapshot(w, prog))
            self.peak_dirty = False
            self.last_peak_write = now


def write_process(path, rng, prog, pid, ppid, start_mono, start_real, seconds, nthreads,
                  hz, argv, ended=True, notes=(), cut=0, extra=False, mem=None):
    interval_us = 1000000 // hz
    interval_ns = interval_us * 1000
    w = RawWriter(path, pid, ppid, start_mono, start_real, interval_us)
    w.cmdline(argv)
    for n in notes:
        w.note(n)
    sims = []
    for i in range(nthreads):
        tid = pid if i == 0 else pid + i
        name = "MainThread" if i == 0 else f"Thread-{i} (worker)"
        flags = RAW_THREAD_PYTHON | (RAW_THREAD_MAIN if i == 0 else 0)
        w.thread(tid, flags, start_mono + i * 1000000, name)
        sims.append(ThreadSim(rng, prog, tid, working_set=40))
    native_tid = pid + nthreads
    w.thread(native_tid, 0, start_mono, "jemalloc_bg_thd")
    rss = 200 << 20
    peak = rss
    for s in range(seconds):
        counts, points = {}, []
        for sim in sims:
            sim.advance(hz, counts, points, start_mono, interval_ns)
        # a native thread: no Python frames, mostly waiting
        counts[(None, native_tid, 7)] = hz
        if s < 20 or s % 30 == 0:
            points.append((start_mono + s * hz * interval_ns, native_tid, None, 7))
        points.sort(key=lambda p: p[0])
        ids = {}
        for node in {k[0] for k in counts} | {p[2] for p in points}:
            ids[node] = w.stack(prog, node) if node is not None else 0
        w.counts([((ids[n], tid, st), c) for (n, tid, st), c in sorted(
            counts.items(), key=lambda kv: (kv[0][1], ids[kv[0][0]], kv[0][2]))])
        w.timeline([(t, tid, ids[n], st) for t, tid, n, st in points])
        rss += rng.randint(-30, 40) << 20
        rss = max(rss, 100 << 20)
        peak = max(peak, rss)
        t = start_mono + (s + 1) * 1000000000
        w.stats(t, (s + 1) * hz, s // 60, int((s + 1) * 1e9 * nthreads * 0.7), rss, peak,
                (s + 1) * 2_000_000)
        if mem is not None:
            mem.advance(start_mono, interval_ns)
            mem.flush(w, prog, t, final=ended and s == seconds - 1)
        if extra and s == 0:
            w.record(25, b"\x01" * 24)          # a future memory record: skipped by length
    if ended:
        w.end(start_mono + seconds * 1000000000 + 1000000, int(seconds * 1e9 * nthreads * 0.7))
    w.close(cut)
    return start_mono + seconds * 1000000000


def write_run_info(raw, argv, start_mono, end_mono, start_real, cpu_ns, hz, exit_code=0):
    def esc(a):
        return a.replace("\\", "\\\\").replace("\n", "\\n")
    lines = ["radiograph_version=0.1.0"] + [f"arg={esc(a)}" for a in argv] + [
        f"start_real_ns={start_real}", f"start_mono_ns={start_mono}",
        f"end_mono_ns={end_mono}", f"exit_code={exit_code}", f"cpu_ns={cpu_ns}",
        f"sample_interval_us={1000000 // hz}"]
    with open(os.path.join(raw, "run.info"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--preset", choices=["hour16", "procs50", "tiny"], default="hour16")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=int, help="override the run's length")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    raw = os.path.join(args.out, "raw")
    os.makedirs(raw, exist_ok=True)
    start_mono, start_real, hz = 5_000_000_000, 1_764_077_000_000_000_000, 100
    if args.preset == "hour16":
        seconds = args.seconds or 3600
        prog = Program(rng, nstacks=3000, depth_min=20, depth_max=60)
        argv = ["python3", "train.py", "--epochs", "3"]
        mem = MemSim(rng, prog, seconds, hz, nstacks=2500, base_mb=300, top_mb=9000)
        end = write_process(os.path.join(raw, "4242.rgd"), rng, prog, 4242, 4200,
                            start_mono + 2_000_000, start_real + 2_000_000, seconds, 16,
                            hz, argv, mem=mem)
        write_run_info(raw, argv, start_mono, end + 5_000_000, start_real,
                       int(seconds * 16 * 0.7e9), hz)
    elif args.preset == "procs50":
        seconds = args.seconds or 120
        prog = Program(rng, nstacks=1500, depth_min=15, depth_max=45)
        argv = ["python3", "pool_job.py"]
        last = write_process(os.path.join(raw, "5000.rgd"), rng, prog, 5000, 4999,
                             start_mono + 1_000_000, start_real + 1_000_000,
                             seconds + 10, 2, hz, argv,
                             mem=MemSim(rng, prog, seconds + 10, hz, 400, 200, 900))
        for i in range(1, 50):
            pid = 5000 + 10 * i
            t0 = start_mono + 1_000_000_000 + i * 50_000_000
            end = write_process(os.path.join(raw, f"{pid}.rgd"), rng, prog, pid, 5000,
                                t0, start_real + (t0 - start_mono), seconds, 2, hz,
                                ["python3", "-c", "from multiprocessing.spawn import "
                                 "spawn_main; spawn_main()"],
                                ended=i % 17 != 0,
                                mem=MemSim(rng, prog, seconds, hz, 300, 60, 400 + 10 * i))
            last = max(last, end)
        write_run_info(raw, argv, start_mono, last + 5_000_000, start_real,
                       int(50 * seconds * 2 * 0.7e9), hz)
    else:
        seconds = args.seconds or 3
        prog = Program(rng, nstacks=12, depth_min=4, depth_max=9, nfiles=4)
        argv = ["python3", "tiny.py", "a b", "semi;colon"]
        end = write_process(os.path.join(raw, "100.rgd"), rng, prog, 100, 99,
                            start_mono, start_real, seconds, 2, hz, argv,
                            notes=["allocation tracking unavailable: test note"],
                            extra=True, mem=MemSim(rng, prog, seconds, hz, 8, 5, 40))
        write_process(os.path.join(raw, "101.rgd"), rng, prog, 101, 100,
                      start_mono + 500_000_000, start_real + 500_000_000, 1, 1, hz,
                      ["python3", "-c", "child"], ended=False, cut=7)
        # a child killed while out of memory, its snapshot with the 48-byte head
        w = RawWriter(os.path.join(raw, "102.rgd"), 102, 100, start_mono + 700_000_000,
                      start_real + 700_000_000, 10000)
        w.cmdline(["python3", "-c", "oom"])
        w.thread(102, RAW_THREAD_PYTHON | RAW_THREAD_MAIN, start_mono + 700_000_000,
                 "MainThread")
        leaf = prog.leaves[0]
        sid = w.stack(prog, leaf)
        w.counts([((sid, 102, 0), 5)])
        w.mem_info(MemSim.R)
        t = start_mono + 700_000_000
        w.mem_series([(t + i * 10_000_000, (i + 1) << 20, (60 << 20) if i % 10 == 1 else 0)
                      for i in range(40)])
        w.mem_peak(t + 390_000_000, 40 << 20, [(sid, 39 << 20), (0, 1 << 20)], oom=1,
                   generation=2, tree_peak=80 << 20)
        w.note("process 102: an allocation of 1073741824 bytes failed (out of memory)")
        w.close()
        write_run_info(raw, argv, start_mono, end + 1_000_000, start_real,
                       int(seconds * 2 * 0.7e9), hz, exit_code=3)


if __name__ == "__main__":
    main()

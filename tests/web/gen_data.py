#!/usr/bin/env python3
"""gen_data.py — synthetic page data (docs/internals.md section 2) for testing
and looking at the report page without running a profile.

    gen_data.py OUT.json [--nodes N] [--processes P] [--threads T]
                [--seconds S] [--spans K] [--hostile] [--memory] [--oom]
                [--partial] [--seed X]

The performance tree is built the way the report builder builds it: random
but program-like stacks (a fixed entry point, callees drawn per caller with
a skewed distribution, so stacks share prefixes) are counted into a trie,
each ending in a state frame, then written in pre-order with children sorted
by frame name. Timeline spans replay the tree's leaves over time, each
span's state taken from its leaf. --hostile puts markup, quotes, </script>,
U+2028/2029 and non-BMP characters into names, files, source lines, thread
names, the command and the notes, some on wide frames so they get drawn.

Known frames the tests look for: LONG_NAME (a wide frame whose label does
not fit), HOSTILE_NAME (when --hostile), SEARCH_NAME (a function called from
two places, one nested inside the other), MEM_NAME (the widest frame of the
peak-memory tree, when --memory), NO_STACK ("[no Python stack]", kind 3),
and an `import numpy as np` whose importlib frames (IMPORTLIB_FILES) import
numpy and, nested, numpy.core (IMPORT_MODULES), in both trees; a thin stack
DEEP_DEPTH frames deep; an idle helper thread per process (IDLE_THREAD,
only waiting), the first process's main thread starting in the deep
stack for 1% of the run (DEEP_SHARE). Each thread carries its tally (samples per leaf), and the
summary its answers, as the report builder writes them.

Python standard library only.
"""

import argparse
import json
import math
import random
import sys

STATES = ["running", "waiting", "gil", "lock", "sleep", "disk", "network", "poll", "child"]
STATE_WEIGHTS = [60, 4, 10, 5, 8, 5, 5, 2, 1]

LONG_NAME = ("DataPipeline.transform_records_with_an_unreasonably_long_method_name_"
             "that_cannot_possibly_fit_in_its_frame_label_even_when_wide")
SEARCH_NAME = "normalize_unicode_key"
HOSTILE_NAME = '<img src=x onerror="window.__pwned=1;alert(1)">'
HOSTILE_FILE = "</script><script>window.__pwned=2</script>.py"
HOSTILE_SRC = ("print(\"<b>bold</b> & 'quotes' \u2028 ls \u2029 ps \u00fcn\u00efc\u00f8d\u00e9 "
               "\U0001F680 </script><!-- {{TITLE}} {{DATA}}\")")
HOSTILE_THREAD = "<svg onload=window.__pwned=3>worker\u2028\"'"
MEM_NAME = "build_feature_matrix"
MEM_FILE = "/home/ana/project/pipeline/features.py"
MEM_SRC = "matrix = np.zeros((n_rows, n_features), dtype=np.float64)"
NO_STACK = "[no Python stack]"
IMPORTLIB_FILES = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
IMPORT_MODULES = ("numpy", "numpy.core")
IMPORT_SRC = "import numpy as np"
IDLE_THREAD = "QueueFeederThread"
DEEP_DEPTH = 45
DEEP_SHARE = 0.01
SITE = "/opt/venv/lib/python3.11/site-packages"

FILES = [
    "/home/ana/project/job.py", "/home/ana/project/pipeline/stages.py",
    "/home/ana/project/pipeline/io.py", "/usr/lib/python3.11/json/encoder.py",
    "/usr/lib/python3.11/json/decoder.py", "/usr/lib/python3.11/threading.py",
    "/usr/lib/python3.11/concurrent/futures/thread.py",
    "/opt/venv/lib/python3.11/site-packages/numpy/core/fromnumeric.py",
    "/opt/venv/lib/python3.11/site-packages/pandas/core/frame.py",
    "/opt/venv/lib/python3.11/site-packages/pandas/core/groupby/ops.py",
    "/usr/lib/python3.11/socket.py", "/usr/lib/python3.11/subprocess.py",
]
VERBS = ["load", "parse", "encode", "decode", "transform", "merge", "filter", "group", "sort",
         "write", "read", "fetch", "compute", "reduce", "validate", "normalize", "hash", "copy",
         "serialize", "aggregate", "join", "split", "resample", "score"]
NOUNS = ["batch", "records", "frame", "chunk", "rows", "index", "buffer", "payload", "matrix",
         "features", "labels", "items", "keys", "blocks", "page", "result", "table"]
CLASSES = ["", "", "", "Encoder.", "Loader.", "Stage.", "DataFrame.", "Worker.", "Session."]
SRC = ["out.append(transform(row))", "result = json.dumps(payload)", "chunks = list(iter_chunks(f))",
       "df = df.groupby(key).sum()", "return [i[:] for i in l]", "data = sock.recv(65536)",
       "time.sleep(0.1)", "with lock:", "total += np.sum(arr, axis=0)", "f.write(buf)",
       "os.fsync(f.fileno())", "for key, value in items.items():", "yield from self._iterencode(o)",
       "return _default_encoder.encode(obj)", "x = normalize(s).casefold()", "proc.wait()",
       "l.append(list(range(i)))", "q.get(timeout=1.0)", "arr = np.concatenate(parts)",
       "rows = [parse(line) for line in lines]", "self._fill(buf, n)", "return self._cache[key]"]


class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.frames = {"name": [], "file": [], "line": [], "src": [], "kind": []}
        self.frame_ids = {}
        self.state_frames = {}
        for code, st in enumerate(STATES):
            name = "[running]" if st == "running" else "[waiting]" if st == "waiting" else f"[waiting: {st}]"
            self.state_frames[code] = self.frame(name, "", 0, "", 1 if code == 0 else 2)

    def frame(self, name, file, line, src, kind=0):
        key = (name, file, line, src, kind)
        f = self.frame_ids.get(key)
        if f is None:
            f = len(self.frames["name"])
            self.frame_ids[key] = f
            for col, v in zip(("name", "file", "line", "src", "kind"), key):
                self.frames[col].append(v)
        return f

    def pool(self, n):
        rng = self.rng
        out = []
        for i in range(n):
            name = rng.choice(CLASSES) + rng.choice(VERBS) + "_" + rng.choice(NOUNS)
            if i % 7 == 0:
                name += f"_{i}"
            src = rng.choice(SRC) if rng.random() < 0.85 else ""
            out.append(self.frame(name, rng.choice(FILES), rng.randint(5, 900), src))
        return out


def import_stack(g, leaf_frames):
    """`<module> · import numpy as np` -> importlib -> numpy's <module> ->
    importlib -> numpy.core's <module> -> LEAF_FRAMES."""
    boot, ext = IMPORTLIB_FILES
    run = [g.frame("_find_and_load", boot, 1176, ""), g.frame("_find_and_load_unlocked", boot, 1147, ""),
           g.frame("_load_unlocked", boot, 690, ""), g.frame("_LoaderBasics.exec_module", ext, 940, ""),
           g.frame("_call_with_frames_removed", boot, 241, "")]
    importer = g.frame("<module>", "/home/ana/project/job.py", 3, IMPORT_SRC)
    numpy = g.frame("<module>", SITE + "/numpy/__init__.py", 130, "from . import core")
    core = g.frame("<module>", SITE + "/numpy/core/__init__.py", 24, "from . import multiarray")
    return [importer] + run + [numpy] + run + [core] + list(leaf_frames)


def importlib_leaf(g):
    """A stack that ends inside the import system (reading a .pyc)."""
    ext = IMPORTLIB_FILES[1]
    return [g.frame("<module>", "/home/ana/project/job.py", 3, IMPORT_SRC),
            g.frame("_find_and_load", IMPORTLIB_FILES[0], 1176, ""),
            g.frame("SourceLoader.get_code", ext, 1073, ""), g.frame("FileLoader.get_data", ext, 1131, "")]


class Trie:
    def __init__(self):
        self.children = [{}]
        self.frame = [-1]
        self.count = [0]

    def add(self, stack, n):
        node = 0
        for f in stack:
            c = self.children[node].get(f)
            if c is None:
                c = len(self.frame)
                self.children[node][f] = c
                self.children.append({})
                self.frame.append(f)
                self.count.append(0)
            node = c
        self.count[node] += n
        return node

    def preorder(self, names):
        """Returns (parent, frame, value, old->new index) in pre-order,
        children sorted by frame name as flamegraph.pl does."""
        n = len(self.frame)
        value = list(self.count)
        order = []
        stack = [0]
        while stack:
            v = stack.pop()
            order.append(v)
            kids = sorted(self.children[v].values(), key=lambda c: (names[self.frame[c]], self.frame[c]))
            stack.extend(reversed(kids))
        for v in reversed(order):
            for c in self.children[v].values():
                value[v] += value[c]
        new = [0] * n
        for i, v in enumerate(order):
            new[v] = i
        parent = [-1] * n
        for v in order:
            for c in self.children[v].values():
                parent[new[c]] = new[v]
        return parent, [self.frame[v] for v in order], [value[v] for v in order], new


def build_perf(g, target_nodes):
    rng = g.rng
    a = g.args
    pool = g.pool(max(40, target_nodes // 6))
    module = g.frame("<module>", "/home/ana/project/job.py", 48, "main(int(sys.argv[1]))")
    main = g.frame("main", "/home/ana/project/job.py", 21, "run_pipeline(config, workers=4)")
    long_fn = g.frame(LONG_NAME, "/home/ana/project/pipeline/stages.py", 212,
                      "records = [self._transform_one(r, schema=self.schema) for r in batch]")
    search_fn = g.frame(SEARCH_NAME, "/home/ana/project/pipeline/stages.py", 77, "return unicodedata.normalize('NFC', key)")
    append_fn = g.frame("main", "/home/ana/project/job.py", 12, "l.append(list(range(i)))")
    dumps = g.frame("dumps", "/usr/lib/python3.11/json/__init__.py", 231, "return _default_encoder.encode(obj)")
    encode = g.frame("JSONEncoder.encode", "/usr/lib/python3.11/json/encoder.py", 200,
                     "chunks = self.iterencode(o, _one_shot=True)")
    worker = g.frame("_worker", "/usr/lib/python3.11/concurrent/futures/thread.py", 83,
                     "work_item = work_queue.get(block=True)")
    bootstrap = g.frame("Thread._bootstrap", "/usr/lib/python3.11/threading.py", 995, "self._bootstrap_inner()")
    hostile = None
    if a.hostile:
        hostile = g.frame(HOSTILE_NAME, HOSTILE_FILE, 666, HOSTILE_SRC)

    callees = {}

    def pick_callee(f):
        lst = callees.get(f)
        if lst is None:
            k = rng.choice([1, 1, 2, 2, 3, 4, 6, 9])
            lst = [rng.choice(pool) for _ in range(k)]
            callees[f] = lst
        i = min(len(lst) - 1, int(rng.expovariate(1.3)))
        return lst[i]

    def state_leaf():
        return g.state_frames[rng.choices(range(len(STATES)), STATE_WEIGHTS)[0]]

    trie = Trie()
    # Fixed, recognisable stacks with large counts.
    trie.add([module, main, long_fn, pool[0], g.state_frames[0]], 900)
    trie.add([module, main, long_fn, search_fn, g.state_frames[0]], 120)
    trie.add([module, main, long_fn, pool[1], search_fn, g.state_frames[0]], 60)
    trie.add([module, main, long_fn, search_fn, pool[4], search_fn, g.state_frames[2]], 30)
    trie.add([module, main, append_fn, g.state_frames[0]], 700)
    trie.add([module, main, dumps, encode, g.state_frames[0]], 800)
    trie.add([module, main, dumps, encode, g.state_frames[2]], 90)
    trie.add([bootstrap, worker, g.state_frames[3]], 500)
    trie.add([bootstrap, worker, pool[2], g.state_frames[5]], 300)
    if hostile is not None:
        trie.add([module, main, hostile, g.state_frames[0]], 350)
        trie.add([module, main, hostile, pool[3], g.state_frames[4]], 120)
    multiarray = g.frame("<module>", SITE + "/numpy/core/multiarray.py", 12, "from . import overrides")
    trie.add(import_stack(g, [multiarray, g.state_frames[0]]), 180)
    trie.add(importlib_leaf(g) + [g.state_frames[5]], 40)
    # One thin, deep stack (a couple of samples): it must not make the
    # flamegraph tall.
    deep = [module, main] + [g.frame(f"recurse_{k % 3}", "/home/ana/project/pipeline/tree.py", 40 + k % 3,
                                      "return walk(node.children)") for k in range(DEEP_DEPTH - 2)]
    deep_leaf = trie.add(deep + [g.state_frames[0]], 2)
    # An idle helper thread: only waits.
    feeder = g.frame("Queue._feed", "/usr/lib/python3.11/multiprocessing/queues.py", 231, "nwait()")
    trie.add([bootstrap, feeder, g.state_frames[3]], 400)

    while len(trie.frame) < target_nodes:
        base = [module, main] if rng.random() < 0.7 else [bootstrap, worker]
        stack = list(base)
        depth = rng.randint(2, 22) if rng.random() < 0.97 else rng.randint(40, 70)
        f = stack[-1]
        for _ in range(depth):
            f = pick_callee(f)
            stack.append(f)
        stack.append(state_leaf())
        trie.add(stack, min(40, int(rng.paretovariate(1.3))))

    parent, frame, value, new = trie.preorder(g.frames["name"])
    g.feeder_frame = feeder
    g.deep_node = parent[new[deep_leaf]]
    return {"parent": parent, "frame": frame, "value": value, "interval": a.interval}


def state_of(name):
    return 0 if name == "[running]" else 1 if name == "[waiting]" else STATES.index(name[len("[waiting: "):-1])


def split(rng, n, k):
    """N samples in K integer parts, at random."""
    cuts = sorted(rng.randint(0, n) for _ in range(k - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [n])]


def build_timeline(g, perf):
    rng = g.rng
    a = g.args
    kind = g.frames["kind"]
    names = g.frames["name"]
    parent, frame, value = perf["parent"], perf["frame"], perf["value"]
    # Leaves of the tree: (leaf, python node = its parent, state, weight), the
    # idle helper's apart.
    busy, idle = [], []
    for i in range(1, len(parent)):
        f = frame[i]
        if kind[f] != 0:
            leaf = (i, parent[i], state_of(names[f]), value[i])
            (idle if frame[parent[i]] == g.feeder_frame else busy).append(leaf)
    cum = []
    acc = 0
    for lf in busy:
        acc += lf[3]
        cum.append(acc)
    end_ms = a.seconds * 1000.0
    processes = []
    pid0 = 4100
    busy_threads, idle_threads = [], []
    for p in range(a.processes):
        pid = pid0 + p * 37
        threads = []
        for t in range(a.threads):
            if t == 0:
                name = "MainThread"
            elif a.hostile and t == 1:
                name = HOSTILE_THREAD
            else:
                name = f"ThreadPoolExecutor-0_{t - 1}"
            spans = []
            start = 0.0 if p == 0 else rng.uniform(50, end_ms * 0.2)
            stop = end_ms if p == 0 else rng.uniform(end_ms * 0.6, end_ms)
            mean = (stop - start) / a.spans
            tms = start
            if p == 0 and t == 0:
                # The main thread starts in the thin deep stack, briefly.
                spans += [0.0, round(end_ms * DEEP_SHARE, 4), g.deep_node, 0]
                tms = round(end_ms * DEEP_SHARE, 4)
            cur = rng.choices(busy, cum_weights=cum)[0]
            while tms < stop:
                d = min(stop - tms, rng.expovariate(1.0 / mean))
                if rng.random() < 0.06:
                    cur = rng.choices(busy, cum_weights=cum)[0]
                spans += [round(tms, 4), round(tms + d, 4), cur[1], cur[2]]
                tms += d
            th = {"tid": pid + t, "name": name, "python": True, "main": t == 0, "spans": spans, "tally": []}
            threads.append(th)
            busy_threads.append(th)
        # The idle helper: waits on a lock the whole time.
        feeder = idle[0][1] if idle else -1
        th = {"tid": pid + 50, "name": IDLE_THREAD, "python": True, "main": False,
              "spans": [0.0, round(end_ms, 4), feeder, 3], "tally": []}
        threads.append(th)
        idle_threads.append(th)
        # A native thread that never ran Python: state only.
        nspans = []
        tms = 0.0
        while tms < end_ms:
            d = rng.expovariate(1.0 / (end_ms / 60))
            nspans += [round(tms, 4), round(min(end_ms, tms + d), 4), -1, rng.choice([0, 7, 7, 3])]
            tms += d
        threads.append({"tid": pid + 90, "name": "jemalloc_bg_thd", "python": False, "main": False,
                        "spans": nspans, "tally": []})
        cmd = "python3 job.py --workers 4" if p == 0 else f"python3 -c 'from multiprocessing.spawn import spawn_main; spawn_main()' #{p}"
        if a.hostile and p == a.processes - 1:
            cmd += " " + HOSTILE_NAME
        ended = "exited 0" if p != 1 else "killed by signal 9"
        processes.append({"pid": pid, "ppid": 4000 if p == 0 else pid0, "command": cmd,
                          "ended": ended, "threads": threads})
    # Tallies: each busy leaf's samples go to one busy thread (a fifth of
    # them split with a second), the idle leaves' to the idle helpers; in
    # leaf order, so a thread's pairs are in pre-order as the builder writes.
    for leaf, _, _, v in busy:
        owners = rng.sample(busy_threads, 2 if len(busy_threads) > 1 and rng.random() < 0.2 else 1)
        for th, c in zip(owners, split(rng, v, len(owners))):
            if c:
                th["tally"] += [leaf, c]
    for leaf, _, _, v in idle:
        for th, c in zip(idle_threads, split(rng, v, len(idle_threads))):
            if c:
                th["tally"] += [leaf, c]
    return {"start_ns": 0, "end_ns": int(end_ms * 1e6), "processes": processes}


def answers(g, perf, timeline, memory):
    """The summary's answers in the report builder's format. The builder
    credits a leaf to the innermost frame of the program's own code; here
    simply to the leaf's Python frame (the page only words what it gets)."""
    fr = g.frames
    parent, frame, value = perf["parent"], perf["frame"], perf["value"]
    interval = g.args.interval
    total = value[0]
    owners = {}
    for p in timeline["processes"]:
        for th in p["threads"]:
            t = th["tally"]
            for k in range(0, len(t), 2):
                owners.setdefault(t[k], set()).add((p["pid"], th["tid"]))
    groups = {}
    by_state = [0] * len(STATES)
    for i in range(1, len(parent)):
        f = frame[i]
        if fr["kind"][f] in (1, 2):
            st = state_of(fr["name"][f])
            by_state[st] += value[i]
            e = groups.setdefault((frame[parent[i]], st), {"value": 0, "node": parent[i], "best": 0, "threads": set()})
            e["value"] += value[i]
            e["threads"] |= owners.get(i, set())
            if value[i] > e["best"]:
                e["best"], e["node"] = value[i], parent[i]

    def item(f, node, v, of, unit):
        out = {"function": fr["name"][f], "file": fr["file"][f] or None, "line": fr["line"][f] or None,
               "frame": fr["name"][f], "frame_id": f, unit: v if unit == "bytes" else v * interval,
               "share": v / of if of else 0, "in": None, "node": node}
        return out

    def top(st_filter):
        es = sorted(((k, e) for k, e in groups.items() if st_filter(k[1])), key=lambda x: -x[1]["value"])[:5]
        out = []
        for (f, st), e in es:
            it = item(f, e["node"], e["value"], total, "seconds")
            it["threads"] = len(e["threads"])
            if st:
                it["reason"] = "unknown" if st == 1 else STATES[st]
            out.append(it)
        return out

    time = {"thread_seconds": total * interval,
            "threads": sum(1 for p in timeline["processes"] for th in p["threads"] if th["tally"]),
            "computing_seconds": by_state[0] * interval, "waiting_seconds": (total - by_state[0]) * interval,
            "waiting_by_reason": {("unknown" if s == 1 else STATES[s]): by_state[s] * interval
                                  for s in range(1, len(STATES)) if by_state[s]},
            "computing": top(lambda s: s == 0), "waiting": top(lambda s: s != 0)}
    mem = None
    if memory:
        t = memory["tree"]
        self_v = list(t["value"])
        for i in range(1, len(t["parent"])):
            self_v[t["parent"][i]] -= t["value"][i]
        held = {}
        for i in range(1, len(t["parent"])):
            if self_v[i] > 0:
                e = held.setdefault(t["frame"][i], [0, i, 0])
                e[0] += self_v[i]
                if self_v[i] > e[2]:
                    e[1], e[2] = i, self_v[i]
        best = sorted(held.items(), key=lambda x: -x[1][0])[:5]
        mem = {"bytes": t["value"][0],
               "holding": [item(f, e[1], e[0], t["value"][0], "bytes") for f, e in best]}
    return {"time": time, "memory": mem}


def build_memory(g, seconds, oom=False):
    """As the report builder writes it: the series starts a little after the
    run (the agent starts first) with no RSS reading yet (null), steps; the
    tree has a [no Python stack] frame (kind 3) besides the Python stacks."""
    rng = g.rng
    n = 600
    t_ms, tracked, rss = [], [], []
    peak_i = int(n * 0.62)
    for i in range(n):
        x = i / (n - 1)
        base = 120 * 2**20 + 1500 * 2**20 * math.sin(min(1.0, x / 0.62) * math.pi / 2) ** 2
        if i > peak_i:
            base *= max(0.25, 1 - (i - peak_i) / (n - peak_i))
        v = base * (1 + rng.uniform(-0.02, 0.02))
        t_ms.append(round(40 + (seconds * 1000.0 - 60) * x, 3))
        tracked.append(int(v))
        rss.append(None if i < 3 else int(v * 1.12 + 60 * 2**20))
    peak_bytes = max(tracked)
    peak_t = t_ms[tracked.index(peak_bytes)]

    # The callstacks live at the peak: one dominant line, a long tail.
    pool = g.pool(60)
    module = g.frame("<module>", "/home/ana/project/job.py", 48, "main(int(sys.argv[1]))")
    main = g.frame("main", "/home/ana/project/job.py", 21, "run_pipeline(config, workers=4)")
    append_fn = g.frame("main", "/home/ana/project/job.py", 12, "l.append(list(range(i)))")
    mem_fn = g.frame(MEM_NAME, MEM_FILE, 88, MEM_SRC)
    no_stack = g.frame(NO_STACK, "", 0, "", 3)
    stacks = [([module, main, append_fn], 600.0), ([module, main, mem_fn], 900.0),
              ([no_stack], 40.0), (import_stack(g, []), 120.0), (importlib_leaf(g), 25.0)]
    for _ in range(400):
        stacks.append(([module, main] + [rng.choice(pool) for _ in range(rng.randint(1, 8))],
                       rng.paretovariate(1.2)))
    scale = peak_bytes / sum(w for _, w in stacks)
    trie = Trie()
    for stack, w in stacks:
        trie.add(stack, int(w * scale))
    parent, frame, value, _ = trie.preorder(g.frames["name"])
    return {"tree": {"parent": parent, "frame": frame, "value": value},
            "series": {"t_ms": t_ms, "tracked": tracked, "rss": rss},
            "peak": {"t_ms": peak_t, "bytes": peak_bytes},
            "sample_bytes": 262144, "oom": bool(oom)}


def generate(args):
    g = Gen(args)
    perf = build_perf(g, args.nodes)
    timeline = build_timeline(g, perf)
    memory = build_memory(g, args.seconds, args.oom) if args.memory or args.oom else None
    command = ["python3", "job.py", "--workers", "4", "--out", "results dir/out.json"]
    notes = []
    if args.oom:
        notes.append("process 4137 ran out of memory: the memory profile shows what was live "
                     "when an allocation failed or memory was nearly exhausted")
    if args.partial:
        notes.append("process 4137: raw data ends early (killed by signal 9); its last 0.4 s are missing")
    if args.hostile:
        command.append("--label=" + HOSTILE_NAME + "</script>\u2028")
        notes.append("<script>window.__pwned=4</script> & a note with \u2028 in it")
    nthreads = sum(len(p["threads"]) for p in timeline["processes"])
    summary = {
        "command": command,
        "exit_code": 0,
        "elapsed_seconds": args.seconds,
        "cpu_seconds": round(args.seconds * 2.7, 3),
        "peak_memory_bytes": memory["peak"]["bytes"] if memory else None,
        "peak_memory_source": "tracked" if memory else None,
        "peak_memory_seconds": memory["peak"]["t_ms"] / 1000 if memory else None,
        "memory_sample_bytes": memory["sample_bytes"] if memory else None,
        "oom": bool(args.oom),
        "processes": args.processes,
        "threads": nthreads,
        "samples": perf["value"][0],
        "sample_interval_seconds": args.interval,
        "python_version": "3.11.7",
        "radiograph_version": "0.1.0",
        "dropped_samples": 3,
        "start_time": "2026-11-25T13:21:39Z",
        "partial": bool(args.partial),
        "notes": notes,
    }
    summary["answers"] = answers(g, perf, timeline, memory)
    return {"version": 1, "summary": summary, "frames": g.frames, "perf": perf,
            "timeline": timeline, "memory": memory}


def generate_from(*argv):
    """The data gen_data.py ARGV... would write, as a Python object."""
    return generate(parse_args(["-"] + [str(a) for a in argv]))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="output JSON file ('-' for stdout)")
    p.add_argument("--nodes", type=int, default=3000, help="approximate perf-tree size")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--threads", type=int, default=3, help="Python threads per process")
    p.add_argument("--seconds", type=float, default=12.0, help="wall time of the fake run")
    p.add_argument("--spans", type=int, default=1500, help="timeline spans per thread")
    p.add_argument("--interval", type=float, default=0.01)
    p.add_argument("--hostile", action="store_true", help="put markup and odd characters in strings")
    p.add_argument("--memory", action="store_true", help="include memory data")
    p.add_argument("--oom", action="store_true", help="memory data of a run that ran out of memory")
    p.add_argument("--partial", action="store_true", help="mark the report partial")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    data = generate(args)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""profile.pb.gz: the report in pprof's format. Decoded with a schema of our
own (pprof.proto here, written from the format's public description) and
Google's protobuf runtime, checked for meaning against the folded files,
then read by pprof itself (`go tool pprof`)."""
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import parse_folded

HERE = Path(__file__).resolve().parent

JOB = """
    import subprocess, sys, threading, time
    def spin(n):
        s = 0
        for i in range(n):
            s += i
        return s
    def napper():
        time.sleep(0.3)
    def hold():
        return bytearray(40_000_000)
    def child():
        subprocess.run([sys.executable, "-c", "s = sum(i * i for i in range(1_500_000))"], check=True)
    def main():
        keep = hold()
        t = threading.Thread(target=napper)
        t.start()
        spin(1_500_000)
        child()
        t.join()
        return keep
    main()
"""


@pytest.fixture(scope="session")
def profile_class(tmp_path_factory):
    """The Profile message class, compiled from tests/e2e/pprof.proto."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
        import grpc_tools  # noqa: F401  (protoc, as a Python module)
    except ImportError as e:
        pytest.fail(f"the pprof tests need protobuf and grpcio-tools ({e}): "
                    "pip install -r requirements-dev.txt")
    out = tmp_path_factory.mktemp("proto") / "pprof.desc"
    p = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{HERE}",
                        f"--descriptor_set_out={out}", "pprof.proto"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    pool = descriptor_pool.DescriptorPool()
    for f in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("perftools.profiles.Profile"))


class Pprof:
    """A decoded profile.pb.gz, with its ids resolved."""

    def __init__(self, profile_class, path):
        raw = Path(path).read_bytes()
        assert raw[:2] == b"\x1f\x8b", "not gzip"
        self.msg = profile_class.FromString(gzip.decompress(raw))
        m = self.msg
        self.strings = list(m.string_table)
        assert self.strings and self.strings[0] == ""
        assert len(set(self.strings)) == len(self.strings), "a string twice in the table"
        self.functions = {f.id: f for f in m.function}
        self.locations = {l.id: l for l in m.location}
        assert len(self.functions) == len(m.function) and 0 not in self.functions
        assert len(self.locations) == len(m.location) and 0 not in self.locations
        self.types = [(self.s(t.type), self.s(t.unit)) for t in m.sample_type]

    def s(self, i):
        assert 0 <= i < len(self.strings), i
        return self.strings[i]

    def frame(self, loc_id):
        """A location as performance.folded names its frame."""
        loc = self.locations[loc_id]
        assert len(loc.line) == 1
        fn = self.functions[loc.line[0].function_id]
        name, file, line = self.s(fn.name), self.s(fn.filename), loc.line[0].line
        label = name if not file else f"{name} ({file}:{line})" if line else f"{name} ({file})"
        return "".join(":" if c == ";" else " " if ord(c) < 0x20 or c == "\x7f" else c for c in label)

    def stack(self, sample):
        return tuple(self.frame(i) for i in reversed(sample.location_id))

    def labels(self, sample):
        out = {}
        for lb in sample.label:
            key = self.s(lb.key)
            assert key not in out, f"label {key} twice"
            out[key] = self.s(lb.str) if lb.str else lb.num
        return out

    def folded(self, index):
        """Sample value INDEX added up per stack, as a folded Counter."""
        out = Counter()
        for smp in self.msg.sample:
            if smp.value[index]:
                out[self.stack(smp)] += smp.value[index]
        return out


@pytest.fixture
def job(run):
    r = run(JOB)
    assert r.proc.returncode == 0, r.proc.stderr
    return r


def test_pprof_decodes_and_matches_the_folded_files(job, profile_class):
    pp = Pprof(profile_class, job.report / "profile.pb.gz")
    m = pp.msg
    assert pp.types == [("samples", "count"), ("wall", "nanoseconds"), ("inuse_space", "bytes")]
    assert pp.s(m.default_sample_type) == "wall"
    assert (pp.s(m.period_type.type), pp.s(m.period_type.unit)) == ("wall", "nanoseconds")
    interval_ns = round(job.summary["sample_interval_seconds"] * 1e9)
    assert m.period == interval_ns
    assert m.duration_nanos == pytest.approx(job.summary["elapsed_seconds"] * 1e9, rel=1e-6)
    assert m.time_nanos > 1.7e18                        # ns since 1970, not seconds
    assert [pp.s(c) for c in m.comment] == [
        f"radiograph {job.summary['radiograph_version']}: " + " ".join(job.summary["command"])]
    assert all(len(smp.value) == 3 for smp in m.sample)
    assert all(i in pp.locations for smp in m.sample for i in smp.location_id)
    assert all(l.line[0].function_id in pp.functions for l in m.location)

    # the samples, stack by stack, are exactly performance.folded's, the
    # peak's bytes exactly memory.folded's, and no sample mixes the two
    assert pp.folded(0) == job.folded
    assert pp.folded(2) == parse_folded(job.report / "memory.folded")
    assert all(bool(smp.value[0]) != bool(smp.value[2]) for smp in m.sample)
    # wall time is samples times the interval (one process's here; the child
    # has its own, the same by default)
    assert all(smp.value[1] == smp.value[0] * interval_ns for smp in m.sample)

    # Python frames are functions with their file, and locations with lines
    funcs = {(pp.s(f.name), pp.s(f.filename)) for f in m.function}
    assert len(funcs) == len(m.function), "a function written twice"
    script = str(job.report.parent / "job.py")
    assert {(n, script) for n in ("spin", "hold", "napper", "<module>")} <= funcs
    spin_lines = {l.line[0].line for l in m.location
                  if pp.s(pp.functions[l.line[0].function_id].name) == "spin"}
    src = (job.report.parent / "job.py").read_text().splitlines()
    assert spin_lines and all(src[n - 1].strip().startswith(("for i in", "s += i")) for n in spin_lines)
    hold_bytes = sum(v for s, v in pp.folded(2).items() if any(f.startswith("hold (") for f in s))
    assert hold_bytes >= 40_000_000


def test_pprof_labels_keep_threads_processes_and_states(job, profile_class):
    pp = Pprof(profile_class, job.report / "profile.pb.gz")
    perf = [s for s in pp.msg.sample if s.value[0]]
    mem = [s for s in pp.msg.sample if s.value[2]]
    for smp in perf:
        lb = pp.labels(smp)
        assert set(lb) == {"pid", "tid", "thread", "process", "state"}, lb
        # the state is the label and the leaf function both: "[waiting: sleep]" / "waiting: sleep"
        assert pp.stack(smp)[-1] == f"[{lb['state']}]"
    assert all(not s.label for s in mem)
    by_pid = defaultdict(int)
    for smp in perf:
        by_pid[pp.labels(smp)["pid"]] += smp.value[0]
    assert len(by_pid) == 2, by_pid                     # the job and its child
    procs = {pp.labels(s)["pid"]: pp.labels(s)["process"] for s in perf}
    assert sum(1 for c in procs.values() if c.endswith("job.py")) == 1
    assert any("-c" in c for c in procs.values()), procs
    # the napper thread sleeps: its own tid, and its time is [waiting: sleep]
    main_pid = next(p for p, c in procs.items() if c.endswith("job.py"))
    nap = [s for s in perf if any(f.startswith("napper (") for f in pp.stack(s))]
    assert nap and all(pp.labels(s)["tid"] != main_pid for s in nap)
    slept = sum(s.value[0] for s in nap if pp.labels(s)["state"] == "waiting: sleep")
    assert slept >= 0.8 * sum(s.value[0] for s in nap)


def test_pprof_without_memory(run, profile_class):
    r = run(JOB, options=["--no-memory"])
    assert r.proc.returncode == 0, r.proc.stderr
    pp = Pprof(profile_class, r.report / "profile.pb.gz")
    assert pp.types == [("samples", "count"), ("wall", "nanoseconds")]
    assert all(len(s.value) == 2 and s.value[0] > 0 for s in pp.msg.sample)
    assert pp.folded(0) == r.folded


def test_pprof_strings_are_utf8_whatever_the_names(run, profile_class):
    # names pprof must carry as they are: non-ASCII, a ';' (which the folded
    # files write as ':'), and a file name that is not UTF-8 at all
    source = """
        def naïve_größe():
            s = 0
            for i in range(3_000_000):
                s += i
            return s
        ns = {}
        exec(compile("def semi():\\n    return naïve_größe()\\n", "odd;name.py", "exec"), globals(), ns)
        ns["semi"].__code__ = ns["semi"].__code__.replace(co_qualname="semi;colon")
        ns["semi"]()
    """
    r = run(source)
    assert r.proc.returncode == 0, r.proc.stderr
    pp = Pprof(profile_class, r.report / "profile.pb.gz")    # protobuf rejects ill-formed UTF-8
    names = {pp.s(f.name) for f in pp.msg.function}
    files = {pp.s(f.filename) for f in pp.msg.function}
    assert "naïve_größe" in names and "semi;colon" in names, names
    assert "odd;name.py" in files
    assert pp.folded(0) == r.folded


def test_pprof_file_name_not_utf8(radiograph, tmp_path, profile_class):
    script = os.path.join(os.fsencode(tmp_path), b"job\xff.py")
    with open(script, "w") as f:
        f.write("def f():\n    s = 0\n    for i in range(3_000_000):\n        s += i\nf()\n")
    out = tmp_path / "report"
    p = subprocess.run([radiograph, "run", "-q", "-o", str(out), "--", "python3", script],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    pp = Pprof(profile_class, out / "profile.pb.gz")
    files = {pp.s(f.filename) for f in pp.msg.function if pp.s(f.name) == "f"}
    assert len(files) == 1, files
    assert os.path.basename(files.pop()) in ("job\ufffd.py", "job\ufffd\ufffd.py", "job\ufffd\ufffd\ufffd.py")


def go_pprof(*args):
    go = shutil.which("go")
    if not go:
        pytest.fail("`go tool pprof` reads profile.pb.gz in this test: apt-get install golang-go "
                    "(.ci/run does)")
    env = dict(os.environ, PPROF_TMPDIR=os.environ.get("TMPDIR", "/tmp"), HOME=os.environ.get("HOME", "/tmp"))
    p = subprocess.run([go, "tool", "pprof", *args], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_go_tool_pprof_reads_it(job):
    path = str(job.report / "profile.pb.gz")
    folded = job.folded
    interval_ms = job.summary["sample_interval_seconds"] * 1e3
    # -top's flat column per function: the leaves, which are the state frames
    top = go_pprof("-top", "-nodecount=1000", "-unit=ms", path)
    assert "Type: wall" in top
    flat = {}
    for line in top.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0].endswith("ms") and parts[5].startswith("["):
            flat[" ".join(parts[5:])] = float(parts[0][:-2])
    leaves = Counter()
    for stack, n in folded.items():
        leaves[stack[-1]] += n
    assert flat == pytest.approx({k: v * interval_ms for k, v in leaves.items()}), top
    # memory: the total of inuse_space is memory.folded's
    mem = go_pprof("-top", "-sample_index=inuse_space", "-unit=B", path)
    total = sum(parse_folded(job.report / "memory.folded").values())
    assert f"Total samples = {total}B" in mem.replace(" B", "B"), mem.splitlines()[:8]
    # and the labels survive: -tags lists the states
    tags = go_pprof("-tags", path)
    assert "state:" in tags and "running" in tags and "pid:" in tags

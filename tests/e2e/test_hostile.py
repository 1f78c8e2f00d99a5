"""Hostile programs: the agent reads stacks that change under it, in
threads that come and go, at a high sampling rate, and must never crash,
deadlock or change what the program does."""
import subprocess
import sys


def test_torn_stacks_at_high_rate_never_crash(run):
    # Stacks that change every microsecond, in many short-lived threads, with
    # generators and exceptions; sampled 2000 times a second to make torn
    # reads as likely as they get.
    r = run("""
        import sys, threading, time
        sys.setrecursionlimit(10000)
        def rec(n):
            if n == 0:
                try:
                    raise ValueError
                except ValueError:
                    return sum(x for x in range(50))
            return rec(n - 1)
        def gen(n):
            for i in range(n):
                yield rec(i % 40)
        def worker(k):
            for _ in range(200):
                list(gen(30 + k % 7))
        end = time.time() + 3
        while time.time() < end:
            ts = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
            for t in ts: t.start()
            for t in ts: t.join()
            rec(2000)
        print("ok")
    """, options=["--rate", "2000"], timeout=180)
    assert r.proc.returncode == 0, (r.proc.returncode, r.proc.stderr[-2000:])
    assert r.proc.stdout == "ok\n"
    assert r.summary["samples"] > 1000


def test_signals_fork_and_closed_descriptors(run):
    r = run("""
        import os, signal, threading, time
        hits = []
        signal.signal(signal.SIGUSR1, lambda *a: hits.append(1))
        def noisy():
            for _ in range(200):
                os.kill(os.getpid(), signal.SIGUSR1)
                time.sleep(0.002)
        t = threading.Thread(target=noisy); t.start()
        for i in range(20):
            pid = os.fork()
            if pid == 0:
                x = [bytes(1000) for _ in range(1000)]
                os._exit(7)
            _, status = os.waitpid(pid, 0)
            assert os.WEXITSTATUS(status) == 7
        t.join()
        os.closerange(3, 4096)           # what a daemon does
        fd = os.open(os.devnull, os.O_RDONLY)
        print(len(hits) > 0, fd < 512)
    """)
    assert r.proc.returncode == 0, r.proc.stderr
    assert r.proc.stdout == "True True\n"
    assert r.summary["processes"] == 21

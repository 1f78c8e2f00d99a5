"""CPU accuracy job: three sibling functions with known shares of the CPU.

- python_loop: a pure-Python arithmetic loop                 (~50%)
- c_sort:      a few long calls into C that hold the GIL      (~30%)
               (sorted() of a 300k-float list: no Python frame runs)
- many_calls:  nearly a million tiny Python function calls           (~20%)

They run interleaved, ten times each, so slow drift of the machine hits all
three alike. The job times each with time.thread_time() itself and, with
--truth FILE, writes the measured shares there: run unprofiled, that is the
truth the profilers' reports are compared with.

    python cpu_shares.py [--truth FILE] [--scale S]
"""
import json
import random
import sys
import time


def python_loop(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


def c_sort(data, times):
    for _ in range(times):
        sorted(data)


def tiny(x):
    return x + 1


def many_calls(n):
    t = 0
    for i in range(n):
        t = tiny(t)
    return t


def main():
    scale = 1.0
    truth = None
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--truth":
            truth = args.pop(0)
        elif a == "--scale":
            scale = float(args.pop(0))
    rng = random.Random(0)
    data = [rng.random() for _ in range(300_000)]
    spent = {"python_loop": 0.0, "c_sort": 0.0, "many_calls": 0.0}
    for _ in range(10):
        t = time.thread_time(); python_loop(int(1_800_000 * scale)); spent["python_loop"] += time.thread_time() - t
        t = time.thread_time(); c_sort(data, max(1, int(1 * scale))); spent["c_sort"] += time.thread_time() - t
        t = time.thread_time(); many_calls(int(900_000 * scale)); spent["many_calls"] += time.thread_time() - t
    total = sum(spent.values())
    if truth:
        with open(truth, "w") as f:
            json.dump({k: v / total for k, v in spent.items()}, f)


if __name__ == "__main__":
    main()

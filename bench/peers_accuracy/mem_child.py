"""Memory accuracy job: the peak is spread over two processes.

The parent holds 100 MB (parent_holds) while a multiprocessing child
(the default start method: fork on Linux) allocates 300 MB (child_holds);
they hold it at the same moment (the child signals, the parent waits, then
both free). The true peak of the job — what the machine had to provide —
is ~400 MB plus two interpreters.

    python mem_child.py
"""
import multiprocessing as mp
import time

MB = 1_000_000


def child_holds(ready, done):
    x = bytearray(300 * MB)
    x[::4096] = b"c" * len(x[::4096])
    ready.set()
    done.wait(10)
    del x


def parent_holds():
    x = bytearray(100 * MB)
    x[::4096] = b"p" * len(x[::4096])
    return x


def main():
    held = parent_holds()
    ready, done = mp.Event(), mp.Event()
    p = mp.Process(target=child_holds, args=(ready, done))
    p.start()
    ready.wait(10)
    time.sleep(0.3)  # both hold their memory now
    done.set()
    p.join()
    del held


if __name__ == "__main__":
    main()

"""Deep recursion: a small recursive function run at every depth from 0 to
1,500 frames. Wherever a call crosses the end of one of CPython's 16 KiB
frame-stack chunks, the interpreter maps a new chunk and unmaps it on return
(anonymous mmap/munmap on every such call), and every sample reads a stack
of up to 1,500 frames."""
import sys

sys.setrecursionlimit(10000)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def down(k):
    return fib(18) if k == 0 else down(k - 1)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for _ in range(max(1, int(scale))):
        for k in range(0, 1500):
            down(k)

"""CPU-bound Python in four threads at once: they take turns on the GIL."""
import sys
import threading


def work(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    ts = [threading.Thread(target=work, args=(int(2_500_000 * scale),)) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

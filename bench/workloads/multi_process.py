"""Eight worker processes (multiprocessing Pool) doing CPU-bound Python and
some allocation, on a machine with fewer cores than workers."""
import sys
from multiprocessing import Pool


def task(n):
    rows = [{"i": i, "s": str(i)} for i in range(n // 20)]
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s + len(rows)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    with Pool(8) as pool:
        print(sum(pool.map(task, [int(700_000 * scale)] * 32)))

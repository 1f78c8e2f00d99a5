"""NumPy: arrays allocated, combined and freed (calloc, malloc, large
blocks that glibc serves with mmap)."""
import sys

import numpy as np

if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rng = np.random.default_rng(0)
    for _ in range(max(1, int(15 * scale))):
        a = rng.random(2_000_000)
        b = np.zeros(2_000_000)
        c = np.ones((500, 500))
        d = (a * 2 + b).reshape(2000, 1000) @ np.ones((1000, 10))
        s = float(d.sum() + c.sum())
        small = [np.arange(100) for _ in range(2000)]
        del a, b, c, d, small

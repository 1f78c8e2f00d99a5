"""A NumPy job with multiprocessing.Pool(2): the parent holds 160 MB while
two forked workers sort 80 MB arrays, then allocates 240 MB after the pool
is gone (its workers terminated)."""
import multiprocessing as mp
import time

import numpy as np


def work(seed):
    a = np.random.default_rng(seed).random(10_000_000)    # 80 MB
    b = np.sort(a)                                         # 80 MB
    time.sleep(0.2)
    return float(b[len(b) // 2])


if __name__ == "__main__":
    base = np.ones(20_000_000)                             # 160 MB
    with mp.get_context("fork").Pool(2) as pool:
        print(sum(pool.map(work, range(4))))
    after = np.ones(30_000_000)                            # 240 MB
    time.sleep(0.3)
    print(float(after.sum() + base.sum()))

"""A data scientist's job: NumPy arrays built in the parent, a simulation
mapped over a multiprocessing.Pool of two workers (`with Pool()`, which
terminates the workers at the end).

    python3 numpy_pool_job.py [ROWS]
"""
import sys
from multiprocessing import Pool

import numpy as np


def simulate(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((600, 600))
    for _ in range(6):
        a = np.tanh(a @ a.T / 600.0)
    return float(a.sum())


def main(n):
    data = np.random.default_rng(0).standard_normal((n, 1000))
    means = data.mean(axis=1)
    with Pool(2) as pool:
        results = pool.map(simulate, range(8))
    print("total", round(sum(results) + float(means.sum()), 3))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)

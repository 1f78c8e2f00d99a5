"""pandas: a frame built, grouped, joined and reshaped (NumPy buffers
through malloc and mmap, Python objects for the string column).

    python pandas_frames.py [SCALE]
"""
import sys

import numpy as np
import pandas as pd


def step(rng, n):
    df = pd.DataFrame({"key": rng.integers(0, 1000, n), "a": rng.random(n), "b": rng.normal(size=n),
                       "name": pd.Series(rng.integers(0, 5000, n)).map("item-{}".format)})
    by_key = df.groupby("key").agg(a_mean=("a", "mean"), b_sum=("b", "sum"), count=("a", "size"))
    joined = df.merge(by_key, left_on="key", right_index=True)
    joined["z"] = (joined["b"] - joined["b_sum"] / joined["count"]) * joined["a_mean"]
    wide = joined.pivot_table(index="key", columns=joined["name"].str[-1], values="z", aggfunc="mean")
    return float(wide.to_numpy().sum()) + len(joined.sort_values(["key", "z"]))


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rng = np.random.default_rng(0)
    for _ in range(max(1, int(4 * scale))):
        step(rng, 500_000)

"""pandas: a 3M-row frame with a string column (Python objects in
pymalloc's arenas), a groupby and a merge."""
import time

import numpy as np
import pandas as pd

n = 3_000_000
rng = np.random.default_rng(0)
df = pd.DataFrame({"k": rng.integers(0, 1000, n), "v": rng.random(n),
                   "s": [f"id-{i % 50000}" for i in range(n)]})
g = df.groupby("k").agg(v_sum=("v", "sum"), n=("s", "nunique"))
m = df.merge(g, left_on="k", right_index=True)
time.sleep(0.3)
print(len(m), float(m["v_sum"].iloc[0]))

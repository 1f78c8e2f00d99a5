"""NumPy: matrix work with OpenBLAS's threads (each maps a buffer it barely
touches), a sort, and an 800 MB np.zeros of which a tenth is written."""
import time

import numpy as np

rng = np.random.default_rng(0)
a = rng.random((4000, 4000))           # 128 MB
b = rng.random((4000, 4000))           # 128 MB
c = a @ b                              # 128 MB, OpenBLAS threads
d = np.sort(c, axis=1)                 # 128 MB
e = np.zeros(100_000_000)              # 800 MB of address space (calloc)
e[:10_000_000] = 1.0                   # 80 MB of it used
time.sleep(0.3)                        # hold the peak
print(float(d[:, -1].sum() + e.sum()))

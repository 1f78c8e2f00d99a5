"""An example batch job for `make demo`, in the spirit of a real pipeline:
build a large list, serialise it with json.dumps (CPU-bound, holds the GIL),
force it to disk with fsync (waits on the disk), then copy it in three
threads at once (they mostly wait for the GIL)."""
import json
import os
import sys
import tempfile
import time
from threading import Thread


def deepcopy_list(l):
    return [i[:] for i in l]


def main(length):
    start = time.time()
    l = []
    for i in range(length):
        l.append(list(range(i % 1000)))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "output.json"), "w") as f:
            s = json.dumps(l)
            f.write(s)
            f.flush()
            os.fsync(f.fileno())
    threads = [Thread(target=lambda: deepcopy_list(l)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.2)
    print("All done, elapsed: {:.2f} seconds".format(time.time() - start))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)

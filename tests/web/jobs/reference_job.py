"""The reference job of the commercial profiler's guide, written out whole:
build a list of lists, json.dumps it to a file and fsync it (computing, then
waiting on the disk), then copy it in three threads at once (which mostly
wait for the GIL). Writes output.json in the current directory.

    python3 reference_job.py LENGTH
"""
import json, sys, time, os
from threading import Thread


def deepcopy_list(l):
    return [i[:] for i in l]


def main(length):
    start = time.time()
    l = []
    for i in range(length):
        l.append(list(range(i)))
    with open("output.json", "w") as f:
        s = json.dumps(l)
        f.write(s)
        f.flush()
        os.fsync(f.fileno())
    threads = [Thread(target=lambda: deepcopy_list(l)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("All done, elapsed: {:.2f} seconds".format(time.time() - start))


main(int(sys.argv[1]))

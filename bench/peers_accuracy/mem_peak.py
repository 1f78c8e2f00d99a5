"""Memory accuracy job: what is live at the peak is known.

- transient():   one 400 MB bytearray, freed before the peak
- held_small():  200,000 bytes objects of 1,000 bytes (~207 MB with their
                 headers, plus the list): many small blocks
- held_large():  one 300 MB bytearray

The peak is the moment both held sets are live: ~508 MB plus the
interpreter's own few MB. The transient must not appear in it: a tool that
counts what was allocated rather than what was live at the peak shows it. With --truth FILE the job writes
the exact sizes (sys.getsizeof) there.

    python mem_peak.py [--truth FILE]
"""
import json
import sys
import time

MB = 1_000_000


def transient():
    x = bytearray(400 * MB)
    x[::4096] = b"x" * len(x[::4096])  # touch every page
    del x


def held_small():
    return [bytes(1000) for _ in range(200_000)]


def held_large():
    x = bytearray(300 * MB)
    x[::4096] = b"y" * len(x[::4096])
    return x


def main():
    transient()
    a = held_small()
    b = held_large()
    time.sleep(0.3)  # hold the peak long enough for sampling tools to see it
    if "--truth" in sys.argv:
        with open(sys.argv[sys.argv.index("--truth") + 1], "w") as f:
            json.dump({"held_small": sys.getsizeof(a) + sum(sys.getsizeof(o) for o in a),
                       "held_large": sys.getsizeof(b), "transient": 400 * MB}, f)
    del a, b


if __name__ == "__main__":
    main()

"""A torn-read storm: five generators in a pipeline doing almost nothing per
item, so that every value passes through five resumes and five yields in a
few hundred nanoseconds and nearly every read of the thread's stack races
one. Measures what retrying torn reads costs at its worst."""
import sys


def numbers(n):
    for i in range(n):
        yield i


def squares(it):
    for x in it:
        yield x * x


def evens(it):
    yield from (x for x in it if x % 2 == 0)


def chunks(it, k):
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) == k:
            yield sum(buf)
            buf = []


if __name__ == "__main__":
    total = 0
    for c in chunks(evens(squares(numbers(int(sys.argv[1]) if len(sys.argv) > 1 else 8_000_000))), 100):
        total += c

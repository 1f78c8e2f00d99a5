"""Allocation-heavy: many small objects built and dropped (pymalloc-heavy),
with some larger lists that go through malloc."""
import sys


def build(n):
    rows = []
    for i in range(n):
        rows.append({"id": i, "name": "row-%d" % i, "tags": [i, i + 1, i + 2]})
    return rows


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for _ in range(max(1, int(3 * scale))):
        rows = build(200_000)
        total = sum(len(r["tags"]) for r in rows)
        del rows

"""Allocation-heavy: json round trips of a nested document (large strings
through malloc, many small objects through pymalloc)."""
import json
import sys

if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    doc = [{"k%d" % j: [j, str(j), {"x": j * 0.5}] for j in range(50)} for _ in range(2000)]
    for _ in range(max(1, int(4 * scale))):
        s = json.dumps(doc)
        doc = json.loads(s)

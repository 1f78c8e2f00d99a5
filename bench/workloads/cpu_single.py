"""Pure-Python CPU-bound work, single thread: n-body, recursion, dict and
string churn (the shapes of pyperformance's nbody, fib, and a data loop)."""
import sys


def nbody(steps):
    bodies = [[0.0, 0.0, 0.0, 0.01, 0.02, 0.0, 40.0], [4.8, -1.1, -0.1, 0.6, 2.8, -0.02, 0.04],
              [8.3, 4.1, -0.4, -1.0, 1.8, 0.008, 0.01], [12.9, -15.1, -0.2, 1.1, 0.8, -0.01, 0.002],
              [15.4, -25.9, 0.2, 0.9, 0.6, -0.03, 0.002]]
    pairs = [(a, b) for i, a in enumerate(bodies) for b in bodies[i + 1:]]
    for _ in range(steps):
        for (a, b) in pairs:
            dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
            mag = 0.01 * (dx * dx + dy * dy + dz * dz + 0.01) ** -1.5
            a[3] -= dx * b[6] * mag; a[4] -= dy * b[6] * mag; a[5] -= dz * b[6] * mag
            b[3] += dx * a[6] * mag; b[4] += dy * a[6] * mag; b[5] += dz * a[6] * mag
        for body in bodies:
            body[0] += 0.01 * body[3]; body[1] += 0.01 * body[4]; body[2] += 0.01 * body[5]


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def churn(n):
    d = {}
    for i in range(n):
        key = "k%d" % (i % 5000)
        d[key] = d.get(key, 0) + len(key)
    return sum(d.values())


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    nbody(int(60_000 * scale))
    fib(int(25 + (scale > 1)))
    churn(int(1_500_000 * scale))

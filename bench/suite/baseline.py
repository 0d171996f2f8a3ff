#!/usr/bin/env python3
"""Baselines for bench/demo.suite: each workload as a Python user would write it (numpy, or plain
Python where a loop is the workload), timed in this process. Prints the answer, then
`ms: MEDIAN` over --repeat runs, which `kestrel bench --suite` reads for its baseline column and
bar. As in the suite, making the inputs is not timed.

    python3 bench/suite/baseline.py pi 10000000 42 --repeat 3
"""
import argparse
import statistics
import sys
import time

import numpy as np

MASK = (1 << 64) - 1


def fib_loop(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) & MASK  # i64 wraps in Kestrel; Python's ints would grow instead
    return a - (1 << 64) if a >> 63 else a


def fib_rec(n):
    return n if n < 2 else fib_rec(n - 1) + fib_rec(n - 2)


def workload(name, args):
    """(the timed function, its arguments made once)"""
    if name == "fib":
        return fib_loop, (int(args[0]),)
    if name == "fib_rec":
        return fib_rec, (int(args[0]),)
    if name == "pi":
        n, seed = int(args[0]), int(args[1])

        def pi():
            x, y = np.random.default_rng(seed).random((2, n))
            return 4.0 * np.count_nonzero(x * x + y * y < 1.0) / n
        return pi, ()
    if name == "sumsq":
        a = np.arange(int(args[0]), dtype=np.int64)
        return (lambda: int(np.dot(a, a))), ()
    if name == "vadd":
        n = int(args[0])
        a, b, out = np.arange(n, dtype=np.float32), np.ones(n, np.float32), np.zeros(n, np.float32)

        def vadd():
            np.add(a, b, out=out)
            return float(out[-1])
        return vadd, ()
    if name == "groupby":
        n, k, seed = int(args[0]), int(args[1]), int(args[2])
        rng = np.random.default_rng(seed)
        keys = (rng.random(n) * k).astype(np.int64)
        values = rng.random(n) * 100.0

        def groupby():  # mean, sum and count per key, keys ascending (as groupby.group_agg)
            count = np.bincount(keys)
            total = np.bincount(keys, weights=values)
            g = np.nonzero(count)[0]
            mean = total[g] / count[g]
            return float(np.sum(g * mean) + np.sum(total[g]) + np.sum(count))
        return groupby, ()
    sys.exit(f"baseline.py: unknown workload {name!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload")
    p.add_argument("args", nargs="*")
    p.add_argument("--repeat", type=int, default=3)
    o = p.parse_args()
    fn, args = workload(o.workload, o.args)
    times = []
    for _ in range(o.repeat):
        start = time.perf_counter()
        answer = fn(*args)
        times.append((time.perf_counter() - start) * 1000.0)
    print(answer)
    print(f"ms: {statistics.median(times):.3f}")


if __name__ == "__main__":
    main()

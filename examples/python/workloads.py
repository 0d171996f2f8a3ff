#!/usr/bin/env python3
"""The seed's workloads from Python: pi, fib, a groupby over a CSV, MLP training.

Each is written once in Kestrel (workloads.kst, on the standard library) and called through the
Python module, timed beside the same computation in numpy (and pandas and Numba where they are
installed), and printed as one table: the median of --repeat runs, in milliseconds, with a check
that the answers agree. The last row is the cost of one call from Python.

    PYTHONPATH=build/python python3 examples/python/workloads.py          # small sizes (CI)
    PYTHONPATH=build/python python3 examples/python/workloads.py --big    # the seed's sizes
"""
import argparse
import csv
import pathlib
import statistics
import sys
import time
import timeit

import numpy as np

import kestrel

try:
    import pandas as pd
except ImportError:  # optional
    pd = None
try:
    import numba
except ImportError:  # optional
    numba = None

HERE = pathlib.Path(__file__).resolve().parent
SALES = HERE.parent / "data" / "sales.csv"


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


# ---- numpy (and pandas, Numba) versions of the same work -------------------------------------


def pi_numpy(n, seed):
    x, y = np.random.default_rng(seed).random((2, n))
    return 4.0 * np.count_nonzero(x * x + y * y < 1.0) / n


def fib_python(n):
    return n if n < 2 else fib_python(n - 1) + fib_python(n - 2)


def big_order_mean_numpy(region, units, price):
    big = units >= 5
    keys, codes = np.unique(region[big], return_inverse=True)
    value = (units[big] * price[big]).astype(np.float64)
    return keys, np.bincount(codes, weights=value) / np.bincount(codes)


def group_agg_numpy(keys, values):
    uniques, codes = np.unique(keys, return_inverse=True)
    sums = np.bincount(codes, weights=values)
    counts = np.bincount(codes)
    return uniques, sums / counts, sums, counts


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def train_numpy(X, y, W1, W2, lr, batch, epochs):
    """stdlib/mlp.kst's fit and mse, step for step."""
    n = len(X)
    for _ in range(epochs):
        for s in range(0, n, batch):
            t = min(s + batch, n)
            xb = X[s:t]
            h = sigmoid(xb @ W1)
            e = y[s:t] - h @ W2
            g2 = h.T @ e
            d = (e @ W2.T) * h * (1.0 - h)
            g1 = xb.T @ d
            W2 += lr * g2 / (t - s)
            W1 += lr * g1 / (t - s)
    return float(np.mean((y - sigmoid(X @ W1) @ W2) ** 2))


if numba is not None:

    @numba.njit(cache=False)
    def pi_numba(n, seed):
        np.random.seed(seed)
        hits = 0
        for _ in range(n):
            x = np.random.random()
            y = np.random.random()
            if x * x + y * y < 1.0:
                hits += 1
        return 4.0 * hits / n

    @numba.njit(cache=False)
    def fib_numba(n):
        return n if n < 2 else fib_numba(n - 1) + fib_numba(n - 2)

    @numba.njit(cache=False)
    def add1_numba(x):
        return x + 1


def read_sales():
    """examples/data/sales.csv's columns as numpy arrays, regions as codes in first-seen order."""
    with open(SALES, newline="") as f:
        rows = list(csv.DictReader(f))
    names = list(dict.fromkeys(r["region"] for r in rows))
    region = np.array([names.index(r["region"]) for r in rows], dtype=np.int64)
    units = np.array([int(r["units"]) for r in rows], dtype=np.int64)
    price = np.array([float(r["price"]) for r in rows])
    return names, region, units, price


# ---- the table ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="the seed's sizes (slow)")
    parser.add_argument("--mode", default="jit", choices=["interp", "jit", "tiered"])
    parser.add_argument("--threads", type=int, default=0, help="Kestrel's threads (0: every core)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    n_pi = 10_000_000 if args.big else 1_000_000
    n_fib = 30 if args.big else 22
    n_rows = 10_000_000 if args.big else 1_000_000
    n_mlp, epochs = (8192, 10) if args.big else (2048, 2)

    m = kestrel.load(str(HERE / "workloads.kst"), mode=args.mode, threads=args.threads)
    rows = []  # (workload, size, {column: ms}, agree)

    def row(name, size, timings, agree):
        rows.append((name, size, timings, agree))

    r = args.repeat
    # pi: different random streams, so "agree" is: both within 0.01 of pi.
    kp, npp = m.pi(n_pi, 42), pi_numpy(n_pi, 42)
    t = {"kestrel": median_ms(lambda: m.pi(n_pi, 42), r),
         "numpy": median_ms(lambda: pi_numpy(n_pi, 42), r)}
    if numba is not None:
        pi_numba(1000, 1)
        t["numba"] = median_ms(lambda: pi_numba(n_pi, 42), r)
    row("pi (Monte Carlo)", f"n={n_pi:,}", t, abs(kp - np.pi) < 0.01 and abs(npp - np.pi) < 0.01)

    # fib: no numpy form; the baseline is Python's own recursion.
    t = {"kestrel": median_ms(lambda: m.fib(n_fib), r),
         "python": median_ms(lambda: fib_python(n_fib), max(1, r // 2))}
    if numba is not None:
        fib_numba(5)
        t["numba"] = median_ms(lambda: fib_numba(n_fib), r)
    row("fib_rec", f"n={n_fib}", t, m.fib(n_fib) == fib_python(n_fib))

    # groupby over the CSV (the columns read by Python, the grouping in each library).
    names, region, units, price = read_sales()
    kk, km = m.big_order_mean(region, units, price)
    nk, nm = big_order_mean_numpy(region, units, price)
    t = {"kestrel": median_ms(lambda: m.big_order_mean(region, units, price), r),
         "numpy": median_ms(lambda: big_order_mean_numpy(region, units, price), r)}
    agree = kk.tolist() == nk.tolist() and np.allclose(km, nm, rtol=1e-12)
    if pd is not None:
        df = pd.read_csv(SALES)

        def pandas_csv():
            big = df[df.units >= 5]
            return (big.units * big.price).groupby(big.region).mean()

        pm = pandas_csv()
        t["pandas"] = median_ms(pandas_csv, r)
        agree = agree and np.allclose([pm[names[k]] for k in kk], km, rtol=1e-12)
    row("groupby mean (sales.csv)", f"rows={len(region)}", t, agree)

    # groupby at scale: synthetic keys and values.
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 1000, n_rows)
    values = rng.random(n_rows) * 100.0
    ka = m.group_agg(keys, values)
    na = group_agg_numpy(keys, values)
    t = {"kestrel": median_ms(lambda: m.group_agg(keys, values), r),
         "numpy": median_ms(lambda: group_agg_numpy(keys, values), r)}
    agree = ka[0].tolist() == na[0].tolist() and np.allclose(ka[1], na[1], rtol=1e-9)
    agree = agree and ka[3].tolist() == na[3].tolist()
    if pd is not None:
        frame = pd.DataFrame({"k": keys, "v": values})
        t["pandas"] = median_ms(lambda: frame.groupby("k")["v"].agg(["mean", "sum", "count"]), r)
    row("groupby mean/sum/count", f"rows={n_rows:,}", t, agree)

    # MLP training from the same weights; both losses reported through the check.
    d, hidden = 8, 32
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n_mlp, d))
    y = (np.sin(X[:, 0]) + 0.5 * X[:, 1] - 0.25 * X[:, 2]).reshape(-1, 1)
    W1 = rng.standard_normal((d, hidden)) * 0.1
    W2 = rng.standard_normal((hidden, 1)) * 0.1

    def fresh():
        return W1.copy(), W2.copy()

    kw1, kw2 = fresh()
    kloss = m.train(X, y, kw1, kw2, 0.1, 64, epochs)  # trains kw1, kw2 in place
    nw1, nw2 = fresh()
    nloss = train_numpy(X, y, nw1, nw2, 0.1, 64, epochs)
    t = {"kestrel": median_ms(lambda: m.train(X, y, *fresh(), 0.1, 64, epochs), r),
         "numpy": median_ms(lambda: train_numpy(X, y, *fresh(), 0.1, 64, epochs), r)}
    row("MLP training", f"{n_mlp}x{d}, {epochs} epochs", t,
        abs(kloss - nloss) <= 1e-9 * abs(nloss) and np.allclose(kw1, nw1, rtol=1e-9, atol=1e-12))

    # One call from Python (microseconds, shown in the ms columns as such).
    def per_call_us(fn):
        number = 20000
        return min(timeit.repeat(fn, number=number, repeat=max(3, r))) / number * 1e6

    def add1(x):
        return x + 1

    t = {"kestrel": per_call_us(lambda: m.add1(1)), "python": per_call_us(lambda: add1(1))}
    if numba is not None:
        add1_numba(1)
        t["numba"] = per_call_us(lambda: add1_numba(1))
    row("call overhead (us, not ms)", "add1(1)", t, m.add1(1) == 2)

    columns = ["kestrel", "numpy", "python", "pandas", "numba"]
    used = [c for c in columns if any(c in x[2] for x in rows)]
    header = ["workload", "size"] + [f"kestrel ({args.mode})" if c == "kestrel" else c for c in used]
    header.append("agree")
    table = [header]
    for name, size, timings, agree in rows:
        cells = [f"{timings[c]:.3f}" if c in timings else "-" for c in used]
        table.append([name, size] + cells + ["yes" if agree else "NO"])
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(f"kestrel {kestrel.__version__}, numpy {np.__version__}"
          + (f", pandas {pd.__version__}" if pd else ", no pandas")
          + (f", numba {numba.__version__}" if numba else ", no numba")
          + f"; median of {r} runs, ms")
    for k, line in enumerate(table):
        print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(line, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"MLP loss after {epochs} epochs: kestrel {kloss:.6f}, numpy {nloss:.6f}")
    return 0 if all(x[3] for x in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""GPU check (scripts/gpu-check.sh): Monte Carlo pi in numba.cuda on Kestrel's Philox mapping.

The same workload as stdlib/montecarlo.kst and bench/gpu/baseline.cpp's `pi`: sample i reads
x = random(seed, 2i) and y = random(seed, 2i + 1), Philox4x32-10 as runtime/rules/philox.hpp
defines it, and hits when x*x + y*y < 1.0. (numba's compiler may contract x*x + y*y into an fma,
so its hit count can differ from Kestrel's by a few samples; the script reports both.)

usage: pi_numba.py N SEED [REPS]     one warm-up, then REPS timed runs (default 5):
                                     "RESULT numba-pi n=.. seed=.. reps=.. wall_ms=.. gsps=.. hits=.."
       pi_numba.py --host N SEED     the same count in plain Python (checks the port, no GPU)
Exit status 3 (and a SKIP line) when numba.cuda is missing or sees no GPU.
"""
import sys
import time

try:
    import numpy as np

    U64 = np.uint64
except ImportError:  # the --host check runs without numpy
    np = None
    U64 = int

MASK = U64(0xFFFFFFFF)
M0 = U64(0xD2511F53)
M1 = U64(0xCD9E8D57)
W0 = U64(0x9E3779B9)
W1 = U64(0xBB67AE85)
S32 = U64(32)
S11 = U64(11)
ZERO = U64(0)
INV53 = 1.0 / 9007199254740992.0


def uniform(key, counter):
    """random(key, counter) of runtime/rules/philox.hpp; key and counter as u64."""
    c0 = counter & MASK
    c1 = counter >> S32
    c2 = ZERO
    c3 = ZERO
    k0 = key & MASK
    k1 = key >> S32
    for r in range(10):
        if r > 0:
            k0 = (k0 + W0) & MASK
            k1 = (k1 + W1) & MASK
        p0 = M0 * c0
        p1 = M1 * c2
        n0 = ((p1 >> S32) ^ c1 ^ k0) & MASK
        n1 = p1 & MASK
        n2 = ((p0 >> S32) ^ c3 ^ k1) & MASK
        n3 = p0 & MASK
        c0, c1, c2, c3 = n0, n1, n2, n3
    return float(((c0 << S32) | c1) >> S11) * INV53


def host_hits(n, seed):
    key = seed & 0xFFFFFFFFFFFFFFFF
    hits = 0
    for i in range(n):
        x = uniform(U64(key), U64(2 * i))
        y = uniform(U64(key), U64(2 * i + 1))
        if x * x + y * y < 1.0:
            hits += 1
    return hits


# The kernel, compiled on its first launch; plain module globals for numba to resolve.
try:
    from numba import cuda

    numba_error = None
except ImportError as e:
    cuda = None
    numba_error = e

if cuda is not None and np is not None:
    _draw = cuda.jit(device=True)(uniform)

    @cuda.jit
    def _pi_kernel(count, key, hits):
        i = np.int64(cuda.grid(1))
        stride = np.int64(cuda.gridsize(1))
        mine = np.int64(0)
        while i < count:
            c = np.uint64(2) * np.uint64(i)
            x = _draw(key, c)
            y = _draw(key, c + np.uint64(1))
            if x * x + y * y < 1.0:
                mine += np.int64(1)
            i += stride
        cuda.atomic.add(hits, 0, mine)


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "--host":
        n, seed = int(float(args[1])), int(args[2])
        hits = host_hits(n, seed)
        print(f"RESULT numba-pi-host n={n} seed={seed} hits={hits} pi={4.0 * hits / n!r}")
        return 0
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    n, seed = int(float(args[0])), int(args[1])
    reps = int(args[2]) if len(args) == 3 else 5
    if cuda is None:
        print(f"SKIP numba.cuda is not installed ({numba_error})")
        return 3
    if np is None or not cuda.is_available():
        print("SKIP numba.cuda sees no usable GPU" if np is not None else "SKIP numpy is missing")
        return 3

    device = cuda.get_current_device()
    blocks = device.MULTIPROCESSOR_COUNT * 8
    threads = 256
    key = U64(seed & 0xFFFFFFFFFFFFFFFF)
    hits = cuda.to_device(np.zeros(1, dtype=np.int64))

    def run(count):
        hits.copy_to_device(np.zeros(1, dtype=np.int64))
        _pi_kernel[blocks, threads](np.int64(count), key, hits)
        cuda.synchronize()
        return int(hits.copy_to_host()[0])

    t0 = time.perf_counter()
    run(100000)  # the warm-up: numba compiles here
    warm_ms = (time.perf_counter() - t0) * 1000.0
    times = []
    got = 0
    for _ in range(reps):
        t0 = time.perf_counter()
        got = run(n)
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    mid = len(times) // 2
    med = times[mid] if len(times) % 2 else 0.5 * (times[mid - 1] + times[mid])
    print(f"RESULT numba-pi n={n} seed={seed} reps={reps} wall_ms={med:.4f} "
          f"gsps={n / (med * 1e-3) / 1e9:.2f} warm_ms={warm_ms:.1f} hits={got} "
          f"pi={4.0 * got / n!r} grid={blocks} block={threads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Largest difference in units in the last place between two runs of bench/gpu/math_ulp.kst.

usage: ulp.py CPU_DIR GPU_DIR     (each holding the .npy files one run saved)
Prints a markdown table: function, values compared, how many differ, the largest difference in
ulp. Exit 0 always: the figures are reported, DESIGN.md's tolerance is what they are held to.
"""
import glob
import os
import sys

import numpy as np


def ordered(a):
    """Floats as integers in the order of their values (so ulp distance is a difference)."""
    bits = a.view(np.int64 if a.dtype == np.float64 else np.int32).astype(np.int64)
    magnitude = bits & np.int64((1 << (63 if a.dtype == np.float64 else 31)) - 1)
    return np.where(bits < 0, -magnitude, magnitude)  # -0.0 and +0.0 are both 0


def ulps(a, b):
    ia, ib = ordered(a), ordered(b)
    both_nan = np.isnan(a) & np.isnan(b)
    d = np.abs(ia - ib)
    d[both_nan] = 0
    return d


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cpu_dir, gpu_dir = sys.argv[1], sys.argv[2]
    print("| function | values | differing | worst ulp |")
    print("|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(cpu_dir, "*.npy"))):
        name = os.path.basename(path)
        other = os.path.join(gpu_dir, name)
        if not os.path.exists(other):
            print(f"| {name[:-4]} | missing on the GPU run | | |")
            continue
        a, b = np.load(path), np.load(other)
        d = ulps(a, b)
        print(f"| {name[:-4]} | {a.size} | {int(np.count_nonzero(d))} | {int(d.max())} |")


if __name__ == "__main__":
    main()

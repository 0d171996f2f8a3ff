#!/usr/bin/env python3
"""Mean over a large .npy file, streamed by Kestrel's npy_blocks, against `dd` reading the same
file in the same run (and Dask where it is installed).

Each reader runs cold (the file's pages dropped from the page cache first with
posix_fadvise(DONTNEED), which needs no privileges) and warm (right after a read). Kestrel's time
is the loop's own (clock() around it), so process start-up is left out; dd's is its own report.

usage: stream_mean.py [--gb 0.4] [--rows 65536] [--kestrel build/kestrel] [--dir /tmp]
"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import time


def write_npy(path, n):
    cols = 10
    rows = n // cols
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    total = 10 + len(header) + 1
    header += " " * ((total + 63) // 64 * 64 - total) + "\n"
    block = struct.pack("<1000d", *[float(k) for k in range(1000)]) * 1000
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        left = rows * cols * 8
        while left > 0:
            f.write(block[:left])
            left -= len(block)
    return rows, cols


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)


def run_dd(path):
    t = time.perf_counter()
    subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=8M"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def run_kestrel(kestrel, program):
    out = subprocess.run([kestrel, "run", program], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"took (\S+)", out)
    return float(m.group(1)), out.split("\n")[0]


def run_dask(path):
    try:
        import dask.array as da
        import numpy as np
    except ImportError:
        return None
    t = time.perf_counter()
    x = np.load(path, mmap_mode="r")
    v = da.from_array(x, chunks=(65536, x.shape[1])).mean().compute()
    return time.perf_counter() - t, v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=0.4, help="file size in GB (default 0.4)")
    ap.add_argument("--rows", type=int, default=65536, help="rows per block")
    ap.add_argument("--kestrel", default="build/kestrel")
    ap.add_argument("--dir", default=None, help="where the file goes (default: a temp dir)")
    args = ap.parse_args()
    n = int(args.gb * 1e9 / 8) // 1000 * 1000
    with tempfile.TemporaryDirectory(prefix="kestrel_stream_bench_", dir=args.dir) as tmp:
        path = os.path.join(tmp, "data.npy")
        write_npy(path, n)
        size = os.path.getsize(path)
        program = os.path.join(tmp, "mean.kst")
        with open(program, "w") as f:
            f.write('let start = clock()\nvar s = 0.0\nvar n = 0\n'
                    'for b in npy_blocks("%s", f64, 2, %d) {\n'
                    '    s += sum(b)\n    n += shape(b, 0) * shape(b, 1)\n}\n'
                    'let took = clock() - start\nprint(s / f64(n))\nprint("took", took)\n'
                    % (path, args.rows))
        print("file: %.2f GB (%d f64), blocks of %d rows x 10" % (size / 1e9, n, args.rows))
        rows = []
        for state in ("cold", "warm"):
            drop_cache(path) if state == "cold" else run_dd(path)
            dd = run_dd(path)
            drop_cache(path) if state == "cold" else None
            k, mean = run_kestrel(args.kestrel, program)
            line = "%s: dd %.2f GB/s, kestrel %.2f GB/s (%.0f%% of dd), mean %s" % (
                state, size / dd / 1e9, size / k / 1e9, 100.0 * dd / k, mean)
            dask = None
            if state == "cold":
                drop_cache(path)
            dask = run_dask(path)
            if dask is None:
                line += "; dask: not installed"
            else:
                line += "; dask %.2f GB/s (kestrel %.1fx faster)" % (size / dask[0] / 1e9, dask[0] / k)
            rows.append(line)
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

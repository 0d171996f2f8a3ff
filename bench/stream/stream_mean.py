#!/usr/bin/env python3
"""The mean over the rows of a large .npy file (10 columns of f64: the 10 column means), streamed
by Kestrel's npy_blocks, against `dd` reading the same file in the same run, and Dask
(da.from_array over np.load(mmap_mode="r"), .mean(axis=0)) where it is installed (issue 18:
10^9 f64, 8 GB, in under 512 MB resident, at 80% or more of dd's rate, Dask beside it).

Each reader runs cold (the file's pages dropped from the page cache first with
posix_fadvise(DONTNEED), which needs no privileges) and warm (right after a read), --repeat times;
the medians are printed. Every time is a whole process's wall time (start-up included), and
each process's peak resident set (ru_maxrss from wait4) is reported beside it.

usage: stream_mean.py [--gb 0.4] [--rows 65536] [--repeat 1] [--kestrel build/kestrel] [--dir /tmp]
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


def timed(argv):
    """(wall seconds, peak RSS in MB, stdout) of one process."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("stream_mean: %s failed (exit %d)" % (" ".join(argv), p.returncode))
    return took, usage.ru_maxrss / 1024.0, out


def run_dd(path):
    took, rss, _ = timed(["dd", "if=" + path, "of=/dev/null", "bs=8M"])
    return took, rss, ""


def run_kestrel(kestrel, program):
    took, rss, out = timed([kestrel, "run", program])
    return took, rss, out.split("\n")[0]


DASK = """
import sys
import numpy as np
import dask.array as da
x = np.load(sys.argv[1], mmap_mode="r")
m = da.from_array(x, chunks=(65536, x.shape[1])).mean(axis=0).compute()
print("[" + ", ".join(repr(float(v)) for v in m) + "]")
"""


def have_dask(python):
    return subprocess.run([python, "-c", "import dask.array, numpy"], capture_output=True).returncode == 0


def run_dask(python, path):
    took, rss, out = timed([python, "-c", DASK, path])
    return took, rss, out.split("\n")[0]


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=0.4, help="file size in GB (default 0.4)")
    ap.add_argument("--rows", type=int, default=65536, help="rows per block")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each reader and state")
    ap.add_argument("--kestrel", default="build/kestrel")
    ap.add_argument("--python", default=os.environ.get("KESTREL_PYTHON", "/usr/bin/python3"),
                    help="the Python that runs Dask")
    ap.add_argument("--dir", default=None, help="where the file goes (default: a temp dir)")
    args = ap.parse_args()
    n = int(args.gb * 1e9 / 8) // 1000 * 1000
    with tempfile.TemporaryDirectory(prefix="kestrel_stream_bench_", dir=args.dir) as tmp:
        path = os.path.join(tmp, "data.npy")
        write_npy(path, n)
        size = os.path.getsize(path)
        program = os.path.join(tmp, "mean.kst")
        with open(program, "w") as f:
            f.write('var s = zeros(10)\nvar n = 0\n'
                    'for b in npy_blocks("%s", f64, 2, %d) {\n'
                    '    s += sum(b, axis=0)\n    n += shape(b, 0)\n}\n'
                    'print(s / f64(n))\n' % (path, args.rows))
        print("file: %.2f GB (%d f64), blocks of %d rows x 10; load average %s" % (
            size / 1e9, n, args.rows, " ".join(open("/proc/loadavg").read().split()[:3])))
        readers = [("dd", lambda: run_dd(path)),
                   ("kestrel", lambda: run_kestrel(args.kestrel, program))]
        if have_dask(args.python):
            readers.append(("dask", lambda: run_dask(args.python, path)))
        else:
            print("dask: not installed for %s" % args.python)
        for state in ("cold", "warm"):
            times = {name: [] for name, _ in readers}
            rss = {name: [] for name, _ in readers}
            answers = {}
            for _ in range(args.repeat):
                for name, reader in readers:
                    if state == "cold":
                        drop_cache(path)
                    else:
                        run_dd(path)  # the file in the page cache
                    took, peak, answer = reader()
                    times[name].append(took)
                    rss[name].append(peak)
                    answers[name] = answer
            dd = median(times["dd"])
            line = "%s (medians of %d):" % (state, args.repeat)
            for name, _ in readers:
                t = median(times[name])
                line += "\n  %-8s %6.2f GB/s  %7.2f s  peak RSS %7.1f MB" % (
                    name, size / t / 1e9, t, max(rss[name]))
                if name != "dd":
                    line += "  (%.0f%% of dd's rate)" % (100.0 * dd / t)
            if "dask" in times:
                line += "\n  kestrel %.2fx Dask's rate" % (median(times["dask"]) / median(times["kestrel"]))
            print(line)
            for name in ("kestrel", "dask"):
                if name in answers:
                    print("  %s's column means: %s" % (name, answers[name]))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

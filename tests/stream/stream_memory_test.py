#!/usr/bin/env python3
"""A streamed mean over a .npy file far larger than the memory the run may use.

Writes a 400 MB f64 .npy file (5,000,000 x 10, element k = k % 1000, so the mean is exactly
499.5) in a temporary directory, then runs `kestrel run MODE` on a program that means it with
`for b in npy_blocks(path, f64, 2, 65536)` and checks the answer and the child's peak resident
memory (ru_maxrss from wait4): at most 64 MB over the same mode's run of `print(1)`, well below
the file's 400 MB. The bound is over that base (the binary, its libraries, LLVM under --jit) so
that it measures the stream in every build: under ASan+UBSan the base alone is about 70 MB more
than in the release build (shadow memory, the allocator's metadata), and ASan's quarantine of
freed blocks (256 MB by default) is set to 0 for the runs, or it would hold every block read.

Why resident memory and not `ulimit -v`: a kestrel process reserves address space it never
touches (TBB's thread stacks, LLVM's JIT arenas and the dlopen'd libkestrel_jit.so: several
hundred MB of virtual size before the first line runs), so a virtual-size bound low enough to
make a whole-file mapping fail would also fail an ordinary run. Resident memory is what streaming
bounds. As a control the same file's mean through load_npy (a private mapping read whole) must
peak more than 340 MB over its base: the bound does tell the two apart.

usage: stream_memory_test.py KESTREL
"""
import os
import struct
import subprocess
import sys
import tempfile

ROWS, COLS = 5_000_000, 10
BOUND_MB = 64  # over the mode's base
CONTROL_MB = 340  # over the interpreter's base (about 10 MB): the old 350 MB peak


def write_npy(path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (ROWS, COLS)
    total = 10 + len(header) + 1
    header += " " * ((total + 63) // 64 * 64 - total) + "\n"
    chunk = struct.pack("<1000d", *[float(k) for k in range(1000)])
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        block = chunk * 1000  # 8 MB
        for _ in range(ROWS * COLS // 1_000_000):
            f.write(block)


def peak_mb(kestrel, program, mode):
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 2)
        out = os.open(program + "." + mode.strip("-") + ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execv(kestrel, [kestrel, "run", mode, program])
    _, status, usage = os.wait4(pid, 0)
    with open(program + "." + mode.strip("-") + ".out") as f:
        text = f.read()
    return os.waitstatus_to_exitcode(status), text, usage.ru_maxrss / 1024.0


def main():
    kestrel = sys.argv[1]
    if "ASAN_OPTIONS" in os.environ:
        os.environ["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
    failures = []
    with tempfile.TemporaryDirectory(prefix="kestrel_stream_") as tmp:
        data = os.path.join(tmp, "big.npy")
        write_npy(data)
        size_mb = os.path.getsize(data) / 1e6
        streamed = os.path.join(tmp, "streamed.kst")
        with open(streamed, "w") as f:
            f.write('var s = 0.0\nvar n = 0\n'
                    'for b in npy_blocks("%s", f64, 2, 65536) {\n'
                    '    s += sum(b)\n    n += shape(b, 0) * shape(b, 1)\n}\n'
                    'print(s / f64(n), n)\n' % data)
        whole = os.path.join(tmp, "whole.kst")
        with open(whole, "w") as f:
            f.write('let m = load_npy("%s", f64, 2)\nprint(mean(m))\n' % data)
        trivial = os.path.join(tmp, "trivial.kst")
        with open(trivial, "w") as f:
            f.write('print(1)\n')
        want = "499.5 %d\n" % (ROWS * COLS)
        base = {}
        for mode in ("--interp", "--jit"):
            rc, out, base[mode] = peak_mb(kestrel, trivial, mode)
            if rc != 0 or out != "1\n":
                failures.append("base %s: exit %d, output %r" % (mode, rc, out))
            rc, out, mb = peak_mb(kestrel, streamed, mode)
            print("streamed %s: %.0f MB file, peak resident %.1f MB, %.1f MB over print(1)'s, "
                  "output %r" % (mode, size_mb, mb, mb - base[mode], out.strip()))
            if rc != 0 or out != want:
                failures.append("streamed %s: exit %d, output %r, want %r" % (mode, rc, out, want))
            if mb - base[mode] >= BOUND_MB:
                failures.append("streamed %s: peak resident %.1f MB, %.1f MB over print(1)'s >= %d MB"
                                % (mode, mb, mb - base[mode], BOUND_MB))
        rc, out, mb = peak_mb(kestrel, whole, "--interp")
        print("control load_npy: peak resident %.1f MB, %.1f MB over print(1)'s, output %r"
              % (mb, mb - base["--interp"], out.strip()))
        if rc != 0 or out.strip() != "499.5":
            failures.append("control: exit %d, output %r" % (rc, out))
        if mb - base["--interp"] <= CONTROL_MB:
            failures.append("control: %.1f MB over print(1)'s <= %d MB: the bound would not tell"
                            % (mb - base["--interp"], CONTROL_MB))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""dist.group_agg_csv at 2 ranks in bounded memory: no rank holds its part's rows.

Writes a CSV of 6,000,000 rows (an i64 key of 1000 groups, an f64 value; about 134 MB) with
Kestrel's write_csv, then runs `kestrel run --ranks 2 MODE` of a program that groups it with
dist.group_agg_csv in blocks of 65,536 rows and checks, against groupby.group_agg_csv over the
same file in one process, the keys, counts and sums bit for bit (their checksums), and the peak
resident memory of the job (ru_maxrss from wait4: the largest process of mpirun's tree, so one
rank) against a bound of BOUND_MB over the same job's peak on an empty CSV (the base: the binary,
its libraries, the modules' compile, MPI, LLVM under --jit). A rank that held its 3,000,000 rows'
(key, value) as the function once did peaked at 174 MB (--interp) and 214 MB (--jit) on this
file, about 124 MB over an ordinary rank's 50 MB and 90 MB: the bound tells the two apart. The
bound is over the base so that it measures the rows in every build: under ASan+UBSan the base
alone is tens of MB more than in the release build, and ASan's quarantine of freed blocks
(256 MB by default) is set to 0, or it would hold every block read.

usage: dist_csv_memory_test.py KESTREL    (exit 77, skipped, without mpirun)
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_mpi import environment  # noqa: E402 (mpirun's environment: root allowed)

ROWS = 6_000_000
BLOCK = 65536
BOUND_MB = 64  # over the base

PROGRAM = '''import dist
import groupby
let (k, m, s, c) = {module}.group_agg_csv("{path}", "key", "value", {block})
if rank() == 0 {{
    print(len(k), sum(k), sum(c), sum(s), sum(m))
}}
'''


def peak(cmd, out_path):
    """Runs cmd with stdout to out_path: (exit code, stdout, peak RSS in MB of its process tree)."""
    pid = os.fork()
    if pid == 0:
        out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execvpe(cmd[0], cmd, environment())
    _, status, usage = os.wait4(pid, 0)
    with open(out_path) as f:
        return os.waitstatus_to_exitcode(status), f.read(), usage.ru_maxrss / 1024.0


def main():
    kestrel = sys.argv[1]
    if shutil.which("mpirun") is None:
        print("skip: no mpirun")
        return 77
    if "ASAN_OPTIONS" in os.environ:
        os.environ["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
    failures = []
    with tempfile.TemporaryDirectory(prefix="kestrel_dist_csv_") as tmp:
        data = os.path.join(tmp, "rows.csv")
        gen = os.path.join(tmp, "gen.kst")
        with open(gen, "w") as f:
            f.write('let keys = i64(rand(%d, seed=21) * 1000.0) - 300\n'
                    'let values = rand(%d, seed=22) * 100.0\n'
                    'write_csv("%s", table(key=keys, value=values))\n' % (ROWS, ROWS, data))
        subprocess.run([kestrel, "run", gen], check=True)
        one = os.path.join(tmp, "run_one.kst")
        with open(one, "w") as f:
            f.write(PROGRAM.format(module="groupby", path=data, block=BLOCK))
        want = subprocess.run([kestrel, "run", one], capture_output=True, text=True,
                              check=True).stdout
        program = os.path.join(tmp, "run_dist.kst")
        with open(program, "w") as f:
            f.write(PROGRAM.format(module="dist", path=data, block=BLOCK))
        empty = os.path.join(tmp, "empty.csv")
        with open(empty, "w") as f:
            f.write("key,value\n")
        base_program = os.path.join(tmp, "run_base.kst")
        with open(base_program, "w") as f:
            f.write(PROGRAM.format(module="dist", path=empty, block=BLOCK))
        for mode in ("--interp", "--jit"):
            rc, out, base = peak([kestrel, "run", "--ranks", "2", mode, base_program],
                                 base_program + mode + ".out")
            if rc != 0:
                failures.append("%s: the empty CSV's run exited %d, output %r" % (mode, rc, out))
            rc, out, mb = peak([kestrel, "run", "--ranks", "2", mode, program],
                               program + mode + ".out")
            print("dist.group_agg_csv --ranks 2 %s: %.0f MB file, peak resident %.1f MB, "
                  "%.1f MB over an empty CSV's, %r" %
                  (mode, os.path.getsize(data) / 1e6, mb, mb - base, out.strip()))
            if rc != 0 or out != want:
                failures.append("%s: exit %d, output %r, one process gave %r" %
                                (mode, rc, out, want))
            if mb - base >= BOUND_MB:
                failures.append("%s: peak resident %.1f MB, %.1f MB over an empty CSV's >= %d MB"
                                % (mode, mb, mb - base, BOUND_MB))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

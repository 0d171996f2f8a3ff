#!/usr/bin/env python3
"""Groupby mean/sum/count over a large CSV (an i64 key column of 1000 groups, an f64 value
column), streamed in bounded memory: Kestrel's groupby.group_agg_csv (one process, tiered and
--jit) and
dist.group_agg_csv (`kestrel run --ranks 2`), against pandas' read_csv(chunksize=...) with the
chunks' groupbys merged, and Dask's dd.read_csv(...).groupby(...).agg(...), in one run.

The file is written once by Kestrel's write_csv (shortest round-trip floats), in pieces of 10^6
rows joined under one header. Each tool runs --repeat times (warm page cache); the report gives
the median wall time of the aggregation (Kestrel: clock() around the call, so start-up is left
out; pandas and Dask: time.perf_counter() around it), the peak resident memory of the process
tree (/usr/bin/time's %M: the largest process; for --ranks 2, one rank), and checks that every answer agrees with
Kestrel's (keys and counts exactly, sums and means to 1e-9 relative). The CPU seconds (user +
system, the whole process with its start-up) are reported too: on a shared machine a tool's wall
time depends on the share of the cores it gets.

usage: csv_groupby.py [--rows 100000000] [--block 1000000] [--dir /tmp] [--kestrel build/kestrel]
                      [--repeat 3] [--keep] [--skip dask,pandas,dist]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

PIECE = 1000000


def run_rss(cmd):
    """Runs cmd under /usr/bin/time: (stdout, peak RSS in MB, CPU seconds of the process tree)."""
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M CPU %U %S"] + cmd, capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
    m = re.search(r"MAXRSS (\d+) CPU (\S+) (\S+)", p.stderr)
    return p.stdout, int(m.group(1)) / 1024.0, float(m.group(2)) + float(m.group(3))


def generate(kestrel, path, rows, tmp):
    pieces = (rows + PIECE - 1) // PIECE
    program = os.path.join(tmp, "gen.kst")
    with open(program, "w") as f:
        f.write('let rows = %d\nfor p in 0..%d {\n'
                '    let n = min(%d, rows - p * %d)\n'
                '    let keys = i64(rand(n, seed=2 * p + 1) * 1000.0)\n'
                '    let values = rand(n, seed=2 * p + 2) * 100.0 - 25.0\n'
                '    write_csv("%s/piece" + str(p) + ".csv", table(key=keys, value=values))\n'
                '}\n' % (rows, pieces, PIECE, PIECE, tmp))
    subprocess.run([kestrel, "run", program], check=True)
    with open(path, "wb") as out:
        out.write(b"key,value\n")
        for p in range(pieces):
            piece = os.path.join(tmp, "piece%d.csv" % p)
            with open(piece, "rb") as f:
                f.readline()
                while True:
                    b = f.read(1 << 24)
                    if not b:
                        break
                    out.write(b)
            os.remove(piece)


KESTREL_PROGRAM = '''import {module}
let start = clock()
let (k, m, s, c) = {module}.group_agg_csv("{path}", "key", "value", {block})
let took = clock() - start
if rank() == 0 {{
    write_csv("{result}", table(key=k, mean=m, sum=s, count=c))
    print("took", took)
}}
'''

PANDAS_PROGRAM = '''
import sys, time
import pandas as pd
start = time.perf_counter()
total = None
for chunk in pd.read_csv(sys.argv[1], chunksize=int(sys.argv[2])):
    g = chunk.groupby("key")["value"].agg(["sum", "count"])
    total = g if total is None else total.add(g, fill_value=0)
total["mean"] = total["sum"] / total["count"]
took = time.perf_counter() - start
total.to_csv(sys.argv[3])
print("took", took)
'''

DASK_PROGRAM = '''
import sys, time
import dask
import dask.dataframe as dd
start = time.perf_counter()
r = dd.read_csv(sys.argv[1], blocksize=64_000_000).groupby("key")["value"].agg(
    ["mean", "sum", "count"]).compute()
took = time.perf_counter() - start
r.sort_index().to_csv(sys.argv[3])
print("took", took)
'''


def read_result(path):
    table = {}
    with open(path) as f:
        names = f.readline().strip().split(",")
        for line in f:
            v = dict(zip(names, line.strip().split(",")))
            table[int(v["key"])] = (float(v["sum"]), int(float(v["count"])), float(v["mean"]))
    return table


def agree(a, b):
    if a.keys() != b.keys():
        return "keys differ"
    for k in a:
        (s1, c1, m1), (s2, c2, m2) = a[k], b[k]
        if c1 != c2:
            return "count of %d differs" % k
        for x, y in ((s1, s2), (m1, m2)):
            if abs(x - y) > 1e-9 * max(abs(x), abs(y)):
                return "sum or mean of %d differs: %r vs %r" % (k, x, y)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000000)
    ap.add_argument("--block", type=int, default=1000000, help="rows per block (and chunk)")
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--kestrel", default="build/kestrel")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the CSV (reused when present)")
    ap.add_argument("--skip", default="", help="comma-separated: dist, pandas, dask")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    kestrel = os.path.abspath(args.kestrel)
    python = sys.executable
    tmp = tempfile.mkdtemp(prefix="kestrel_csv_groupby_", dir=args.dir)
    path = os.path.join(args.dir, "kestrel_csv_groupby_%d.csv" % args.rows)
    if not os.path.exists(path):
        generate(kestrel, path, args.rows, tmp)
    size = os.path.getsize(path)
    print("file: %s, %d rows, %.2f GB; blocks of %d rows; load average %s" %
          (path, args.rows, size / 1e9, args.block, os.getloadavg()))
    tools = []

    def kestrel_tool(module, ranks, mode=None):
        result = os.path.join(tmp, "%s_%d_%s.csv" % (module, ranks, mode))
        program = os.path.join(tmp, "run_%s_%s.kst" % (module, (mode or "tiered").strip("-")))
        with open(program, "w") as f:
            f.write(KESTREL_PROGRAM.format(module=module, path=path, block=args.block,
                                           result=result))
        cmd = [kestrel, "run"] + (["--ranks", str(ranks)] if ranks > 1 else []) + (
            [mode] if mode else []) + [program]
        return cmd, result

    tools.append(("kestrel groupby.group_agg_csv", *kestrel_tool("groupby", 1)))
    # The default mode is tiered: the interpreter runs until the JIT's code is ready. --jit
    # compiles first (its compile time is outside the timed call): reading and grouping alone.
    tools.append(("kestrel groupby.group_agg_csv --jit", *kestrel_tool("groupby", 1, "--jit")))
    if "dist" not in skip:
        tools.append(("kestrel dist.group_agg_csv --ranks 2", *kestrel_tool("dist", 2)))
    for name, source in (("pandas read_csv(chunksize)", PANDAS_PROGRAM),
                         ("dask dd.read_csv().groupby().agg()", DASK_PROGRAM)):
        if name.split()[0] in skip:
            continue
        program = os.path.join(tmp, "run_" + name.split()[0] + ".py")
        result = os.path.join(tmp, name.split()[0] + ".csv")
        with open(program, "w") as f:
            f.write(source)
        tools.append((name, [python, program, path, str(args.block), result], result))

    times = {name: [] for name, _, _ in tools}
    rss = {name: [] for name, _, _ in tools}
    cpu = {name: [] for name, _, _ in tools}
    for _ in range(args.repeat):
        for name, cmd, result in tools:  # interleaved: each round runs every tool once
            out, mb, seconds = run_rss(cmd)
            times[name].append(float(re.search(r"took (\S+)", out).group(1)))
            rss[name].append(mb)
            cpu[name].append(seconds)
    reference = read_result(tools[0][2])
    base = statistics.median(times[tools[0][0]])
    for name, cmd, result in tools:
        t = statistics.median(times[name])
        bad = agree(reference, read_result(result))
        print("%-38s median %7.3f s (%s), %5.2fx kestrel's; CPU %6.2f s (process, start-up "
              "included); peak RSS %5.0f MB; %s" % (
                  name, t, " ".join("%.3f" % x for x in times[name]), t / base,
                  statistics.median(cpu[name]), max(rss[name]),
                  "answer agrees" if bad is None else "ANSWER DIFFERS: " + bad))
    print("load average after: %s" % (os.getloadavg(),))
    if not args.keep:
        os.remove(path)
    for f in os.listdir(tmp):
        os.remove(os.path.join(tmp, f))
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

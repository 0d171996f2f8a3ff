#!/usr/bin/env python3
"""Issue 16's bar for Monte Carlo pi: the whole-process 2-thread speed-up of
`montecarlo.pi(10^8, 42)` (at least 1.8x), wall time from start to exit of `kestrel run` at
--threads 1 and --threads 2, tiered and --jit, with the JIT's object cache cold (an empty cache folder for every
run: the compile, and the cache's lookup and store, as a user's first run pays them), off
(--no-cache: the compile alone) or warm (a cache folder of its own, filled by a first untimed
run).

Every run of a round (each build, mode and thread count) goes in a random order, so that load on
the machine falls on all of them alike; it prints the medians and their ratio. `--baseline BIN`
measures another build beside this one, in the same rounds (on a machine whose speed drifts,
only such side-by-side figures compare).

  python3 bench/tiered/pi_speedup.py [--kestrel build/kestrel] [--repeat 21] [--warm | --no-cache]
  python3 bench/tiered/pi_speedup.py --baseline /tmp/old/build/kestrel
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = "import montecarlo\nprint(montecarlo.pi(100000000, 42))\n"
EXPECTED = "3.14156064"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kestrel", default=os.path.join(ROOT, "build", "kestrel"))
    ap.add_argument("--baseline", help="another kestrel binary, measured beside this one")
    ap.add_argument("--repeat", type=int, default=21, help="rounds (default 21)")
    cache = ap.add_mutually_exclusive_group()
    cache.add_argument("--warm", action="store_true", help="a warm object cache instead of a cold one")
    cache.add_argument("--no-cache", action="store_true", help="run with --no-cache instead")
    args = ap.parse_args()
    builds = [("this", args.kestrel)] + ([("baseline", args.baseline)] if args.baseline else [])
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "pi.kst")
        with open(script, "w") as f:
            f.write(SCRIPT)
        runs = [(b, mode, t) for b in builds for mode in ("tiered", "jit") for t in (1, 2)]

        def once(build, mode, threads):
            cold = not args.warm and not args.no_cache
            # A cold cache is an empty folder of its own for each run.
            cache_home = tempfile.mkdtemp(dir=tmp) if cold else os.path.join(tmp, "cache-" + build[0])
            env = dict(os.environ, XDG_CACHE_HOME=cache_home)
            cmd = [build[1], "run", "--" + mode, "--threads", str(threads)]
            cmd += ["--no-cache"] if args.no_cache else []
            start = time.perf_counter()
            p = subprocess.run(cmd + [script], env=env, capture_output=True, text=True)
            wall = (time.perf_counter() - start) * 1000
            if cold:
                shutil.rmtree(cache_home, ignore_errors=True)
            if p.returncode != 0 or p.stdout.strip() != EXPECTED:
                sys.exit(f"{build[1]} {mode} --threads {threads}: rc {p.returncode}, "
                         f"printed {p.stdout!r}, expected {EXPECTED}\n{p.stderr[-1000:]}")
            return wall

        if args.warm:
            for r in runs:
                once(*r)
        times = {}
        for _ in range(args.repeat):
            for r in random.sample(runs, len(runs)):
                times.setdefault(r, []).append(once(*r))
    cache = "warm" if args.warm else "no" if args.no_cache else "cold"
    print(f"montecarlo.pi(10^8), whole process, {cache} object cache, medians of {args.repeat}")
    for b in builds:
        for mode in ("tiered", "jit"):
            one = statistics.median(times[(b, mode, 1)])
            two = statistics.median(times[(b, mode, 2)])
            print(f"  {b[0]:8s} {mode:6s} 1 thread {one:7.1f} ms  2 threads {two:7.1f} ms  "
                  f"speed-up {one / two:.3f}x")


if __name__ == "__main__":
    main()

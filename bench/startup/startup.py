#!/usr/bin/env python3
"""Whole-process start-up of the kestrel command (issue 16, item 2): wall time from spawn to exit.

Each case is run --runs times (interleaved with the others, after --warmup untimed rounds); the
table gives the median, the minimum and the median less that of /bin/true (the cost of spawning
a process at all, measured in the same run). Usage:

  bench/startup/startup.py [--kestrel build/kestrel ...] [--runs 20] [--warmup 3] [--jit]

--kestrel may be given several times (before/after builds, interleaved in the same run).
--jit adds `kestrel run --jit` of print(1) with a warm object cache (it loads the JIT module);
--jit-module PATH (repeatable) adds the same run with KESTREL_JIT_MODULE=PATH, for comparing
builds of the module (LLVM linked statically or libLLVM.so: KESTREL_JIT_STATIC_LLVM).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time


def spawn_wall(argv, env=None):
    """Seconds from posix_spawn to the child's exit; its output goes to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env or os.environ, file_actions=actions)
        _, status = os.waitpid(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"startup.py: {' '.join(argv)} failed (status {status})")
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kestrel", action="append", help="default: build/kestrel")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--jit", action="store_true", help="also time `run --jit` (cached)")
    ap.add_argument("--jit-module", action="append", default=[],
                    help="also time `run --jit` with KESTREL_JIT_MODULE=PATH")
    args = ap.parse_args()
    exes = [os.path.abspath(k) for k in (args.kestrel or ["build/kestrel"])]
    with tempfile.TemporaryDirectory() as tmp:
        p1 = os.path.join(tmp, "print1.kst")
        with open(p1, "w") as f:
            f.write("print(1)\n")
        small = os.path.join(tmp, "small.kst")
        with open(small, "w") as f:
            f.write("fn sq(x: f64) -> f64 {\n  return x * x\n}\n"
                    "let xs = [1.0, 2.0, 3.0]\nprint(sq(xs[1]))\n")
        cases = [("/bin/true", ["/bin/true"])]
        for n, exe in enumerate(exes):
            tag = f"[{n}] " if len(exes) > 1 else ""
            cases += [
                (tag + "kestrel --version", [exe, "--version"]),
                (tag + "kestrel run --interp print(1)", [exe, "run", "--interp", p1]),
                (tag + "kestrel run print(1)", [exe, "run", p1]),
                (tag + "kestrel check small.kst", [exe, "check", small]),
                (tag + "kestrel fmt small.kst", [exe, "fmt", small]),
            ]
            if args.jit:
                cases.append((tag + "kestrel run --jit print(1) (cached)", [exe, "run", "--jit", p1]))
            for m, module in enumerate(args.jit_module if n == len(exes) - 1 else []):
                env = dict(os.environ, KESTREL_JIT_MODULE=os.path.abspath(module))
                cases.append((tag + f"run --jit print(1), module {{{m}}}", [exe, "run", "--jit", p1], env))
        times = {case[0]: [] for case in cases}
        for i in range(args.warmup + args.runs):
            for name, argv, *env in cases:
                t = spawn_wall(argv, env[0] if env else None)
                if i >= args.warmup:
                    times[name].append(t)
    for n, exe in enumerate(exes):
        print(f"[{n}] {exe}" if len(exes) > 1 else exe)
    for m, module in enumerate(args.jit_module):
        print(f"{{{m}}} {os.path.abspath(module)}")
    base = statistics.median(times["/bin/true"])
    print(f"{'case':40} {'median ms':>10} {'min ms':>8} {'- true ms':>10}   ({args.runs} runs)")
    for name, *_ in cases:
        med = statistics.median(times[name])
        print(f"{name:40} {med * 1e3:10.2f} {min(times[name]) * 1e3:8.2f} {(med - base) * 1e3:10.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Issue 16's bar for the default (tiered) mode: every example and every `make demo` workload run
as a whole process by `kestrel run --interp`, `--jit` and `--tiered`, with the JIT's object cache
off (a cold compile every time), wall time from start to exit, median of --repeat runs, the
three modes interleaved so that load on the machine falls on all of them alike.

For each program it prints the three medians, tiered's ratio to the faster of the other two, and
whether the bar holds: tiered at most 1.1x the faster one, and, for a script the interpreter
finishes within 50 ms, at most 5 ms slower than the interpreter. It also checks that the three
modes printed the same (lines holding a time are masked). Exit status 1 when a program misses
the bar or differs.

  python3 bench/tiered/modes.py [--kestrel build/kestrel] [--repeat 3] [--only NAME...]
  python3 bench/tiered/modes.py --threads 2   # pass --threads to every run
  python3 bench/tiered/modes.py --report      # exit 1 only when outputs differ (make demo)
  python3 bench/tiered/modes.py --also KESTREL_TIER_BASELINE=off
      # a fourth column: tiered again with that variable set, interleaved with the others (the
      # bar is still judged on the plain tiered run)

The demo workloads (bench/demo.suite: a function timed with arguments a setup makes) become a
script each: `import M; let (a, b) = M.setup(...); print(M.fn(a, b))`, so setup is timed in all
three modes too.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODES = ("interp", "jit", "tiered")


def results(source, fn):
    """How many values `fn` in `source` returns: the top-level commas of a tuple type, plus one."""
    ret = re.search(rf"fn {fn}\([^)]*\)\s*->\s*([^{{]*)\{{", source).group(1).strip()
    if not ret.startswith("("):
        return 1
    depth, count = 0, 1
    for ch in ret[1:-1]:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            count += 1
    return count


def suite_scripts(suite, tmp):
    """A script per bench/demo.suite row, in `tmp` beside a copy of its .kst file."""
    out = []
    base = os.path.dirname(suite)
    for line in open(suite):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, _size, spec = [part.strip() for part in line.split("|")]
        words = spec.split()
        path = os.path.normpath(os.path.join(base, words[0]))
        module = os.path.splitext(os.path.basename(path))[0]
        # --setup FN ARGS... and --fn NAME ARGS... (--repeat N: one run per process here)
        calls = {}
        k = 1
        while k < len(words):
            flag, k = words[k], k + 1
            values = []
            while k < len(words) and not words[k].startswith("--"):
                values.append(words[k])
                k += 1
            calls[flag] = values
        setup, *setup_args = calls.get("--setup", [None])
        fn, *args = calls["--fn"]
        folder = os.path.join(tmp, re.sub(r"[^a-z0-9]+", "_", label.lower()))
        os.makedirs(folder)
        if not path.startswith(os.path.join(ROOT, "stdlib")):
            shutil.copy(path, folder)
        text = f"import {module}\n"
        if setup:
            count = results(open(path).read(), setup)
            names = [f"a{i}" for i in range(count)]
            bind = f"let ({', '.join(names)})" if count > 1 else f"let {names[0]}"
            text += f"{bind} = {module}.{setup}({', '.join(setup_args)})\n"
            args = names
        text += f"print({module}.{fn}({', '.join(args)}))\n"
        script = os.path.join(folder, "main.kst")
        with open(script, "w") as f:
            f.write(text)
        out.append((f"demo: {label}", script))
    return out


def mask(text):
    """Output with lines that hold a time masked (the examples print their own times)."""
    return "\n".join("<time>" if re.search(r"\b(took|ms|GB/s|seconds)\b", l) else l
                     for l in text.splitlines())


def run_once(kestrel, mode, script, threads, env=None):
    cmd = [kestrel, "run", f"--{mode}", "--no-cache"]
    if threads:
        cmd += ["--threads", str(threads)]
    start = time.perf_counter()
    p = subprocess.run(cmd + [script], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, **env) if env else None)
    wall = (time.perf_counter() - start) * 1000
    if p.returncode != 0:
        raise SystemExit(f"{mode} {script}: exit {p.returncode}\n{p.stderr}")
    return wall, mask(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kestrel", default=os.path.join(ROOT, "build", "kestrel"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--also", default="",
                    help="VAR=VALUE: also run tiered with it set (a fourth column)")
    ap.add_argument("--report", action="store_true",
                    help="exit 1 only when the modes' outputs differ, not when a bar is missed")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        programs = [(f"example: {f[:-4]}", os.path.join(ROOT, "examples", f))
                    for f in sorted(os.listdir(os.path.join(ROOT, "examples"))) if f.endswith(".kst")]
        programs += suite_scripts(os.path.join(ROOT, "bench", "demo.suite"), tmp)
        if opts.only:
            programs = [p for p in programs if any(o in p[0] for o in opts.only)]
        also = dict([opts.also.split("=", 1)]) if opts.also else None
        print(f"{'program':36} {'interp ms':>10} {'jit ms':>10} {'tiered ms':>10} "
              f"{'tiered/best':>12}  bar" + (f"  | tiered, {opts.also}" if also else ""))
        failed = 0
        for name, script in programs:
            times = {m: [] for m in MODES + ("also",)}
            outputs = {}
            for _ in range(opts.repeat):
                for mode in MODES:
                    wall, out = run_once(opts.kestrel, mode, script, opts.threads)
                    times[mode].append(wall)
                    outputs[mode] = out
                if also:
                    wall, outputs["also"] = run_once(opts.kestrel, "tiered", script, opts.threads,
                                                     also)
                    times["also"].append(wall)
            med = {m: statistics.median(times[m]) for m in MODES}
            best = min(med["interp"], med["jit"])
            ratio = med["tiered"] / best
            ok = ratio <= 1.1 or (med["interp"] <= 50 and med["tiered"] - med["interp"] <= 5)
            if med["interp"] <= 50 and med["tiered"] - med["interp"] > 5:
                ok = False
            same = outputs["interp"] == outputs["jit"] == outputs["tiered"] == outputs.get(
                "also", outputs["tiered"])
            verdict = ("ok" if ok else "MISSED") + ("" if same else ", OUTPUT DIFFERS")
            failed += 0 if (ok or opts.report) and same else 1
            print(f"{name:36} {med['interp']:10.1f} {med['jit']:10.1f} {med['tiered']:10.1f} "
                  f"{ratio:11.2f}x  {verdict}" +
                  (f"  | {statistics.median(times['also']):10.1f} "
                   f"({statistics.median(times['also']) / best:.2f}x)" if also else ""), flush=True)
        print(f"(wall ms to exit, median of {opts.repeat}, --no-cache; bar: tiered <= 1.1x the "
              f"faster mode, and <= interp + 5 ms where interp <= 50 ms; {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f})")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The JIT is a module loaded on the first compile (issue 16, item 2): `kestrel --version`, `check`,
`fmt` and `run --interp` never load libLLVM nor libkestrel_jit.so (the dynamic loader's own log,
LD_DEBUG=files, says which files it opened); `run --jit` loads the module (which holds LLVM, or
loads libLLVM.so: KESTREL_JIT_STATIC_LLVM); a missing module is a one-line error naming its path,
not a crash; a tiered run whose time goes to runtime operations, not its own loops, does not load
the module; a run whose code is in the object cache links it without the module (the object
loader), `--jit` and tiered alike, a tiered run's loop whose continuation is cached moves at its
first poll, and a rebuilt module (another file identity) is a cache miss.

usage: jit_module_test.py KESTREL
"""
import os
import shutil
import subprocess
import sys
import tempfile

KESTREL = sys.argv[1]
failures = []


def run(args, env_extra=None, ld_debug=True):
    env = dict(os.environ)
    if ld_debug:
        env["LD_DEBUG"] = "files"
    env.update(env_extra or {})
    return subprocess.run([KESTREL, *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=env)


def check(name, ok, proc, why):
    if ok:
        print(f"ok {name}")
    else:
        failures.append(f"{name}: {why}\n  rc {proc.returncode}\n  stdout: {proc.stdout!r}\n"
                        f"  stderr (last 2000): {proc.stderr[-2000:]!r}")


def loaded(proc):
    """The files the dynamic loader opened, from its LD_DEBUG=files log."""
    return [line.split("file=", 1)[1].split()[0] for line in proc.stderr.splitlines()
            if "file=" in line and ("needed by" in line or "dynamically loaded by" in line)]


with tempfile.TemporaryDirectory() as tmp:
    p1 = os.path.join(tmp, "print1.kst")
    with open(p1, "w") as f:
        f.write("print(1)\n")
    cache = {"XDG_CACHE_HOME": os.path.join(tmp, "cache")}

    for args, out in ((["--version"], "kestrel"), (["run", "--interp", p1], "1\n"),
                      (["check", p1], ""), (["fmt", p1], "print(1)")):
        proc = run(args, cache)
        files = loaded(proc)
        name = "no LLVM: kestrel " + " ".join(a if a != p1 else "print1.kst" for a in args)
        llvm = [f for f in files if "libLLVM" in f or "libkestrel_jit" in f]
        check(name, proc.returncode == 0 and out in proc.stdout and
              any("libstdc++" in f for f in files) and not llvm, proc,
              f"loaded {llvm}" if llvm else "did not run, or LD_DEBUG listed no libraries")

    proc = run(["run", "--jit", p1], cache)
    files = loaded(proc)
    check("run --jit loads the module", proc.returncode == 0 and proc.stdout == "1\n" and
          any("libkestrel_jit.so" in f for f in files), proc, f"loaded {files}")

    proc = run(["run", "--jit", p1], {**cache, "KESTREL_JIT_TIMES": "1"})
    files = loaded(proc)
    check("a cached run --jit links its code without the module",
          proc.returncode == 0 and proc.stdout == "1\n" and
          "linked by the object loader" in proc.stderr and
          any("libstdc++" in f for f in files) and
          not any("libkestrel_jit" in f or "libLLVM" in f for f in files), proc,
          f"loaded {files}")

    # A tiered run whose parallel loop moves to native code at its start (compiled on the run's
    # own thread, so even a loaded machine compiles it before the loop runs): compiled the first
    # time, from the cache without the module the second.
    hot = os.path.join(tmp, "hot.kst")
    with open(hot, "w") as f:
        f.write("var s = 0\nparallel for i in 0..4000000 {\n    s += i % 7\n}\nprint(s)\n")
    first = run(["run", "--time", hot], cache)
    proc = run(["run", "--time", hot], cache)
    files = loaded(proc)
    check("a tiered run's loop compiled before moves from the cache without the module",
          first.returncode == 0 and proc.returncode == 0 and proc.stdout == first.stdout and
          proc.stdout == "11999994\n" and "1 running loops moved to native code" in proc.stderr
          and not any("libkestrel_jit" in f or "libLLVM" in f for f in files), proc,
          f"loaded {files}; first run's stderr {first.stderr[-600:]!r}")

    # A sequential loop cached by an earlier run moves at its first poll, from the cache: here
    # every compile is held back for 100 s (KESTREL_TIER_COMPILE_DELAY_MS), so without that probe
    # the loop (about half a second interpreted) would finish in the interpreter.
    seq = os.path.join(tmp, "seq.kst")
    with open(seq, "w") as f:
        f.write("fn mix(n: i64) -> f64 {\n    var h = 0.0\n    for i in 0..n {\n"
                "        let x = f64(i) * 0.5\n        h = h + x * x - 3.0 * x\n    }\n"
                "    return h\n}\nprint(mix(30000000))\n")
    first = run(["run", "--time", seq], cache)
    proc = run(["run", "--time", seq], {**cache, "KESTREL_TIER_COMPILE_DELAY_MS": "100000"})
    files = loaded(proc)
    check("a cached sequential loop moves at its first poll, held-back compiles or not",
          first.returncode == 0 and proc.returncode == 0 and proc.stdout == first.stdout and
          "1 running loops moved to native code" in first.stderr and
          "1 running loops moved to native code" in proc.stderr and
          not any("libkestrel_jit" in f or "libLLVM" in f for f in files), proc,
          f"loaded {files}; first run's stderr {first.stderr[-600:]!r}")

    # A rebuilt module (here: the same file, touched) names other cache entries: its code is
    # compiled again, not taken from the old module's entries.
    built = os.path.join(os.path.dirname(os.path.abspath(KESTREL)), "libkestrel_jit.so")
    if os.path.exists(built):
        copy = os.path.join(tmp, "module", "libkestrel_jit.so")
        os.makedirs(os.path.dirname(copy))
        shutil.copy2(built, copy)
        env = {**cache, "KESTREL_JIT_MODULE": copy}
        a = run(["run", "--jit", p1], env)
        b = run(["run", "--jit", p1], env)
        st = os.stat(copy)
        os.utime(copy, (st.st_atime + 10, st.st_mtime + 10))
        c = run(["run", "--jit", p1], env)
        uses = [any(copy in f for f in loaded(x)) for x in (a, b, c)]
        check("a rebuilt module misses the entries of the one before", uses == [True, False, True]
              and all(x.returncode == 0 and x.stdout == "1\n" for x in (a, b, c)), c,
              f"module loaded by the three runs: {uses}")
    else:
        print(f"skip a rebuilt module: no {built}")

    # A tiered run that spends its time in runtime operations, in no loop of its own that could
    # get hot, never loads the module, however long it runs (the preload waits for a loop's poll).
    ops = os.path.join(tmp, "ops.kst")
    with open(ops, "w") as f:
        f.write("let a = ones(2000000)\nvar s = 0.0\nfor k in 0..20 {\n"
                "    s += sum(sqrt(a * 2.0 + f64(k)))\n}\nprint(s > 0.0)\n")
    proc = run(["run", "--time", ops], cache)
    files = loaded(proc)
    check("a tiered run of runtime operations only does not load the module",
          proc.returncode == 0 and proc.stdout == "true\n" and
          any("libstdc++" in f for f in files) and
          not any("libkestrel_jit" in f or "libLLVM" in f for f in files), proc,
          f"loaded {files}")

    missing = os.path.join(tmp, "nowhere", "libkestrel_jit.so")
    proc = run(["run", "--jit", p1], {**cache, "KESTREL_JIT_MODULE": missing}, ld_debug=False)
    lines = proc.stderr.splitlines()
    check("a missing module is a one-line error naming it", proc.returncode == 1 and
          len(lines) == 1 and missing in lines[0] and lines[0].startswith("error:"), proc,
          "expected exit 1 and one line naming " + missing)
    proc = run(["run", "--interp", p1], {**cache, "KESTREL_JIT_MODULE": missing}, ld_debug=False)
    check("--interp runs without the module", proc.returncode == 0 and proc.stdout == "1\n", proc,
          "expected print(1)'s output")

if failures:
    print("\n".join(failures))
    sys.exit(1)

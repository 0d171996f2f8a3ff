#!/usr/bin/env python3
"""End-to-end tests of the `kestrel` command line: exit codes, help, version, check, fmt, run's
--time-limit and Ctrl-C.

usage: cli_test.py KESTREL SOURCE_ROOT
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

KESTREL, ROOT = sys.argv[1], sys.argv[2]
failures = []


def run(*args, cwd=ROOT, env=None):
    return subprocess.run([KESTREL, *args], capture_output=True, text=True, cwd=cwd, timeout=60,
                          stdin=subprocess.DEVNULL, env=env)


def expect(name, proc, rc, stdout_has=None, stderr_has=None):
    problems = []
    if proc.returncode != rc:
        problems.append(f"exit {proc.returncode}, expected {rc}")
    if stdout_has is not None and stdout_has not in proc.stdout:
        problems.append(f"stdout lacks {stdout_has!r}")
    if stderr_has is not None and stderr_has not in proc.stderr:
        problems.append(f"stderr lacks {stderr_has!r}")
    if problems:
        failures.append(f"{name}: {'; '.join(problems)}\n  stdout: {proc.stdout!r}\n  stderr: {proc.stderr!r}")
    else:
        print(f"ok {name}")


expect("help", run("--help"), 0, stdout_has="usage: kestrel")
expect("help after command", run("check", "--help"), 0, stdout_has="usage: kestrel")
expect("version", run("--version"), 0, stdout_has="kestrel 0.1.0")
expect("no arguments", run(), 2, stderr_has="usage: kestrel")
expect("unknown command", run("frobnicate"), 2, stderr_has="unknown command 'frobnicate'")
expect("check without file", run("check"), 2, stderr_has="check takes exactly one FILE")
expect("check missing file", run("check", "no/such/file.kst"), 1,
       stderr_has="cannot read 'no/such/file.kst'")
expect("check clean", run("check", "examples/tour.kst"), 0)
# Not a source file: a directory, an endless device, a file that may not be read. Each is an
# error that says which and why (a directory ran as an empty program; /dev/zero read until memory
# ran out).
expect("run a directory", run("run", "examples"), 1,
       stderr_has="cannot read 'examples': it is a directory")
expect("check a directory", run("check", "examples"), 1, stderr_has="it is a directory")
expect("run an endless file", run("run", "/dev/zero"), 1,
       stderr_has="cannot read '/dev/zero': a source file is at most 64 MiB")
with tempfile.TemporaryDirectory() as tmp:
    empty_suite = os.path.join(tmp, "empty.suite")
    with open(empty_suite, "w") as f:
        f.write("# nothing here yet\n\n")
    expect("bench an empty suite", run("bench", "--suite", empty_suite), 2,
           stderr_has="empty.suite: error: no workloads")
    expect("bench a directory as a suite", run("bench", "--suite", tmp), 1,
           stderr_has="it is a directory")
expect("run a missing file", run("run", "no/such/file.kst"), 1,
       stderr_has="cannot read 'no/such/file.kst': No such file or directory")
expect("fmt unknown option", run("fmt", "--frob", "examples/tour.kst"), 2)

# `kestrel emit`: each stage of the pipeline, for the README's walk through print(fib(10)).
with tempfile.TemporaryDirectory() as tmp:
    fib = os.path.join(tmp, "fib.kst")
    with open(fib, "w") as f:
        f.write("fn fib(n: i64) -> i64 {\n    if n < 2 { return n }\n"
                "    return fib(n - 1) + fib(n - 2)\n}\nprint(fib(10))\n")
    expect("emit --ast", run("emit", "--ast", fib), 0, stdout_has="(fn fib (params (param n")
    expect("emit --ir", run("emit", "--ir", fib, "--fn", "fib"), 0,
           stdout_has="return (+:i64 (call:i64 fib (-:i64 n 1))")
    expect("emit --bytecode", run("emit", "--bytecode", fib, "--fn", "fib"), 0,
           stdout_has="function fib (params 1")
    expect("emit --llvm", run("emit", "--llvm", fib, "--fn", "fib"), 0,
           stdout_has="define i64 @kestrel.fib")
    expect("emit --bytecode of every function", run("emit", "--bytecode", fib), 0,
           stdout_has="function <main>")
    expect("emit two stages", run("emit", "--ir", "--llvm", fib), 2,
           stderr_has="emit takes one of --ast, --ir, --bytecode, --llvm")
    expect("emit no stage", run("emit", fib), 2, stderr_has="usage: kestrel emit")
    expect("emit --ast --fn", run("emit", "--ast", fib, "--fn", "fib"), 1,
           stderr_has="the parse tree is of the whole file")
    expect("emit no such function", run("emit", "--ir", fib, "--fn", "nope"), 1,
           stderr_has="no function 'nope'")

with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, "bad.kst")
    with open(bad, "w") as f:
        f.write("let x = (1 + 2\nprint(x)\n")
    expect("check syntax error", run("check", bad), 1,
           stderr_has=f"{bad}:2:1: error: expected ')', found 'print'")
    expect("fmt syntax error", run("fmt", bad), 1, stderr_has="expected ')'")

    messy = os.path.join(tmp, "messy.kst")
    with open(messy, "w") as f:
        f.write("fn   f(a:i64)->i64{return a*2}\nlet y=f(  3 )\n")
    proc = run("fmt", messy)
    expect("fmt prints canonical form", proc, 0,
           stdout_has="fn f(a: i64) -> i64 {\n    return a * 2\n}\n")
    expect("fmt --write", run("fmt", "--write", messy), 0)
    with open(messy) as f:
        written = f.read()
    if written != proc.stdout:
        failures.append(f"fmt --write wrote {written!r}, fmt printed {proc.stdout!r}")

    # fmt --write keeps comments and blank lines (it once deleted them all).
    commented = os.path.join(tmp, "commented.kst")
    with open(commented, "w") as f:
        f.write("# what this does\n\nlet   a=1 # the start\n\n\n# then\nprint( a )\n")
    expect("fmt --write with comments", run("fmt", "--write", commented), 0)
    with open(commented) as f:
        written = f.read()
    want = "# what this does\n\nlet a = 1  # the start\n\n# then\nprint(a)\n"
    if written != want:
        failures.append(f"fmt --write with comments wrote {written!r}, expected {want!r}")

    # fmt --write through a symbolic link rewrites the file it names and leaves the link; the
    # file keeps its permissions (it once replaced the link with a new file of mode 0644).
    real = os.path.join(tmp, "real.kst")
    with open(real, "w") as f:
        f.write("let   b=2\nprint( b )\n")
    os.chmod(real, 0o750)
    link = os.path.join(tmp, "link.kst")
    os.symlink("real.kst", link)
    expect("fmt --write through a link", run("fmt", "--write", link), 0)
    with open(real) as f:
        written = f.read()
    if (not os.path.islink(link) or written != "let b = 2\nprint(b)\n"
            or os.stat(real).st_mode & 0o777 != 0o750):
        failures.append(f"fmt --write through a link: link kept {os.path.islink(link)}, "
                        f"wrote {written!r}, mode {oct(os.stat(real).st_mode & 0o777)}")
    leftovers = [n for n in os.listdir(tmp) if "tmp" in n]
    if leftovers:
        failures.append(f"fmt --write left {leftovers}")

# The JIT's object cache (--jit): the first run is a miss, the second a hit with the same output.
with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
    script = os.path.join(tmp, "pi.kst")
    with open(script, "w") as f:
        f.write("import montecarlo\nprint(\"pi\", montecarlo.pi(1000, 7))\n")
    # The default mode is tiered: --time says what moved to native code.
    tiered = run("run", "--time", script, env=env)
    expect("run --time (tiered, the default)", tiered, 0, stdout_has="pi 3.",
           stderr_has="tiered   ")
    miss = run("run", "--time", "--jit", script, env=env)
    expect("run --time: cache miss", miss, 0, stdout_has=tiered.stdout,
           stderr_has="(cache miss)")
    hit = run("run", "--time", "--jit", script, env=env)
    expect("run --time: cache hit", hit, 0, stdout_has=miss.stdout, stderr_has="(cache hit)")
    entries = os.listdir(os.path.join(tmp, "cache", "kestrel"))
    if len(entries) != 1 or not entries[0].endswith(".kjo"):
        failures.append(f"cache folder holds {entries!r}, expected one .kjo entry")
    fresh = run("run", "--time", "--jit", "--no-cache", script, env=env)
    expect("run --no-cache", fresh, 0, stdout_has=miss.stdout)
    if "cache" in fresh.stderr:
        failures.append(f"run --no-cache --time mentions the cache: {fresh.stderr!r}")
    expect("bench --no-cache", run("bench", "--no-cache", "--repeat", "1", script, env=env), 0,
           stdout_has="the same in both modes")
    # The command examples/fib.kst's header recommends: its own timing line ("took … ms") is
    # not a difference between the modes.
    expect("bench examples/fib.kst", run("bench", "--repeat", "1", "examples/fib.kst", env=env), 0,
           stdout_has="the same in both modes")
    # A real difference (a time printed without "took") is shown as a unified diff.
    differs = os.path.join(tmp, "differs.kst")
    with open(differs, "w") as f:
        f.write("print(\"same\")\nprint(\"now\", clock())\nprint(\"took\", clock())\n"
                "print(\"end\")\n")
    p = run("bench", "--repeat", "1", differs, env=env)
    expect("bench shows a difference", p, 1, stdout_has="DIFFERS between the modes")
    lines = p.stdout.splitlines()
    diff = lines[lines.index("--- interp"):] if "--- interp" in lines else []
    if (diff[:2] != ["--- interp", "+++ jit"] or diff[2:3] != ["@@ -1,4 +1,4 @@"]
            or diff[3] != " same" or not diff[4].startswith("-now ")
            or not diff[5].startswith("+now ") or diff[6:8] != [" took …", " end"]):
        failures.append(f"bench diff: {p.stdout!r}")

# bench --setup: the setup function makes the timed function's array arguments; --suite: one
# table over a list of workloads, with a clear error for a malformed line.
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "w.kst")
    with open(script, "w") as f:
        f.write("fn data(n: i64) -> (f64[:], f64[:]) {\n    return (arange(n, f64), ones(n, f64))\n}\n"
                "fn run(a: f64[:], b: f64[:]) -> f64 {\n    return sum(a * b)\n}\n"
                "fn one(n: i64) -> i64[:] {\n    return arange(n, i64)\n}\n")
    expect("bench --setup", run("bench", script, "--setup", "data", "100", "--fn", "run",
                                "--repeat", "2"), 0, stdout_has="result: 4950.0 (the same in both modes)")
    expect("bench --setup without --fn", run("bench", script, "--setup", "data", "100"), 2,
           stderr_has="--setup needs --fn")
    expect("bench --setup that does not fit", run("bench", script, "--setup", "one", "3", "--fn", "run"),
           1, stderr_has="one(n: i64) -> i64[:] does not make the arguments of run(")
    suite = os.path.join(tmp, "s.suite")
    with open(suite, "w") as f:
        f.write("# comment\nproduct sum | 100 f64 | w.kst --setup data 100 --fn run --repeat 2 "
                "--baseline tiny python3 base.py 7\n"
                "ones | 5 | w.kst --fn one 5 --repeat 1 --baseline broken python3 base.py fail\n")
    with open(os.path.join(tmp, "base.py"), "w") as f:  # a baseline prints its median last
        f.write("import sys\nif sys.argv[1] == 'fail':\n    sys.exit('no numpy here')\n"
                "assert sys.argv[2:] == ['--repeat', '2'], sys.argv\nprint(42)\nprint('ms: 1.25')\n")
    svg = os.path.join(tmp, "chart.svg")
    p = run("bench", "--suite", suite, "--svg", svg)
    expect("bench --suite", p, 0, stdout_has="same answer")
    rows = [l for l in p.stdout.splitlines() if l.startswith(("product sum", "ones"))]
    if len(rows) != 2 or not all(r.rstrip().endswith("yes") for r in rows):
        failures.append(f"bench --suite rows: {p.stdout!r}")
    # Each row marks its compile a cache hit or miss and gives the break-even (a count of calls
    # or "never"); --svg draws the table: two bars a workload, titled with its label and times.
    if "break-even" not in p.stdout or not all(
            re.search(r" (hit|miss) .* (\d+|never) +(tiny 1\.25|-)  yes$", r.rstrip()) for r in rows):
        failures.append(f"bench --suite hit/miss, break-even and baseline: {p.stdout!r}")
    if "tiny 1.25" not in rows[0] or "ones: baseline 'broken' not timed: it failed: no numpy here" \
            not in p.stderr:
        failures.append(f"bench --suite baselines: {p.stdout!r} {p.stderr!r}")
    try:
        import xml.etree.ElementTree as ET
        root = ET.parse(svg).getroot()
        titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
        if (len(titles) != 5 or not titles[0].startswith("product sum, interpreter: ")
                or titles[2] != "product sum, baseline (tiny): 1.25 ms"
                or not titles[4].startswith("ones, JIT: ") or not titles[4].endswith(" ms")):
            failures.append(f"bench --svg bars: {titles!r}")
    except (OSError, ET.ParseError) as e:
        failures.append(f"bench --svg: {e}")
    expect("bench --svg without --suite", run("bench", script, "--svg", svg), 2,
           stderr_has="it needs --suite")
    with open(suite, "w") as f:
        f.write("just a label\n")
    expect("bench --suite, bad line", run("bench", "--suite", suite), 2,
           stderr_has="s.suite:1: error: expected 'label | size | FILE [options]'")

# --threads: large reductions run their fixed chunks on every core; the answer never changes.
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "sums.kst")
    with open(script, "w") as f:
        f.write("let a = rand(1000003, seed=5) - 0.5\nprint(sum(a), mean(a * a), dot(a, a), max(a))\n"
                "let m = rand(700, 900, seed=3)\nprint(sum(m), sum(m, axis=0)[17], mean(m, axis=1)[5])\n")
    outs = []
    for mode in ("--interp", "--jit"):
        for threads in ("1", "2", "8"):
            p = run("run", mode, "--threads", threads, script)
            expect(f"run {mode} --threads {threads}", p, 0)
            outs.append(p.stdout)
    if len(set(outs)) != 1:
        failures.append(f"--threads 1/2/8 or the modes disagree: {outs!r}")
    expect("--threads 0 is refused", run("run", "--threads", "0", script), 2,
           stderr_has="--threads takes a count")

# Stopping `run`: --time-limit, and Ctrl-C (SIGINT), both a runtime error at the loop, in both
# modes; Ctrl-C exits with 130 as a shell expects.
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "spin.kst")
    with open(script, "w") as f:
        f.write("print(\"started\")\nvar n = 0\nwhile true {\n    n += 1\n}\n")
    for mode in ("--interp", "--jit"):
        expect(f"run {mode} --time-limit", run("run", mode, "--time-limit", "200", script), 1,
               stderr_has=f"{script}:4:5: error: time limit of 200 ms exceeded")
        p = subprocess.Popen([KESTREL, "run", mode, script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        time.sleep(1.0)  # started, compiled, looping (stdout is a pipe: not flushed yet)
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        expect(f"run {mode}: Ctrl-C", subprocess.CompletedProcess(p.args, p.returncode, out, err),
               130, stderr_has=f"{script}:4:5: error: interrupted")
    expect("--time-limit 0 is refused", run("run", "--time-limit", "0", script), 2,
           stderr_has="--time-limit takes milliseconds")

# A hot recursive function moves to native code at a later call, once compiled: the tier stops
# asking about its calls once it is hot and asks again when its code is published, so a
# publish that the interpreter missed would leave fib_rec interpreted (0 calls ran natively).
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "fib.kst")
    with open(script, "w") as f:
        f.write("import fibonacci\nprint(fibonacci.fib_rec(36))\n")
    p = run("run", "--tiered", "--no-cache", "--time", script)
    m = re.search(r"(\d+) calls and \d+ kernel launches ran natively", p.stderr)
    if p.returncode != 0 or p.stdout != "14930352\n" or m is None or int(m.group(1)) == 0:
        failures.append(f"tiered fib_rec(36): exit {p.returncode}, stdout {p.stdout!r}, "
                        f"stderr {p.stderr!r}")
    else:
        print(f"ok tiered fib_rec(36): {m.group(1)} calls ran natively")

# A process allowed one CPU (`taskset -c 0`, an MPI rank bound to its core) runs its parallel
# loops on that one, silently: no "TBB Warning" on stderr (its loops once asked TBB for workers
# the affinity mask did not allow), with or without --threads, in every mode.
if shutil.which("taskset") is not None:
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "par.kst")
        with open(script, "w") as f:
            f.write("let a = rand(1000000, seed=1)\nprint(sum(a * 2.0) > 0.0)\n")
        for flags in (["--interp"], ["--jit"], ["--tiered"], ["--jit", "--threads", "2"]):
            p = subprocess.run(["taskset", "-c", "0", KESTREL, "run", *flags, script],
                               capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
            name = "taskset -c 0 run " + " ".join(flags)
            if p.returncode != 0 or p.stdout != "true\n" or p.stderr != "":
                failures.append(f"{name}: exit {p.returncode}, stdout {p.stdout!r}, "
                                f"stderr {p.stderr!r}")
            else:
                print(f"ok {name}")
else:
    print("skip taskset: not installed")

for failure in failures:
    print("FAIL " + failure)
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)

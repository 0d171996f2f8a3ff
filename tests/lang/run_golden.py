#!/usr/bin/env python3
"""Runs one golden Kestrel program and compares what `kestrel` says with what the file expects.

Expectations live in the program's own comments:
  # CHECK: error: undefined name 'foo'     one per expected diagnostic, in order
  # CHECK-LOC: 3:9                          line:col of the diagnostic on the CHECK line before
  # CHECK-NOTE: raised here, inside ...     one per note a run's diagnostics carry, in order
                                           (programs that run; notes of check-only files are
                                           not compared)
  # OUT: fib(90) = 2880067194370816120     one per expected line of standard output, in order
  # OUT-ESC: a\0b                          the same, with the escapes \0 \t \r \\ resolved (for
                                           output a comment cannot hold as it is)

Programs under tests/lang/errors/, stdlib/, examples/ and bench/suite/ are checked (`kestrel check`): their
diagnostics must equal the CHECK lines, and a file without CHECK lines must check clean. Every
other program under tests/lang/ is run (`kestrel run MODE`): its output must equal the OUT lines
exactly, and its diagnostics (compile or runtime errors, on stderr) the CHECK lines.

The JIT mode runs the program at --threads 1 and 8, each run against the same expectations, with
an object cache of its own: the first run compiles the program and stores it, the second links
the stored object with the object loader (no LLVM).
The tiered mode (--tiered) does too, with KESTREL_TIER=eager: everything is compiled before the
run and every call the interpreter makes switches to native code; and once more at 8 threads
with the baseline tier's code (KESTREL_JIT_PIPELINE=baseline), which a hot function runs until
its full compile lands. --crosscheck runs every call in
both tiers and fails at the first that differs.

The GPU modes take programs with a parallel loop or a kernel launch:
  --gpu-emulate  runs it with `--target gpu` on the emulated device (KESTREL_GPU_DEVICE=emulate:
                 the CUDA backend's source built by the host compiler), against the same
                 expectations;
  --cuda         compiles its CUDA source with NVRTC to PTX (compute_90) and to a cubin (sm_90):
                 both must succeed and hold every planned kernel. Exit 77 (skipped) without
                 NVRTC.

usage: run_golden.py KESTREL FILE [MODE]
       (MODE: --interp (the default), --jit, --tiered, --crosscheck, --check, --gpu-emulate or --cuda)
"""
import os
import tempfile
import difflib
import re
import subprocess
import sys

DIAG = re.compile(r"^(?P<file>[^ ].*?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): (?P<msg>.*)$")


ESCAPES = {"0": "\0", "t": "\t", "r": "\r", "\\": "\\"}


def unescape(text):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def expected_output(path):
    lines = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^\s*#\s*OUT(-ESC)?:(?: (.*))?$", line.rstrip("\n"))
            if m:
                text = m.group(2) or ""
                lines.append(unescape(text) if m.group(1) else text)
    return lines


NOTE = re.compile(r"^(?P<file>[^ ].*?):(?P<line>\d+):(?P<col>\d+): note: (?P<msg>.*)$")


def expected_notes(path):
    """The CHECK-NOTE lines: the notes a run's errors carry (a stdlib error's "raised here, ..."
    at the module's line), in order; what every mode must report alike."""
    notes = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^\s*#\s*CHECK-NOTE:\s*(.*?)\s*$", line)
            if m:
                notes.append(m.group(1))
    return notes


def output_lines(stdout):
    """stdout's lines, split at "\n" only (str.splitlines also splits at \x1c-\x1e, \x85 and
    more, which a program may print)."""
    lines = stdout.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def is_check_only(path):
    return path.startswith(("tests/lang/errors/", "stdlib/", "examples/", "bench/suite/"))


def expectations(path):
    checks = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^\s*#\s*CHECK:\s*(error|warning):\s*(.*?)\s*$", line)
            if m:
                checks.append({"sev": m.group(1), "msg": m.group(2), "loc": None})
                continue
            m = re.match(r"^\s*#\s*CHECK-LOC:\s*(\d+):(\d+)\s*$", line)
            if m:
                if not checks:
                    sys.exit(f"{path}: CHECK-LOC before any CHECK")
                checks[-1]["loc"] = (int(m.group(1)), int(m.group(2)))
    return checks


def judge(path, checks, returncode, stdout, stderr):
    """The failures of one finished run: its stdout against the OUT lines, its diagnostics
    against the CHECK lines, its exit status (bench/gpu/golden_check.py judges with this too)."""
    got = []
    for line in (stdout + stderr).splitlines():
        m = DIAG.match(line)
        if m and m.group("file") == path:
            got.append({"sev": m.group("sev"), "msg": m.group("msg"),
                        "loc": (int(m.group("line")), int(m.group("col")))})
    failures = []
    if returncode not in (0, 1):
        failures.append(f"exited {returncode} (expected 0 or 1)")
    if not is_check_only(path):
        want_out = expected_output(path)
        got_out = output_lines(stdout)
        if got_out != want_out:
            failures.append("output differs:\n" + "\n".join(
                difflib.unified_diff(want_out, got_out, "expected", "got", lineterm="")))
    if not is_check_only(path):
        want_notes = expected_notes(path)
        got_notes = [m.group("msg") for m in map(NOTE.match, stderr.splitlines()) if m]
        if got_notes != want_notes:
            failures.append(f"notes {got_notes}, expected {want_notes}")
    if not checks and stderr.strip():
        # A program that expects no diagnostic prints nothing else on stderr either (LLVM's
        # "remark: ... loop not vectorized" once did, for a parallel loop of draws).
        failures.append("unexpected output on stderr:\n" + stderr[-2000:])
    want_rc = 1 if any(c["sev"] == "error" for c in checks) else 0
    if returncode != want_rc:
        failures.append(f"exit status {returncode}, expected {want_rc}")
    for i, check in enumerate(checks):
        if i >= len(got):
            failures.append(f"missing diagnostic #{i + 1}: {check['sev']}: {check['msg']}")
            continue
        g = got[i]
        if (g["sev"], g["msg"]) != (check["sev"], check["msg"]):
            failures.append(f"diagnostic #{i + 1}:\n  expected {check['sev']}: {check['msg']}\n"
                            f"  got      {g['sev']}: {g['msg']}")
        if check["loc"] is not None and g["loc"] != check["loc"]:
            failures.append(f"diagnostic #{i + 1} at {g['loc'][0]}:{g['loc'][1]}, "
                            f"expected {check['loc'][0]}:{check['loc'][1]}")
    for g in got[len(checks):]:
        failures.append(f"unexpected diagnostic at {g['loc'][0]}:{g['loc'][1]}: "
                        f"{g['sev']}: {g['msg']}")
    return failures


def check_run(command, path, checks, env=None):
    """Runs `command` and returns (failures, output): judge()'s verdict and what it printed."""
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    return (judge(path, checks, proc.returncode, proc.stdout, proc.stderr),
            proc.stdout + proc.stderr)


# The JIT runs parallel loops on the runtime's threads: a program must give the same output at
# every thread count (and the interpreter's, as both match the same expectations). Here the CLI
# runs it at 1 and 8 threads (llvm_tests' Golden runs every program at 1, 2 and 8 in-process,
# which costs no process start per count).
JIT_THREADS = ("1", "8")


def check_cuda(kestrel, path):
    """emit --ptx and --cubin: both compile, and name every kernel emit --cuda planned."""
    listing = subprocess.run([kestrel, "emit", "--cuda", path], capture_output=True, text=True,
                             timeout=120)
    if listing.returncode != 0:
        print(f"FAIL {path}: emit --cuda exited {listing.returncode}\n{listing.stderr}")
        return 1
    kernels = re.findall(r"^// on the GPU: (kr_\d+),", listing.stdout, re.M)
    for stage in ("--ptx", "--cubin"):
        proc = subprocess.run([kestrel, "emit", stage, path], capture_output=True, text=True,
                              timeout=300)
        if proc.returncode != 0 and "NVRTC not found" in proc.stderr:
            print(f"SKIP {path}: {proc.stderr.strip()}")
            return 77
        if proc.returncode != 0:
            print(f"FAIL {path}: emit {stage} exited {proc.returncode}\n{proc.stderr}")
            return 1
        for k in kernels:
            want = f".entry {k}(" if stage == "--ptx" else f" {k}"
            if want not in proc.stdout:
                print(f"FAIL {path}: emit {stage} lacks kernel {k}\n{proc.stdout[-2000:]}")
                return 1
    print(f"ok {path}: {len(kernels)} kernel(s) compiled to PTX and an sm_90 cubin")
    return 0


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    kestrel, path = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) == 4 else "--interp"
    if mode == "--cuda":
        return check_cuda(kestrel, path)
    checks = expectations(path)
    env = None
    if is_check_only(path):
        commands = [[kestrel, "check", path]]
    elif mode == "--jit":
        # A cache of its own (removed at exit): a miss, then a hit linked without LLVM.
        cache = tempfile.TemporaryDirectory(prefix="kestrel-jit-golden-")
        env = dict(os.environ, XDG_CACHE_HOME=cache.name)
        commands = [[kestrel, "run", mode, "--threads", n, path] for n in JIT_THREADS]
    elif mode == "--tiered":
        # Tiered with the switch forced at every call (KESTREL_TIER=eager: everything compiled
        # before the run, each call the interpreter makes runs natively), at 1 and 8 threads with
        # the full pipeline's code, then at 8 with the baseline tier's (what a hot function runs
        # until its full compile lands: KESTREL_JIT_PIPELINE=baseline makes every compile one).
        env = dict(os.environ, KESTREL_TIER="eager")
        commands = [[kestrel, "run", mode, "--threads", n, path] for n in JIT_THREADS]
        commands.append(["env", "KESTREL_JIT_PIPELINE=baseline"] + commands[-1])
    elif mode == "--crosscheck":
        # Every call run in both tiers and compared: no golden program may diverge.
        commands = [[kestrel, "run", mode, path]]
    elif mode == "--gpu-emulate":
        # A cache of its own (removed at exit), so the kernels are built afresh each time.
        cache = tempfile.TemporaryDirectory(prefix="kestrel-gpu-golden-")
        env = dict(os.environ, KESTREL_GPU_DEVICE="emulate", XDG_CACHE_HOME=cache.name)
        commands = [[kestrel, "run", "--jit", "--target", "gpu", path]]
    else:
        commands = [[kestrel, "run", mode, path]]
    for command in commands:
        failures, output = check_run(command, path, checks, env)
        if failures:
            print(f"FAIL {path} ({' '.join(command[1:-1])})")
            for f in failures:
                print("  " + f)
            print("--- kestrel output ---")
            print(output)
            return 1
        print(f"ok {path} ({len(checks)} diagnostics, {' '.join(command[1:-1])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

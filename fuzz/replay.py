#!/usr/bin/env python3
"""Replays every saved fuzzer finding (fuzz/regressions/) through the CLI, as run_fuzz judges it.

Each file is run with `kestrel run` in the interpreter, the JIT and tiered execution, by default
and eager (KESTREL_TIER=eager: everything compiled first, as run_fuzz runs it) (a time limit, no
object cache). A replay fails when a run crashes or exits other than 0 or 1, when a
diagnostic reports an internal error, or when the modes disagree on what the program printed
(stdout, byte for byte) or on its errors (stderr) while all finished within the limit. The saved
inputs are hostile bytes (NULs, control characters, invalid UTF-8), so nothing is decoded.

usage: replay.py KESTREL DIR
"""
import os
import re
import subprocess
import sys

MODES = ["--interp", "--jit", "--tiered", "--tiered eager"]
LIMIT_MS = 5000


def run(kestrel, path, mode):
    flag, _, policy = mode.partition(" ")
    env = dict(os.environ, KESTREL_TIER=policy) if policy else None
    proc = subprocess.run([kestrel, "run", flag, "--no-cache", "--time-limit", str(LIMIT_MS), path],
                          capture_output=True, timeout=120, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def internal_error(stderr):
    """Whether a diagnostic's message starts "internal error" (as run_fuzz's reports(): other
    text may quote the words)."""
    for line in stderr.split(b"\n"):
        m = re.match(rb"^[^ ]*:\d+:\d+: error: (.*)$", line) or re.match(rb"^error: (.*)$", line)
        if m and m.group(1).lower().startswith(b"internal error"):
            return True
    return False


def replay(kestrel, path):
    failures = []
    results = {}
    for mode in MODES:
        rc, out, err = run(kestrel, path, mode)
        results[mode] = (rc, out, err)
        if rc not in (0, 1):
            failures.append(f"{mode}: exited {rc}")
        if internal_error(err):
            failures.append(f"{mode}: an internal error: {err[:300]!r}")
    timed = b"clock(" in open(path, "rb").read()
    over = any(b"time limit" in r[2] for r in results.values())
    base = results[MODES[0]]
    for mode in MODES[1:]:
        r = results[mode]
        if over:
            continue
        if r[0] != base[0] or r[2] != base[2] or (not timed and r[1] != base[1]):
            failures.append(f"{MODES[0]} and {mode} disagree:\n  {MODES[0]}: rc {base[0]}, "
                            f"out {base[1][:200]!r}, err {base[2][:200]!r}\n  {mode}: rc {r[0]}, "
                            f"out {r[1][:200]!r}, err {r[2][:200]!r}")
    return failures


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    kestrel, directory = sys.argv[1], sys.argv[2]
    files = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                   if not f.startswith(".") and os.path.isfile(os.path.join(directory, f)))
    if not files:
        print(f"replay: no saved inputs under {directory}")
        return 1
    bad = 0
    for path in files:
        failures = replay(kestrel, path)
        if failures:
            bad += 1
            print(f"FAIL {path}")
            for f in failures:
                print("  " + f)
        else:
            print(f"ok {path}")
    print(f"replay: {len(files) - bad}/{len(files)} saved inputs agree in every mode")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

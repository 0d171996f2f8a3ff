#!/usr/bin/env python3
"""Runs one Kestrel program under `mpirun -np N` and checks what the ranks say.

usage: run_mpi.py KESTREL FILE N MODE [--twice] [--kill] [--ranks]

Expectations live in the program's comments (only rank 0 prints, so stdout is rank 0's):
  # OUT: text          a line of standard output, in order, for every N
  # NP2-OUT: text      the same for N = 2 only (when a file has NPn-OUT lines for this N, its
                       OUT lines are not used)
  # ERR: text          a line standard error must contain (every rank writes its own error,
  # NP2-ERR: text      "rank K: file:line:col: error: ..."; the order across ranks is free)
  # STATUS: fail       mpirun must exit nonzero (else it must exit 0)

--twice runs the program two times and requires the same standard output, byte for byte but
for lines that report a time (with "took" in them, which tests/llvm's comparisons drop too): the
collectives combine in rank order, so the same N gives the same bits. A file without OUT lines
is then checked only for that and its exit status. --kill sends SIGKILL to one
rank after the program has started and requires mpirun to end the job, nonzero, in bounded time.
--ranks starts the job as `kestrel run --ranks N` (which starts mpirun itself) instead.
Every run has a time limit: a hang is a failure. Exit 77 (skipped) when mpirun is absent.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

LIMIT_S = 90


def expectations(path, n):
    out, out_n, err, status = [], [], [], "ok"
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^\s*#\s*(NP(\d+)-)?(OUT|ERR):(?: (.*))?$", line)
            if m:
                if m.group(2) is not None and int(m.group(2)) != n:
                    continue
                text = m.group(4) or ""
                if m.group(3) == "ERR":
                    err.append(text)
                elif m.group(2) is not None:
                    out_n.append(text)
                else:
                    out.append(text)
            m = re.match(r"^\s*#\s*STATUS:\s*(\w+)", line)
            if m:
                status = m.group(1)
    return (out_n if out_n else out), err, status


def command(kestrel, path, n, mode):
    cmd = ["mpirun", "-np", str(n)]
    if n > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    return cmd + [kestrel, "run", "--" + mode, path]


def environment():
    env = dict(os.environ)
    if os.geteuid() == 0:
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    return env


def run(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=LIMIT_S, env=environment())
    except subprocess.TimeoutExpired:
        print(f"FAIL: no answer after {LIMIT_S} s (a rank hangs): {' '.join(cmd)}")
        sys.exit(1)
    return p


def kill_one(cmd):
    """Starts the job, SIGKILLs one rank (a child of mpirun), and times how long the job takes to end."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(),
                         start_new_session=True)
    victim = None
    deadline = time.time() + 30
    while victim is None and time.time() < deadline:
        time.sleep(0.5)
        kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
        if len(kids) >= 2:
            victim = int(kids[-1])
    if victim is None:
        os.killpg(p.pid, signal.SIGKILL)
        print("FAIL: the ranks did not start")
        sys.exit(1)
    time.sleep(1.0)
    os.kill(victim, signal.SIGKILL)
    start = time.time()
    try:
        p.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        print(f"FAIL: the job still runs {LIMIT_S} s after a rank was killed")
        sys.exit(1)
    if p.returncode == 0:
        print("FAIL: mpirun exited 0 after a rank was killed")
        sys.exit(1)
    print(f"ok: one rank killed, the job ended in {time.time() - start:.1f} s (exit {p.returncode})")
    sys.exit(0)


def timeless(text):
    """The output without the lines that report a time (they say "took", as the examples')."""
    return [l for l in text.splitlines() if "took" not in l]


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    kestrel, path, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    flags = sys.argv[5:]
    if shutil.which("mpirun") is None:
        print("SKIP: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)")
        return 77
    cmd = command(kestrel, path, n, mode)
    if "--ranks" in flags:
        cmd = [kestrel, "run", "--ranks", str(n), "--" + mode, path]
    if "--kill" in flags:
        kill_one(cmd)
    out, err, status = expectations(path, n)
    p = run(cmd)
    problems = []
    got = p.stdout.splitlines()
    if (out or "--twice" not in flags) and got != out:
        problems.append("stdout differs:\n  expected: %r\n  got:      %r" % (out, got))
    lines = p.stderr.splitlines()
    for e in err:
        if e not in lines:
            problems.append("stderr lacks the line: %r" % e)
    if status == "fail" and p.returncode == 0:
        problems.append("expected a nonzero exit, got 0")
    if status != "fail" and p.returncode != 0:
        problems.append(f"exit {p.returncode}")
    if "--twice" in flags and not problems:
        again = run(cmd)
        if timeless(again.stdout) != timeless(p.stdout):
            problems.append("a second run printed something else:\n%s\n---\n%s" % (p.stdout, again.stdout))
    if problems:
        print(" ".join(cmd))
        print("\n".join(problems))
        print("--- stderr:\n" + p.stderr)
        return 1
    print(f"ok: {' '.join(cmd)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

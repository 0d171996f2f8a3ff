#!/usr/bin/env python3
"""JIT compile time that grows with the source, not faster: a generated function of 40 array
statements (2-D slices, where, .T, reductions) and a literal of 100,000 numbers must compile and run
within the CTest TIMEOUT (the JIT once took about 184 s for the first and minutes for the second).
Their output is checked too: the function's against the interpreter's, the literal's (in both
modes: the interpreter once needed a register per element and refused it) against sums this
script computes exactly (every element is a multiple of 0.5 below 1000).

usage: compile_time.py KESTREL
"""
import os
import subprocess
import sys
import tempfile

STATEMENTS = 40
LITERAL = 100_000


def array_program(n):
    out = ["fn work(m: f64[:, :], v: f64[:]) -> f64 {", "    var acc = 0.0"]
    for k in range(n):
        a, b = k % 3, k % 3 + 2
        out.append(f"    let t{k} = where(m[{a}:{b}, :] > 0.{k % 9 + 1}, m[{a}:{b}, :] * {k + 1}.0 + 1.0,"
                   f" m.T[{a}:{b}, :] - v[0:4] * 0.5)")
        out.append(f"    acc += sum(t{k} * t{k}) + max(t{k}.T) - mean(exp(t{k} * 0.01))")
    out += ["    return acc", "}", "var m = zeros(4, 4)",
            "for i in 0..4 { for j in 0..4 { m[i, j] = (i * 4 + j) * 0.1 } }",
            "print(work(m, [1.0, 2.0, 3.0, 4.0]))"]
    return "\n".join(out) + "\n"


def literal_program(n):
    values = [(i * 7) % 1000 + 0.5 for i in range(n)]
    text = "let big = [" + ", ".join(repr(v) for v in values) + "]\n"
    text += "print(len(big), sum(big), big[0], big[12345], big[" + str(n - 1) + "])\n"
    expected = f"{n} {sum(values)!r} {values[0]!r} {values[12345]!r} {values[n - 1]!r}\n"
    return text, expected


def run(kestrel, text, *mode):
    with tempfile.NamedTemporaryFile("w", suffix=".kst", delete=False) as f:
        f.write(text)
    try:
        proc = subprocess.run([kestrel, "run", *mode, f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        sys.exit(f"kestrel run {' '.join(mode)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def main():
    kestrel = sys.argv[1]
    program = array_program(STATEMENTS)
    jit = run(kestrel, program, "--jit", "--no-cache")
    interp = run(kestrel, program, "--interp")
    if jit != interp:
        sys.exit(f"{STATEMENTS} array statements: the JIT printed {jit!r}, the interpreter {interp!r}")
    text, expected = literal_program(LITERAL)
    for mode in (("--jit", "--no-cache"), ("--interp",)):
        got = run(kestrel, text, *mode)
        if got != expected:
            sys.exit(f"a literal of {LITERAL} ({mode[0]}): printed {got!r}, expected {expected!r}")
    print(f"ok: {STATEMENTS} array statements and a literal of {LITERAL} numbers")


if __name__ == "__main__":
    main()

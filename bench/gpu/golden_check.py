#!/usr/bin/env python3
"""GPU check (scripts/gpu-check.sh): every golden program under tests/lang/, run on a target and
held to its own expectations and to a reference run's output.

Each program is run twice from ROOT (the bundle or the repository):
  target:    KESTREL run TARGET_ARGS FILE    (e.g. --target gpu)
  reference: KESTREL run REF_ARGS FILE       (e.g. --target cpu)
The target run must meet the file's OUT and CHECK lines exactly as tests/lang/run_golden.py
judges them (the same code: stdout equal to the OUT lines, diagnostics and their file:line:col
equal to the CHECK lines, exit status 0 or 1 as they imply). Programs that are expected errors
(tests/lang/errors/, runtime_errors/) are run too, so their error text is compared. And the
target's whole output (stdout, then stderr) must equal the reference's, byte for byte; a
difference is listed with a diff.

usage: golden_check.py KESTREL ROOT --out DIR [--target-args "..."] [--ref-args "..."]
                       [--jobs N] [--timeout S] [--filter REGEX]
Writes DIR/golden.md (the summary and every failure with its diff) and DIR/golden/*.txt (the
outputs of the programs that failed); prints "GOLDEN total=.. pass=.. fail=.." last.
Exit status 1 when any program failed, 0 otherwise.
"""
import argparse
import concurrent.futures
import difflib
import os
import re
import shlex
import subprocess
import sys


def load_runner(root):
    sys.path.insert(0, os.path.join(root, "tests", "lang"))
    import run_golden  # noqa: E402  (tests/lang/run_golden.py: the suite's own judge)

    return run_golden


def run(command, timeout):
    try:
        p = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return None, out, err + f"\n[timed out after {timeout} s]\n"


def judge(rg, path, rc, stdout, stderr):
    """run_golden's verdict on one finished run (its judge(), without running it again)."""
    if rc is None:
        return ["timed out"]
    return rg.judge(path, rg.expectations(path), rc, stdout, stderr)


def check_one(rg, a, path):
    t = run([a.kestrel, "run", *a.target, path], a.timeout)
    r = run([a.kestrel, "run", *a.ref, path], a.timeout)
    problems = [f"target: {f}" for f in judge(rg, path, *t)]
    ref_problems = judge(rg, path, *r)
    t_text, r_text = t[1] + t[2], r[1] + r[2]
    if t_text != r_text or t[0] != r[0]:
        diff = "\n".join(difflib.unified_diff(r_text.splitlines(), t_text.splitlines(),
                                              "reference", "target", lineterm=""))
        problems.append(f"target output differs from the reference's (exit {t[0]} vs {r[0]}):\n"
                        + diff)
    return path, problems, ref_problems, t_text, r_text


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kestrel")
    p.add_argument("root")
    p.add_argument("--out", required=True)
    p.add_argument("--target-args", default="--target gpu")
    p.add_argument("--ref-args", default="--target cpu")
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--filter", default="")
    a = p.parse_args()
    a.target = shlex.split(a.target_args)
    a.ref = shlex.split(a.ref_args)
    os.chdir(a.root)
    rg = load_runner(".")
    programs = sorted(os.path.join(d, f).removeprefix("./")
                      for d, _, fs in os.walk("tests/lang") for f in fs if f.endswith(".kst"))
    programs = [x for x in programs if re.search(a.filter, x)]
    os.makedirs(os.path.join(a.out, "golden"), exist_ok=True)

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for res in pool.map(lambda x: check_one(rg, a, x), programs):
            results.append(res)
            print(("ok   " if not res[1] else "FAIL ") + res[0], flush=True)

    failed = [r for r in results if r[1]]
    ref_failed = [r for r in results if r[2]]
    lines = [
        "## Correctness: golden programs",
        "",
        f"`kestrel run {' '.join(a.target)} FILE` for each of the {len(results)} programs under "
        f"tests/lang/, judged by tests/lang/run_golden.py's rules and compared with "
        f"`kestrel run {' '.join(a.ref)} FILE`.",
        "",
        f"- passed: **{len(results) - len(failed)} / {len(results)}**",
        f"- failed: **{len(failed)}**",
        f"- reference runs that miss their own expectations: {len(ref_failed)}"
        + (" (" + ", ".join(r[0] for r in ref_failed[:20]) + ")" if ref_failed else ""),
        "",
        "A math function DESIGN.md lists as differing on the GPU within a stated ulp still shows "
        "here as a failure: read its diff against that bound.",
        "",
    ]
    for path, problems, _, t_text, r_text in failed:
        safe = path.replace("/", "__")
        with open(os.path.join(a.out, "golden", safe + ".target.txt"), "w") as f:
            f.write(t_text)
        with open(os.path.join(a.out, "golden", safe + ".reference.txt"), "w") as f:
            f.write(r_text)
        lines += [f"### FAIL {path}", "", "```"] + [x for pr in problems for x in pr.splitlines()]
        lines += ["```", ""]
    with open(os.path.join(a.out, "golden.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"GOLDEN total={len(results)} pass={len(results) - len(failed)} fail={len(failed)} "
          f"ref_fail={len(ref_failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

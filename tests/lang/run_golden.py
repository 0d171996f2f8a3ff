#!/usr/bin/env python3
"""Runs one golden Kestrel program and compares what `kestrel` says with what the file expects.

Expectations live in the program's own comments:
  # CHECK: error: undefined name 'foo'     one per expected diagnostic, in order
  # CHECK-LOC: 3:9                          line:col of the diagnostic on the CHECK line before
A file with no CHECK lines must check clean (exit 0, no diagnostics).

usage: run_golden.py KESTREL FILE
"""
import re
import subprocess
import sys

DIAG = re.compile(r"^(?P<file>[^ ].*?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): (?P<msg>.*)$")


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


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    kestrel, path = sys.argv[1], sys.argv[2]
    checks = expectations(path)
    proc = subprocess.run([kestrel, "check", path], capture_output=True, text=True, timeout=60)
    output = proc.stdout + proc.stderr
    got = []
    for line in output.splitlines():
        m = DIAG.match(line)
        if m and m.group("file") == path:
            got.append({"sev": m.group("sev"), "msg": m.group("msg"),
                        "loc": (int(m.group("line")), int(m.group("col")))})
    failures = []
    if proc.returncode not in (0, 1):
        failures.append(f"kestrel check exited {proc.returncode} (expected 0 or 1)")
    want_rc = 1 if any(c["sev"] == "error" for c in checks) else 0
    if proc.returncode != want_rc:
        failures.append(f"exit status {proc.returncode}, expected {want_rc}")
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
    if failures:
        print(f"FAIL {path}")
        for f in failures:
            print("  " + f)
        print("--- kestrel output ---")
        print(output)
        return 1
    print(f"ok {path} ({len(checks)} diagnostics)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""npy_append's temporary file is removed at exit when no npy_finish completed it: after a
runtime error between the appends and the finish, and after a program that never finishes, in
every mode; a finished file stays (and its temporary is gone).

usage: npy_append_unfinished_test.py KESTREL
"""
import os
import subprocess
import sys
import tempfile

PROGRAMS = {
    "fails": ('npy_append("{out}", zeros(3))\n'
              'npy_append("{out}", ones(2))\n'
              'assert(false, "stop before npy_finish")\n'
              'npy_finish("{out}")\n', False),
    "never_finishes": ('npy_append("{out}", zeros(3))\nprint("done")\n', True),
    "finishes": ('npy_append("{out}", zeros(3))\nnpy_finish("{out}")\n'
                 'npy_append("{out}2", zeros(2, 2))\n'
                 'assert(false, "stop")\n', False),
}


def main():
    kestrel = sys.argv[1]
    failures = 0
    for mode in ("--interp", "--jit", "--tiered"):
        for name, (source, ok) in PROGRAMS.items():
            with tempfile.TemporaryDirectory(prefix="kestrel_npy_append_") as tmp:
                out = os.path.join(tmp, "out.npy")
                program = os.path.join(tmp, "p.kst")
                with open(program, "w") as f:
                    f.write(source.format(out=out))
                r = subprocess.run([kestrel, "run", mode, program], capture_output=True, text=True,
                                   timeout=120)
                left = sorted(f for f in os.listdir(tmp) if f != "p.kst")
                want = ["out.npy"] if name == "finishes" else []
                if (r.returncode == 0) != ok or left != want:
                    print("FAIL %s %s: exit %d, files %s (want %s)\n%s" % (
                        mode, name, r.returncode, left, want, r.stderr))
                    failures += 1
                else:
                    print("ok %s %s: files %s" % (mode, name, left))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

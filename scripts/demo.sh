#!/usr/bin/env bash
# The demo: run every example program in the default mode (tiered: the interpreter at once, hot
# code moving to native code; each prints its result and its own time), then time the standard
# library's workloads in the interpreter and the JIT side by side in one table (`kestrel bench
# --suite bench/demo.suite`: interpreter ms, JIT ms, the JIT's compile ms, speed-up, and whether
# both modes gave the same answer, whether the JIT's code was a cache hit and the break-even; the
# same as a bar chart in demo-bench.svg beside the kestrel binary), then every example and
# workload as a whole process in the three modes (bench/tiered/modes.py: wall time to exit, cold
# compile, tiered against the faster of the other two), then type-check the standard library.
set -euo pipefail
kestrel=${1:-build/kestrel}
cd "$(dirname "$0")/.."
status=0
for file in examples/*.kst; do
  printf '\n=== kestrel run %s ===\n' "$file"
  "$kestrel" run "$file" || status=1
done
printf '\n=== kestrel bench --suite bench/demo.suite (interpreter vs JIT, %s cores) ===\n' "$(nproc)"
# The baselines (bench/suite/baseline.py) need numpy: the python3 that has it.
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import numpy' 2>/dev/null; then export KESTREL_PYTHON="$py"; break; fi
done
"$kestrel" bench --suite bench/demo.suite --svg "$(dirname "$kestrel")/demo-bench.svg" || status=1
printf '\n=== whole runs: interpreter, JIT and tiered (the default), cold compile, %s cores ===\n' "$(nproc)"
python3 bench/tiered/modes.py --kestrel "$kestrel" --report || status=1
printf '\n=== kestrel check stdlib/*.kst ===\n'
for file in stdlib/*.kst; do
  if "$kestrel" check "$file"; then echo "$file: ok"; else status=1; fi
done
exit $status

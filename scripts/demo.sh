#!/usr/bin/env bash
# The demo: run every example program in the interpreter, with the time of each phase, then
# type-check the standard library and show one module in canonical form (`kestrel fmt`).
# (Timing the JIT against the interpreter arrives with the JIT.)
set -euo pipefail
kestrel=${1:-build/kestrel}
cd "$(dirname "$0")/.."
status=0
for file in examples/*.kst; do
  printf '\n=== kestrel run --time %s ===\n' "$file"
  "$kestrel" run --interp --time "$file" || status=1
done
printf '\n=== kestrel check stdlib/*.kst ===\n'
for file in stdlib/*.kst; do
  if "$kestrel" check "$file"; then echo "$file: ok"; else status=1; fi
done
printf '\n=== kestrel fmt stdlib/montecarlo.kst ===\n'
"$kestrel" fmt stdlib/montecarlo.kst || status=1
exit $status

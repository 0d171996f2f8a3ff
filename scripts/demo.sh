#!/usr/bin/env bash
# The demo: run every example program with the JIT (the time of each phase), time the classic
# workloads in the interpreter and the JIT side by side (`kestrel bench`: compile ms, median run
# ms, speed-up, and whether both modes gave the same answer), then type-check the standard
# library and show one module in canonical form (`kestrel fmt`).
set -euo pipefail
kestrel=${1:-build/kestrel}
cd "$(dirname "$0")/.."
status=0
for file in examples/*.kst; do
  printf '\n=== kestrel run --time %s ===\n' "$file"
  "$kestrel" run --time "$file" || status=1
done
bench() {
  printf '\n=== kestrel bench %s ===\n' "$*"
  "$kestrel" bench "$@" || status=1
}
bench examples/fib.kst --repeat 3
bench stdlib/montecarlo.kst --fn pi 10000000 42 --repeat 3
bench stdlib/fibonacci.kst --fn fib 1000000 --repeat 5
printf '\n=== kestrel check stdlib/*.kst ===\n'
for file in stdlib/*.kst; do
  if "$kestrel" check "$file"; then echo "$file: ok"; else status=1; fi
done
printf '\n=== kestrel fmt stdlib/montecarlo.kst ===\n'
"$kestrel" fmt stdlib/montecarlo.kst || status=1
exit $status

#!/usr/bin/env bash
# The demo: type-check every example and standard-library program and print it in canonical
# form. (Running them, and timing the JIT against the interpreter, arrives with the backends.)
set -euo pipefail
kestrel=${1:-build/kestrel}
cd "$(dirname "$0")/.."
status=0
for file in examples/*.kst stdlib/*.kst; do
  printf '\n=== %s ===\n' "$file"
  if "$kestrel" check "$file"; then
    echo "# check: ok"
    "$kestrel" fmt "$file"
  else
    status=1
  fi
done
exit $status

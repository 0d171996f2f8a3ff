#!/usr/bin/env bash
# Fills the fuzzing corpus (default build-fuzz/corpus, ignored by git) with every .kst program
# of the source tree and every saved regression, so libFuzzer starts from valid Kestrel.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$root/build-fuzz/corpus}
mkdir -p "$corpus"
n=0
while IFS= read -r -d '' f; do
  cp "$f" "$corpus/seed-$(printf '%s' "${f#$root/}" | tr '/' '_')"
  n=$((n + 1))
done < <(find "$root/tests" "$root/stdlib" "$root/examples" "$root/fuzz/regressions" \
           -type f \( -name '*.kst' -o -path '*/fuzz/regressions/*' \) -print0 2>/dev/null)
echo "seed_corpus: $n seeds in $corpus"

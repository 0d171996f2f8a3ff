#!/bin/sh
# Rewrites tests/cuda/golden/*.cu from `kestrel emit --cuda` (after an intended change to the CUDA
# backend's output; review the diff before committing). Usage: scripts/update-cuda-goldens.sh [KESTREL]
set -eu
cd "$(dirname "$0")/.."
kestrel=${1:-build/kestrel}
for spec in montecarlo:stdlib/montecarlo.kst design_vadd:tests/lang/kernels/design_vadd.kst \
    parallel_division_by_zero:tests/lang/runtime_errors/parallel_division_by_zero.kst; do
  "$kestrel" emit --cuda "${spec#*:}" > "tests/cuda/golden/${spec%%:*}.cu"
done
git diff --stat -- tests/cuda/golden

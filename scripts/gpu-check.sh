#!/usr/bin/env bash
# The GPU check (issue 15): one command, on a machine with an NVIDIA GPU, the CUDA toolkit and
# Python, that checks Kestrel's GPU path and measures it against baselines in the same run.
#
#   scripts/gpu-check.sh [--bundle DIR|TARBALL] [--out DIR] [--quick]
#                        [--target gpu|cpu|jit|interp|none] [--ref cpu|jit|interp|none]
#                        [--no-golden] [--no-bench] [--vadd-sizes "1e8 1e9"] [--pi-n 1e10]
#                        [--jobs N] [--budget SECONDS]
#
# Where kestrel comes from: --bundle (a directory, or the tarball `make gpu-bundle` writes, which
# is unpacked to a temporary directory); else the bundle this script sits in; else
# build/kestrel-gpu-bundle.tar.xz beside it (a carried working tree); else the repository's own
# build/kestrel. The report (report.md) and the raw logs (logs/) go under --out (default
# ./gpu-check-out). Steps:
#   environment   nvidia-smi, nvcc --version, the device (bench/gpu/baseline info), glibc
#   golden        every program under tests/lang/ run with --target gpu, held to its expected output
#                 and error text, and compared with --target cpu's output (bench/gpu/golden_check.py)
#   vadd          f32 over 10^8 and 10^9: Kestrel's kernel (bench/gpu/vadd.kst) vs cuMemcpyDtoD's
#                 bandwidth and an NVRTC-compiled CUDA C++ kernel (bench/gpu/baseline.cpp)
#   pi            montecarlo.pi over 10^10 samples (bench/gpu/pi.kst) vs a CUDA C++ kernel on the
#                 same Philox mapping and vs numba.cuda (bench/gpu/pi_numba.py)
#   compile       `kestrel run --time` of montecarlo.pi with a cold cache, then a warm one
#   ulp           log, sin, cos, tanh, pow, randn (bench/gpu/math_ulp.kst) on the target and on
#                 the reference: the worst difference in units in the last place
#                 (bench/gpu/ulp.py, into logs/ulp.log and the report)
# Every step runs under `timeout`; a failing step is reported and the script goes on; steps
# left when --budget (default 450 s) is spent are skipped and say so. --quick: vadd 10^8 only,
# pi over 10^9, 5 repetitions (a couple of minutes). Exit status 1 when a golden program failed
# (or the golden step could not run), else 0: the benchmarks' figures are reported, not gated.
#
# KESTREL_GPU_CHECK_TARGET sets --target's default (gpu); --target cpu runs the same correctness
# logic on a machine without a GPU (`none` passes no flag; a CLI without --target runs `cpu` with
# no flag, and says so). --ref defaults to cpu for a gpu target, else to interp.
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle_arg="" out="./gpu-check-out" quick=0 do_golden=1 do_bench=1
target=${KESTREL_GPU_CHECK_TARGET-gpu} ref="" jobs="" budget=450
vadd_sizes="" pi_n="" reps=7
usage() { sed -n '4,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,3\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle_arg=$2; shift ;;
    --out) out=$2; shift ;;
    --quick) quick=1 ;;
    --target) target=$2; shift ;;
    --ref) ref=$2; shift ;;
    --no-golden) do_golden=0 ;;
    --no-bench) do_bench=0 ;;
    --vadd-sizes) vadd_sizes=$2; shift ;;
    --pi-n) pi_n=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --budget) budget=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  reps=5
  : "${vadd_sizes:=1e8}" "${pi_n:=1e9}"
fi
: "${vadd_sizes:=1e8 1e9}" "${pi_n:=1e10}"
start_s=$SECONDS

mkdir -p "$out/logs" || exit 2
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$out/steps.tsv"
say() { echo "[gpu-check $((SECONDS - start_s))s] $*"; }

# --- where kestrel comes from ---------------------------------------------------------------
unpack() {
  say "unpacking $1" >&2
  tar -C "$work" -xJf "$1" || { echo "gpu-check: cannot unpack $1" >&2; exit 2; }
  echo "$work/kestrel-gpu"
}
if [ -n "$bundle_arg" ]; then
  if [ -f "$bundle_arg" ]; then
    bundle=$(unpack "$bundle_arg") || exit 2
  else
    bundle=$(cd "$bundle_arg" && pwd) || exit 2
  fi
elif [ -x "$script_dir/../bin/kestrel" ]; then
  bundle=$(cd "$script_dir/.." && pwd)
elif [ -f "$script_dir/../build/kestrel-gpu-bundle.tar.xz" ]; then
  bundle=$(unpack "$script_dir/../build/kestrel-gpu-bundle.tar.xz") || exit 2
else
  bundle=""
fi
if [ -n "$bundle" ]; then
  root=$bundle
  kestrel=$bundle/kestrel
  # The bundle's own loader only when the machine's glibc cannot start bin/kestrel.
  export KESTREL_BUNDLE_LOADER=0
  if ! "$bundle/bin/kestrel" --version >"$work/probe.txt" 2>&1; then
    export KESTREL_BUNDLE_LOADER=1
  fi
  export KESTREL_STDLIB=$bundle/stdlib
else
  root=$(cd "$script_dir/.." && pwd)
  kestrel=$root/build/kestrel
  [ -x "$kestrel" ] || { echo "gpu-check: no bundle and no $kestrel (make gpu-bundle)" >&2; exit 2; }
fi
export KESTREL_ROOT=$root
export kestrel bundle root

# --- CUDA: nvcc on PATH, else /usr/local/cuda; its lib64 for NVRTC -------------------------------
if command -v nvcc >/dev/null 2>&1; then
  cuda=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
else
  cuda=/usr/local/cuda
fi
export LD_LIBRARY_PATH="$cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$PATH:$cuda/bin"
[ -n "$jobs" ] || jobs=$(($(nproc) < 8 ? $(nproc) : 8))

flag_of() {
  case "$1" in
    gpu | cpu) echo "--target $1" ;;
    jit | interp) echo "--$1" ;;
    none | "") echo "" ;;
    *) echo "gpu-check: unknown target $1" >&2; exit 2 ;;
  esac
}
# The reference: the CPU for a GPU target, else the interpreter (so that a CPU run is not
# compared with itself).
if [ -z "$ref" ]; then
  ref=cpu
  [ "$target" = gpu ] || ref=interp
fi
target_args=$(flag_of "$target") || exit 2
ref_args=$(flag_of "$ref") || exit 2
export cuda target_args ref_args
hello=$root/tests/lang/basics/hello.kst
# A CLI without --target runs on the CPU with no flag: `cpu` falls back to that (said), `gpu` never.
# shellcheck disable=SC2086
if [ -n "$ref_args" ] && ! "$kestrel" run $ref_args "$hello" >"$work/ref-probe.txt" 2>&1; then
  say "the CLI does not take '$ref_args' ($(head -1 "$work/ref-probe.txt")): the reference runs with no flag"
  ref_args=""
fi
# shellcheck disable=SC2086
if [ "$target" = cpu ] && ! "$kestrel" run $target_args "$hello" >"$work/target-probe.txt" 2>&1; then
  say "the CLI does not take '$target_args' ($(head -1 "$work/target-probe.txt")): the target runs with no flag"
  target_args=""
fi

# step NAME SECONDS COMMAND...: runs COMMAND under timeout into logs/NAME.log, records the outcome
# in steps.tsv and never stops the script.
step() {
  local name=$1 secs=$2 t0=$SECONDS rc
  shift 2
  local left=$((budget - (SECONDS - start_s)))
  if [ "$left" -le 5 ]; then
    say "$name: SKIPPED (the ${budget} s budget is spent)"
    printf '%s\tskipped\t0\n' "$name" >>"$out/steps.tsv"
    return 99
  fi
  [ "$secs" -gt "$left" ] && secs=$left
  say "$name ..."
  if declare -F "$1" >/dev/null; then  # a function of this script: run in a bash of its own
    timeout -k 10 "$secs" bash -c "$(declare -f "$1"); $*" >"$out/logs/$name.log" 2>&1
  else
    timeout -k 10 "$secs" "$@" >"$out/logs/$name.log" 2>&1
  fi
  rc=$?
  local verdict=ok
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    verdict="timed out after ${secs} s"
  elif [ "$rc" != 0 ] && grep -q '^SKIP ' "$out/logs/$name.log"; then
    verdict="skipped: $(grep -m1 '^SKIP ' "$out/logs/$name.log" | cut -c6-)"
  elif [ "$rc" != 0 ]; then
    verdict="failed (exit $rc)"
  fi
  say "$name: $verdict ($((SECONDS - t0)) s)"
  [ "$rc" = 0 ] || tail -5 "$out/logs/$name.log" | sed 's/^/    /'
  printf '%s\t%s\t%s\n' "$name" "$verdict" "$((SECONDS - t0))" >>"$out/steps.tsv"
  return "$rc"
}

# --- environment ----------------------------------------------------------------------------
env_info() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "glibc: $(getconf GNU_LIBC_VERSION 2>/dev/null)"
  echo "kestrel: $kestrel ($("$kestrel" --version 2>&1 | head -1)); bundle loader: ${KESTREL_BUNDLE_LOADER:-n/a}"
  [ -n "$bundle" ] && sed 's/^/bundle /' "$bundle/MANIFEST"
  echo "cuda: $cuda"
  echo "target: '$target_args'  reference: '$ref_args'"
  echo "python: $(python3 --version 2>&1)"
  python3 -c 'import numba; print("numba", numba.__version__)' 2>&1 | tail -1
  python3 -c 'import cupy; print("cupy", cupy.__version__)' 2>&1 | tail -1
  echo "--- nvcc --version"
  timeout 20 nvcc --version 2>&1
  echo "--- nvidia-smi"
  timeout 30 nvidia-smi 2>&1
  timeout 30 nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem \
    --format=csv 2>&1
  return 0
}
step environment 90 env_info

cxx=$(command -v g++ || command -v c++ || command -v nvcc)
# shellcheck disable=SC2054
rpath=(-Wl,-rpath,"$cuda/lib64")
[ "$(basename "$cxx")" = nvcc ] && rpath=(-x cu -Xlinker -rpath -Xlinker "$cuda/lib64")
baseline=$work/baseline
step baseline-build 180 "$cxx" -O2 -std=c++20 -I"$cuda/include" -I"$root" "${rpath[@]}" \
  "$root/bench/gpu/baseline.cpp" -L"$cuda/lib64" -L"$cuda/lib64/stubs" -lnvrtc -lcuda \
  -o "$baseline"
step device 60 "$baseline" info

# --- correctness ----------------------------------------------------------------------------
golden_rc=0
if [ "$do_golden" = 1 ]; then
  step golden 300 python3 "$root/bench/gpu/golden_check.py" "$kestrel" "$root" --out "$out" \
    --target-args="$target_args" --ref-args="$ref_args" --jobs "$jobs" --timeout 120
  golden_rc=$?
  tail -1 "$out/logs/golden.log"
fi

# --- benchmarks -----------------------------------------------------------------------------
int_of() { printf '%.0f' "$1"; }
# kst_with FILE NAME=VALUE...: a copy of FILE with its `let NAME = ...` lines set.
kst_with() {
  local file=$1 dest
  shift
  dest=$work/$(basename "$file" .kst)-$RANDOM.kst
  cp "$file" "$dest"
  for kv in "$@"; do
    sed -i "s/^let ${kv%%=*} = .*/let ${kv%%=*} = ${kv#*=}/" "$dest"
  done
  echo "$dest"
}
# shellcheck disable=SC2086
if [ "$do_bench" = 1 ]; then
  for size in $vadd_sizes; do
    n=$(int_of "$size")
    step "vadd-copy-$n" 90 "$baseline" copy "$n" "$reps"
    step "vadd-cuda-$n" 120 "$baseline" vadd "$n" "$reps"
    step "vadd-kestrel-$n" 240 "$kestrel" run $target_args \
      "$(kst_with "$root/bench/gpu/vadd.kst" n="$n" reps="$reps")"
  done
  n=$(int_of "$pi_n")
  step "pi-cuda-$n" 120 "$baseline" pi "$n" 42 "$reps"
  step "pi-kestrel-$n" 240 "$kestrel" run $target_args \
    "$(kst_with "$root/bench/gpu/pi.kst" n="$n" seed=42 reps="$reps")"
  step "pi-numba-$n" 180 python3 "$root/bench/gpu/pi_numba.py" "$n" 42 "$reps"
  mkdir -p "$work/cache"
  step compile-miss 120 env XDG_CACHE_HOME="$work/cache" \
    "$kestrel" run --time $target_args "$root/bench/gpu/pi_compile.kst"
  step compile-hit 120 env XDG_CACHE_HOME="$work/cache" \
    "$kestrel" run --time $target_args "$root/bench/gpu/pi_compile.kst"
fi

# --- math functions: the worst ulp between the target and the reference ---------------------
if [ "$do_bench" = 1 ]; then
  mkdir -p "$work/ulp-target" "$work/ulp-ref"
  # shellcheck disable=SC2086
  step ulp-target 120 bash -c "cd '$work/ulp-target' && '$kestrel' run $target_args '$root/bench/gpu/math_ulp.kst'"
  # shellcheck disable=SC2086
  step ulp-ref 120 bash -c "cd '$work/ulp-ref' && '$kestrel' run $ref_args '$root/bench/gpu/math_ulp.kst'"
  step ulp 60 python3 "$root/bench/gpu/ulp.py" "$work/ulp-ref" "$work/ulp-target"
fi

# --- the report -----------------------------------------------------------------------------
python3 "$root/bench/gpu/summarize.py" "$out" --vadd-sizes="$vadd_sizes" --pi-n="$pi_n" \
  --target="$target_args" --ref="$ref_args" --elapsed=$((SECONDS - start_s)) ||
  echo "gpu-check: the summary failed; the raw logs are in $out/logs" >&2
say "report: $out/report.md"
if [ "$do_golden" = 1 ] && [ "$golden_rc" != 0 ]; then
  say "FAIL: golden programs (see $out/golden.md)"
  exit 1
fi
exit 0

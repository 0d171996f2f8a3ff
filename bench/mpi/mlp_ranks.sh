#!/usr/bin/env bash
# Data-parallel MLP throughput at 1 and 2 ranks (issue 18: the aim is 1.7x on 2 cores), same
# run, same machine: bench/mpi/mlp_ranks.kst as one plain process (`kestrel run`: no mpirun,
# which would bind a single rank to one core), also at --threads 1, and under `kestrel run
# --ranks 2` (each rank bound to a core, one thread each), spinning while it waits (Open MPI's
# default) and yielding (mpi_yield_when_idle=1); all --jit (compiled before the run). REPEAT runs
# each, the median reported, with how many distinct weight checksums the runs printed (1: the
# same bits every run). Prints the load average: on a shared machine the ratio moves with it.
# usage: bench/mpi/mlp_ranks.sh [build/kestrel] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/../.."
kestrel=${1:-build/kestrel}
repeat=${2:-3}
if ! command -v mpirun >/dev/null; then
  echo "mlp_ranks: mpirun not found (apt-get install openmpi-bin)" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() {  # label, then kestrel run's options
  local label=$1
  shift
  local rates=()
  local sums=""
  for _ in $(seq "$repeat"); do
    out=$("$kestrel" run --jit "$@" bench/mpi/mlp_ranks.kst)
    rates+=("$(echo "$out" | awk '/rows\/s/ {print $3}')")
    sums+="$(echo "$out" | grep checksum)"$'\n'
  done
  local med
  med=$(printf '%s\n' "${rates[@]}" | median)
  local distinct
  distinct=$(printf '%s' "$sums" | sort -u | grep -c checksum)
  printf '%-28s median %10s rows/s  (runs: %s; distinct checksums: %s)\n' "$label" "$med" \
    "${rates[*]}" "$distinct" >&2
  echo "$med"
}
echo "cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
r1=$(run "1 process (every core)")
r1t=$(run "1 process --threads 1" --threads 1)
r2=$(run "2 ranks (1 thread each)" --ranks 2)
# Open MPI spins while a rank waits; on a loaded machine yielding the core instead can help.
r2y=$(OMPI_MCA_mpi_yield_when_idle=1 run "2 ranks, yield when idle" --ranks 2)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
awk -v a="$r2" -v b="$r1" -v c="$r1t" -v y="$r2y" 'BEGIN {
  printf "2 ranks / 1 process: %.2fx   2 ranks / 1 process at 1 thread: %.2fx\n", a / b, a / c
  printf "2 ranks yielding / 1 process: %.2fx\n", y / b }'

#!/usr/bin/env bash
# A long run_fuzz campaign that counts its executions: runs libFuzzer in-process (no fork mode,
# whose jobs each replay their share of the corpus before fuzzing), restarts it after a crash
# (the input is saved under ARTIFACTS) until SECONDS of fuzzing are spent, and appends one line
# per libFuzzer process to LOG: the date, the executions (stat::number_of_executed_units), the
# seconds and the exit status. `fuzz/campaign.sh --total LOG` sums a log.
#
#   fuzz/campaign.sh BINARY CORPUS SECONDS LOG [ARTIFACTS]
#
# Environment: KESTREL_FUZZ_TIME_MS (default here 50) and KESTREL_FUZZ_JIT_EVERY (default here
# 20) as run_fuzz.cpp says; EXTRA_FLAGS adds libFuzzer flags; FUZZ_TIMEOUT (default 30) is
# libFuzzer's -timeout in seconds per input (wall: a campaign at nice 19 on a busy machine needs
# more, or a JIT compile it is starved of reads as a hang; run the saved timeout-* input alone).
set -u
if [[ "${1:-}" == "--total" ]]; then
  awk '{n += $2; s += $3} END {printf "%d executions in %d processes, %d s\n", n, NR, s}' "$2"
  exit 0
fi
if [[ $# -lt 4 ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
binary=$1 corpus=$2 total=$3 log=$4 artifacts=${5:-fuzz-artifacts}
dict="$(cd "$(dirname "$0")" && pwd)/kestrel.dict"
mkdir -p "$artifacts" "$corpus"
export KESTREL_FUZZ_TIME_MS=${KESTREL_FUZZ_TIME_MS:-50}
export KESTREL_FUZZ_JIT_EVERY=${KESTREL_FUZZ_JIT_EVERY:-20}
start=$(date +%s)
while :; do
  left=$((total - ($(date +%s) - start)))
  if ((left < 30)); then
    break
  fi
  began=$(date +%s)
  "$binary" -max_total_time="$left" -timeout="${FUZZ_TIMEOUT:-30}" -rss_limit_mb=4096 -max_len=4096 \
    -dict="$dict" -print_final_stats=1 -artifact_prefix="$artifacts/" ${EXTRA_FLAGS:-} \
    "$corpus" >"$log.current" 2>&1  # progress: tail -f LOG.current
  rc=$?
  out=$(tail -n 400 "$log.current")
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' <<<"$out" | grep -o '[0-9]*$' | tail -1)
  if [[ -z "$runs" ]]; then  # a crash: no final stats; the last status line has the count
    runs=$(grep -o '^#[0-9]*' <<<"$out" | tail -1 | tr -d '#')
    grep -E 'ERROR|run_fuzz:|SUMMARY|artifact' <<<"$out" | head -20 >&2
  fi
  echo "$(date -u +%FT%TZ) ${runs:-0} $(($(date +%s) - began)) rc=$rc" >>"$log"
done
"$0" --total "$log"

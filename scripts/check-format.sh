#!/usr/bin/env bash
# Fails, listing the files, when a tracked C++ source is not clang-format clean (.clang-format at
# the top). `make format` fixes them. Run by CTest (test `format`), so CI fails on such a file.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' '*.inc')
if [ "${#files[@]}" -eq 0 ]; then
  echo "check-format: no tracked C++ sources found (not a git checkout?)" >&2
  exit 1
fi
bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ "${#bad[@]}" -ne 0 ]; then
  printf 'not clang-format clean (run `make format`):\n' >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files clean"

#!/usr/bin/env bash
# Builds the self-contained GPU check bundle (`make gpu-bundle`): the release `kestrel` binary with
# every non-glibc shared library it needs and an $ORIGIN run path, plus what scripts/gpu-check.sh
# runs (stdlib/, tests/lang/, examples/, bench/gpu/, runtime/rules/, runtime/gpu/), into
#   $BUILD/gpu-bundle/kestrel-gpu/          and   $BUILD/kestrel-gpu-bundle.tar.xz
# so that a machine with an NVIDIA GPU and the CUDA toolkit but no LLVM, Boost, TBB or Eigen runs
#   tar xf kestrel-gpu-bundle.tar.xz && kestrel-gpu/scripts/gpu-check.sh
# The tarball must stay under 60 MiB (the carrier takes 64): the script fails when it is larger.
#
# glibc is not loaded from the bundle: bin/kestrel uses the machine's own. Its libc, libm and
# loader are carried in lib/sys/ all the same, so that the `kestrel` wrapper at the bundle's top
# can start the binary through the bundled loader on a machine whose glibc is older than the one
# it was linked against (MANIFEST says which version it needs).
#
# usage: scripts/gpu-bundle.sh [BUILD_DIR]      (default: build, the release preset's)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
max_mib=${KESTREL_BUNDLE_MAX_MIB:-60}

need_patchelf() {
  command -v patchelf >/dev/null 2>&1 && return 0
  # Installed the way scripts/install-deps.sh installs the rest: Debian's package, sudo when not root.
  echo "gpu-bundle: installing patchelf"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "gpu-bundle: need root or sudo to install patchelf" >&2
      exit 1
    }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends patchelf >/dev/null 2>&1 ||
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends patchelf; }
}
need_patchelf

echo "gpu-bundle: building the release kestrel in $build"
if [ "$build" = build ]; then
  cmake --preset release >/dev/null
elif [ ! -f "$build/CMakeCache.txt" ]; then
  echo "gpu-bundle: $build is not a configured build directory (the release preset's is build)" >&2
  exit 1
fi
cmake --build "$build" -j "${JOBS:-2}" --target kestrel

out="$build/gpu-bundle/kestrel-gpu"
tarball="$build/kestrel-gpu-bundle.tar.xz"
rm -rf "$out" "$tarball"
mkdir -p "$out/bin" "$out/lib/sys"
cp "$build/kestrel" "$out/bin/kestrel"
strip --strip-unneeded "$out/bin/kestrel"
# The JIT module (built with the kestrel target), which bin/kestrel loads from ../lib.
cp "$build/libkestrel_jit.so" "$out/lib/libkestrel_jit.so"

# glibc's own libraries: never bundled into lib/ (the machine's glibc must match its loader).
is_glibc() {
  case "$1" in
    ld-linux*.so* | libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | \
      libutil.so.* | libresolv.so.* | libmvec.so.*) return 0 ;;
  esac
  return 1
}

# ldd on the binary and the JIT module lists the whole closure (the libraries' own dependencies too).
libs=(libkestrel_jit.so)
while read -r name path; do
  [ -n "$path" ] && [ -e "$path" ] || continue
  if is_glibc "$name"; then
    cp -L "$path" "$out/lib/sys/$name"
  else
    cp -L "$path" "$out/lib/$name"
    libs+=("$name")
  fi
done < <(ldd "$build/kestrel" "$build/libkestrel_jit.so" | awk '/=>/ && $3 ~ /^\// {print $1, $3} $1 ~ /^\/.*ld-linux/ {n=$1; sub(".*/", "", n); print n, $1}' | sort -u)
# The loader fallback also needs the glibc pieces the CUDA driver and NVRTC link against.
for extra in libpthread.so.0 libdl.so.2 librt.so.1; do
  p=$(ldconfig -p | awk -v n="$extra" '$1 == n && /x86-64/ {print $NF; exit}')
  [ -n "$p" ] && cp -L "$p" "$out/lib/sys/$extra"
done
chmod u+w "$out"/lib/*.so* "$out"/lib/sys/*
for name in "${libs[@]}"; do
  strip --strip-unneeded "$out/lib/$name" 2>/dev/null || true
  patchelf --set-rpath '$ORIGIN' "$out/lib/$name"
done
patchelf --set-rpath '$ORIGIN/../lib' "$out/bin/kestrel"

# The programs and the files they read, and the check itself.
mkdir -p "$out/tests" "$out/bench" "$out/runtime" "$out/scripts"
cp -r stdlib examples "$out/"
cp -r tests/lang "$out/tests/lang"
rm -f "$out/tests/lang/CMakeLists.txt"
cp -r bench/gpu "$out/bench/gpu"
cp -r runtime/rules runtime/gpu "$out/runtime/"
cp scripts/gpu-check.sh "$out/scripts/"
find "$out" -name '__pycache__' -prune -exec rm -rf {} +

glibc_needed=$(objdump -T "$out/bin/kestrel" "$out"/lib/*.so* 2>/dev/null |
  grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -1)
cat >"$out/kestrel" <<'EOF'
#!/usr/bin/env bash
# The bundle's kestrel: its standard library, and its own loader when the machine's glibc is too
# old for bin/kestrel (see MANIFEST). KESTREL_BUNDLE_LOADER=1 forces the bundled loader, 0 the
# machine's; unset, a `bin/kestrel --version` decides.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export KESTREL_STDLIB=${KESTREL_STDLIB:-$here/stdlib}
loader=${KESTREL_BUNDLE_LOADER:-}
if [ -z "$loader" ]; then
  loader=1
  "$here/bin/kestrel" --version >/dev/null 2>&1 && loader=0
fi
if [ "$loader" != 1 ]; then
  exec "$here/bin/kestrel" "$@"
fi
exec "$here/lib/sys/ld-linux-x86-64.so.2" --library-path "$here/lib/sys:$here/lib" \
  "$here/bin/kestrel" "$@"
EOF
chmod +x "$out/kestrel"
{
  echo "kestrel GPU check bundle"
  echo "version: $("$out/bin/kestrel" --version)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "glibc needed by bin/kestrel: ${glibc_needed#GLIBC_} (this machine: $(getconf GNU_LIBC_VERSION))"
  echo "bundled libraries (lib/): ${libs[*]}"
  echo "glibc fallback (lib/sys/): $(cd "$out/lib/sys" && echo *)"
} >"$out/MANIFEST"

echo "gpu-bundle: packing $tarball"
tar -C "$build/gpu-bundle" -cf - kestrel-gpu | xz -T"${JOBS:-2}" -9 >"$tarball"
bytes=$(stat -c %s "$tarball")
mib=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}')
echo "gpu-bundle: $tarball is $mib MiB ($bytes bytes; unpacked $(du -sh "$out" | cut -f1))"
if [ "$bytes" -gt $((max_mib * 1048576)) ]; then
  echo "gpu-bundle: FAIL: over the $max_mib MiB limit" >&2
  exit 1
fi

# Self-test: the tarball unpacked elsewhere, with LD_LIBRARY_PATH unset, loads nothing but glibc
# from outside the bundle, and runs a golden program (a kernel launch) to its expected output,
# with the machine's loader and with the bundled one.
check_dir=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-gpu-bundle-check.XXXXXX")
trap 'rm -rf "$check_dir"' EXIT
tar -C "$check_dir" -xJf "$tarball"
b=$check_dir/kestrel-gpu
outside=$(env -u LD_LIBRARY_PATH ldd "$b/bin/kestrel" "$b/lib/libkestrel_jit.so" | awk '/=>/ {print $1, $3}' |
  while read -r name path; do
    case "$path" in "$b"/*) ;; *) is_glibc "$name" || echo "$name => $path" ;; esac
  done)
if [ -n "$outside" ]; then
  echo "gpu-bundle: FAIL: the unpacked kestrel loads from outside the bundle:" >&2
  echo "$outside" >&2
  exit 1
fi
golden=tests/lang/kernels/design_vadd.kst
want=$(sed -n 's/^# OUT: \{0,1\}//p' "$b/$golden")
for loader in 0 1; do
  got=$(cd "$b" && env -u LD_LIBRARY_PATH KESTREL_BUNDLE_LOADER=$loader ./kestrel run "$golden" 2>&1)
  if [ "$got" != "$want" ]; then
    echo "gpu-bundle: FAIL: $golden from the unpacked bundle (loader $loader) printed:" >&2
    echo "$got" >&2
    exit 1
  fi
done
echo "gpu-bundle: unpacked copy checked: $(env -u LD_LIBRARY_PATH "$b/kestrel" --version), only" \
  "glibc from outside, $golden as expected (system loader and bundled loader)"

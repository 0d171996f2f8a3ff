#!/usr/bin/env bash
# The installed package, used as an application would use it (issue 17). Two ways in:
#   prefix: `cmake --install` into a prefix, then moved elsewhere (the package is relocatable);
#   deb:    the Debian package `make package` builds (cpack), its control fields checked, unpacked
#           with dpkg-deb -x (no root needed) and used from the unpacked usr/.
# Then examples/embed is configured and built against that copy only
# (Kestrel_DIR=<prefix>/lib/cmake/Kestrel, no package registry) and run, and the installed
# `kestrel run` runs an example that imports the standard library. Checked on the way: the
# application compiles with the installed header and links the installed libkestrel.so, the JIT
# module loaded is the installed one (LD_DEBUG), and the installed engine imports from the
# installed stdlib (a module that exists only there), never the source tree's.
#   install_test.sh prefix|deb BUILD SOURCE WORK GENERATOR
set -euo pipefail
cmake() { command "${CMAKE:-cmake}" "$@"; }
mode=$1 build=$2 src=$3 work=$4 generator=$5

# A fixed work folder (not mktemp), so ccache hits when the example is built again.
rm -rf "$work"
mkdir -p "$work"
if [[ $mode == prefix ]]; then
  cmake --install "$build" --prefix "$work/staged" >/dev/null
  mv "$work/staged" "$work/prefix"
  prefix=$work/prefix
else
  "${CPACK:-cpack}" --config "$build/CPackConfig.cmake" -B "$work/deb" >"$work/cpack.log" ||
    { cat "$work/cpack.log"; exit 1; }
  debs=("$work"/deb/kestrel_*.deb)
  [[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || { echo "FAIL: no kestrel_*.deb"; exit 1; }
  dpkg-deb -f "${debs[0]}" Package Version Depends | tee "$work/control"
  version=$(sed -n 's/^project(kestrel VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
  grep -qx "Package: kestrel" "$work/control" && grep -qx "Version: $version" "$work/control" &&
    grep -q "^Depends:.*libtbb" "$work/control" ||
    { echo "FAIL: the package's name, version ($version) or Depends"; exit 1; }
  dpkg-deb -x "${debs[0]}" "$work/root"
  prefix=$work/root/usr
fi
for f in bin/kestrel lib/libkestrel.so lib/libkestrel_jit.so include/kestrel/kestrel.hpp \
  include/kestrel/array.hpp share/kestrel/stdlib/montecarlo.kst \
  lib/cmake/Kestrel/KestrelConfig.cmake lib/cmake/Kestrel/KestrelConfigVersion.cmake \
  lib/cmake/Kestrel/KestrelTargets.cmake; do
  [[ -e $prefix/$f ]] || { echo "FAIL: $f not installed"; exit 1; }
done
# A module only the installed stdlib has.
printf 'fn answer() -> i64 {\n    return 42\n}\n' >"$prefix/share/kestrel/stdlib/install_probe.kst"

unset KESTREL_STDLIB KESTREL_JIT_MODULE
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$src/examples/embed" -B "$work/embed" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
  -DKestrel_DIR="$prefix/lib/cmake/Kestrel" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  "${launcher[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/embed" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
grep -q "^Kestrel_DIR:[A-Z]*=$prefix/lib/cmake/Kestrel\$" "$work/embed/CMakeCache.txt" ||
  { echo "FAIL: examples/embed did not use the installed package"; exit 1; }
grep -q -- "-isystem $prefix/include " "$work/embed/compile_commands.json" &&
  ! grep -q -- "$src/dsl/include" "$work/embed/compile_commands.json" ||
  { echo "FAIL: examples/embed did not compile with the installed header"; exit 1; }
ldd "$work/embed/embed_demo" >"$work/embed.ldd"
grep -q "libkestrel.so.* => $prefix/lib/libkestrel.so" "$work/embed.ldd" ||
  { echo "FAIL: embed_demo does not link the installed libkestrel.so:"; cat "$work/embed.ldd"; exit 1; }

# The demo, whose engine (libkestrel.so) loads the JIT module installed beside it (tiered, eager:
# compiled before the first call).
KESTREL_TIER=eager LD_DEBUG=files "$work/embed/embed_demo" "$src/examples/embed/stats.kst" \
  "$prefix/share/kestrel/stdlib/montecarlo.kst" >"$work/embed.out" 2>"$work/embed.ld"
cat "$work/embed.out"
grep -q "^pi(1000000, 42) = 3.1" "$work/embed.out" && grep -qx "norm(standardize(v)) = 2.8284" "$work/embed.out" ||
  { echo "FAIL: embed_demo"; exit 1; }
grep -q "file=$prefix/lib/libkestrel_jit.so .*dynamically loaded" "$work/embed.ld" ||
  { echo "FAIL: embed_demo did not load $prefix/lib/libkestrel_jit.so"; grep kestrel_jit "$work/embed.ld"; exit 1; }

# The installed command: an example importing the stdlib, and the probe only the install has.
LD_DEBUG=files "$prefix/bin/kestrel" run --jit "$src/examples/fib.kst" >"$work/fib.out" 2>"$work/fib.ld"
cat "$work/fib.out"
grep -q "^fib(90) = 2880067194370816120$" "$work/fib.out" || { echo "FAIL: kestrel run fib.kst"; exit 1; }
grep -q "file=$prefix/lib/libkestrel_jit.so .*dynamically loaded" "$work/fib.ld" ||
  { echo "FAIL: kestrel did not load $prefix/lib/libkestrel_jit.so"; grep kestrel_jit "$work/fib.ld"; exit 1; }
printf 'import install_probe\nimport montecarlo\nprint(install_probe.answer())\n' >"$work/probe.kst"
"$prefix/bin/kestrel" run "$work/probe.kst" | tee "$work/probe.out"
grep -qx 42 "$work/probe.out" || { echo "FAIL: the installed stdlib was not searched"; exit 1; }
# The Python module, when this build has it: examples/python against the installed copy only
# (the module, and the libkestrel.so it loads, from the prefix).
pydir=$prefix/lib/python3/dist-packages
if [[ -f $src/python/CMakeLists.txt ]] && ls "$build"/python/kestrel.*.so >/dev/null 2>&1; then
  ls "$pydir"/kestrel.*.so >/dev/null 2>&1 || { echo "FAIL: the Python module not installed"; exit 1; }
  (cd "$src" && PYTHONPATH=$pydir /usr/bin/python3 - "$prefix" <<'PY') >"$work/python.out" 2>&1 ||
import sys, kestrel
prefix = sys.argv[1]
maps = open("/proc/self/maps").read()
assert kestrel.__file__.startswith(prefix), kestrel.__file__
assert prefix + "/lib/libkestrel.so" in maps, "libkestrel.so not the installed one"
m = kestrel.compile("fn twice(x: f64[:]) -> f64 {\n    return 2.0 * sum(x)\n}\n")
import numpy
assert m.twice(numpy.arange(4.0)) == 12.0
PY
    { echo "FAIL: the installed Python module"; cat "$work/python.out"; exit 1; }
  (cd "$src" && PYTHONPATH=$pydir /usr/bin/python3 examples/python/workloads.py --repeat 1) \
    >"$work/workloads.out" 2>&1 || { echo "FAIL: examples/python against the install"; cat "$work/workloads.out"; exit 1; }
  tail -3 "$work/workloads.out"
fi
rm -rf "$work/staged" "$work/prefix" "$work/root" "$work/deb"  # the copies (~100 MiB); logs stay
echo "install test passed"

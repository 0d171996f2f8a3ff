#!/usr/bin/env bash
# Installs the Debian packages Kestrel needs to build and test, only those missing.
# Idempotent: a second run installs nothing. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  llvm-19-dev libzstd-dev   # the CPU JIT (LLVM ORC); LLVM's CMake package needs zstd
  libboost-dev              # Spirit X3, the parser
  libeigen3-dev             # matrix products
  libtbb-dev                # parallel loops
  libgtest-dev libgmock-dev # unit tests
  libbenchmark-dev          # bench/
  liblua5.4-dev             # bench/lua_bench: the interpreter timed against Lua 5.4, same run
  libedit-dev               # REPL line editing
  clang-format
  python3                   # the golden-test runner
  pybind11-dev python3-dev  # python/: the Python module kestrel
  python3-numpy python3-pytest # its tests (pytest under CTest) and examples/python
  libopenmpi-dev openmpi-bin  # MPI ranks: libkestrel_mpi.so and the mpirun tests (tests/mpi)
)
wanted=("${packages[@]}")

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"

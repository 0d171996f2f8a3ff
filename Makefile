# Two entry points for a fresh Debian machine: `make demo` and `make test`.
# Both install what is missing (scripts/install-deps.sh), build, then run.
BUILD ?= build
PRESET ?= release
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo package asan fuzz bench difftest format clean gpu-bundle gpu-check-local

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/kestrel

# A Debian package (CPack, cmake/KestrelPackage.cmake): $(BUILD)/package/kestrel_<version>_<arch>.deb,
# installed with `apt install ./$(BUILD)/package/kestrel_*.deb`.
package: build
	@cmake --build $(BUILD) --target package

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

# The differential random-program tester: N generated programs from seed SEED, each run in the
# interpreter and the JIT at 1, 2 and 8 threads; findings (shrunk) under $(BUILD)/difftest-findings.
# FEATURES switches parts of the generator (+name/-name; kestrel_difftest --list-features).
N ?= 1000
SEED ?= 1
FEATURES ?=
difftest: build
	@$(BUILD)/kestrel_difftest --count $(N) --start $(SEED) --progress 100 \
	  --findings $(BUILD)/difftest-findings --features=$(FEATURES)

bench: build
	@$(BUILD)/bench/kestrel_bench

# The GPU check (issue 15): `make gpu-bundle` packs the release kestrel, its libraries ($ORIGIN run
# path) and the check's programs into $(BUILD)/kestrel-gpu-bundle.tar.xz (under 60 MiB) for a
# machine with a GPU, where `kestrel-gpu/scripts/gpu-check.sh` runs (README: "GPU check").
# gpu-check-local runs that check here from the tarball: the goldens on GPU_CHECK_TARGET (cpu: no
# GPU needed) and the Kestrel side of the benchmarks at small sizes (the CUDA baselines need a
# driver: they are reported as failed steps without one).
GPU_CHECK_TARGET ?= cpu
GPU_CHECK_OUT ?= $(BUILD)/gpu-check-out
gpu-bundle: deps
	@JOBS=$(JOBS) bash scripts/gpu-bundle.sh $(BUILD)

gpu-check-local: gpu-bundle
	@bash scripts/gpu-check.sh --bundle $(BUILD)/kestrel-gpu-bundle.tar.xz --out $(GPU_CHECK_OUT) \
	  --target $(GPU_CHECK_TARGET) --vadd-sizes 1e6 --pi-n 1e6

format:
	@git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' '*.inc' | xargs clang-format -i

clean:
	@rm -rf build build-*

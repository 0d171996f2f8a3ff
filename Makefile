# Two entry points for a fresh Debian machine: `make demo` and `make test`.
# Both install what is missing (scripts/install-deps.sh), build, then run.
BUILD ?= build
PRESET ?= release
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo asan fuzz bench difftest format clean

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

format:
	@git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' '*.inc' | xargs clang-format -i

clean:
	@rm -rf build build-*

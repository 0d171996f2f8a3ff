# Two entry points for a fresh Debian machine: `make demo` and `make test`.
# Both install what is missing (scripts/install-deps.sh), build, then run.
BUILD ?= build
PRESET ?= release
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo asan fuzz bench format clean

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

bench: build
	@$(BUILD)/bench/kestrel_bench

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build build-*

# Thin wrapper over CMake presets (CMakePresets.json). On a fresh Debian 12 machine
# each target first installs what is missing (.ci/deps).
JOBS ?= $(shell nproc)
PORT ?= 8080

.PHONY: all deps test run asan tsan release release-test clean format bench bench-quick fuzz

all: test

deps:
	@./.ci/deps

# Configure, build and run every test (Debug, -Werror).
test: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS)

# Build in release and start the main example.
run: release
	./build/release/examples/http_server/http_server --host 127.0.0.1 --port $(PORT)

release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# The whole suite built as `make run` builds the example: -O3 with LTO.
release-test: deps
	cmake --preset release-tests >/dev/null
	cmake --build --preset release-tests -j $(JOBS)
	ctest --preset release-tests -j $(JOBS)

asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

# Fuzz the HTTP request handling (clang 14 + libFuzzer) for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz: deps
	tests/net/http/fuzz/run.sh $(FUZZ_SECONDS)

# Benchmarks against the peers of ../shared/peers (build them once with
# ../shared/peers/http/setup.sh and ../shared/peers/runtime/setup.sh). `make bench`
# (about 45 min, wants a quiet machine) regenerates the results part of
# bench/README.md and bench/chart.png; `make bench-quick` (a few minutes) writes its
# README and chart under bench/results/quick-<stamp>/ instead. Options of
# bench/bench.sh go in BENCH_ARGS, e.g. BENCH_ARGS="--scenarios 'a d' --reps 5".
BENCH_ARGS ?=
bench: release
	bench/bench.sh $(BENCH_ARGS)

bench-quick: release
	bench/bench.sh --quick $(BENCH_ARGS)

format:
	git ls-files '*.hpp' '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf build

# Thin wrapper over CMake presets (CMakePresets.json). On a fresh Debian 12 machine
# each target first installs what is missing (.ci/deps).
JOBS ?= $(shell nproc)
PORT ?= 8080

.PHONY: all deps test run asan tsan release clean format bench fuzz

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

format:
	git ls-files '*.hpp' '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf build

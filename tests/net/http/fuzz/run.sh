#!/usr/bin/env bash
# Builds the HTTP codec fuzzer with clang 14 (ASan + UBSan + libFuzzer) in its own
# build directory and runs it for N seconds (default 60) from the checked-in seed
# corpus. New inputs go to the build directory, never to the checked-in corpus;
# a crash leaves its reproducer in $build/fuzz-artifacts and fails the script.
#
#   tests/net/http/fuzz/run.sh [seconds]
#   EDDY_FUZZ_BUILD_DIR=... JOBS=2 tests/net/http/fuzz/run.sh 600
set -euo pipefail
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
build=${EDDY_FUZZ_BUILD_DIR:-$root/build/http-fuzz}
jobs=${JOBS:-2}
cc=${EDDY_FUZZ_CC:-clang-14}
cxx=${EDDY_FUZZ_CXX:-clang++-14}
# Instrument the library too, for coverage feedback inside llhttp and the codec.
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DEDDY_BUILD_FUZZ=ON -DEDDY_BUILD_EXAMPLES=OFF -DEDDY_BUILD_BENCH=OFF -DEDDY_INSTALL=OFF \
  >/dev/null
cmake --build "$build" -j "$jobs" --target http_fuzz

corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus" "$artifacts"
exec "$build/tests/net/http/fuzz/http_fuzz" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$here/http.dict" -artifact_prefix="$artifacts/" \
  "$corpus" "$here/corpus"

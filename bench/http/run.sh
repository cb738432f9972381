#!/usr/bin/env bash
# run.sh -- the HTTP benchmark of ../shared/peers/http/bench.sh with eddy's
# http_server example (release build, --threads 1: one current-thread runtime) as
# the candidate, side by side with the peer servers, for iterating on the server:
# prints the table and leaves it in $OUT/table.md. `make bench` runs this
# comparison among the others and regenerates bench/README.md.
#
# Usage: bench/http/run.sh [bench.sh options...]
#   e.g. bench/http/run.sh --scenarios 'a d' --duration 5 --reps 1
#
# Needs the peers built once: ../shared/peers/http/setup.sh (into /tmp/eddy-peers,
# or $PEERS_DIR). Builds the release example if it is missing. It takes the whole
# machine for minutes (bench.sh pins the server to CPU 0 and wrk to CPU 1).
#
# Environment: PEERS_HTTP (the peers folder), EDDY_HTTP_SERVER (the binary),
# OUT (bench.sh's output folder).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PEERS_HTTP="${PEERS_HTTP:-$(cd "$REPO/.." && pwd)/shared/peers/http}"
BIN="${EDDY_HTTP_SERVER:-$REPO/build/release/examples/http_server/http_server}"
OUT="${OUT:-/tmp/eddy-bench/eddy-$(date +%Y%m%d-%H%M%S)}"

if [[ ! -x "$PEERS_HTTP/bench.sh" ]]; then
  echo "run.sh: no bench.sh in $PEERS_HTTP (set PEERS_HTTP)" >&2
  exit 2
fi
if [[ ! -d "${PEERS_DIR:-/tmp/eddy-peers}" ]]; then
  echo "run.sh: peers not built; run $PEERS_HTTP/setup.sh first" >&2
  exit 2
fi
if [[ ! -x "$BIN" ]]; then
  (cd "$REPO" && cmake --preset release >/dev/null &&
    cmake --build --preset release --target http_server -j 2)
fi

"$PEERS_HTTP/bench.sh" --candidate "$BIN --host 127.0.0.1 --port {port} --threads 1" \
  --out "$OUT" "$@"

echo "run.sh: table in $OUT/table.md (make bench writes the full report into bench/README.md)" >&2

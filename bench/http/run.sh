#!/usr/bin/env bash
# run.sh -- the HTTP benchmark of ../shared/peers/http/bench.sh with eddy's
# http_server example (release build, --threads 1: one current-thread runtime) as
# the candidate, side by side with the peer servers; then writes the resulting
# table into bench/README.md under "## HTTP" (the rest of that file is left alone).
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

# Replace (or append) the "## HTTP" section of bench/README.md.
python3 - "$REPO/bench/README.md" "$OUT" "$*" <<'PY'
import datetime, os, re, sys
readme, out, args = sys.argv[1], sys.argv[2], sys.argv[3]
table = open(os.path.join(out, "table.md")).read().strip()
section = f"""## HTTP

`bench/http/run.sh {args}`, {datetime.date.today()}: `GET /plaintext` served by
`http_server --threads 1` (the candidate row; one current-thread runtime) and the
peers of ../shared/peers/http, one server core (CPU 0) against one `wrk -t1` core
(CPU 1), 127.0.0.1. Read ../shared/peers/http/RESULTS.md for what the columns
mean and why req/s of client-bound rows is wrk's ceiling, not a ranking.
Raw results: `{out}`.

{table}
"""
text = open(readme).read() if os.path.exists(readme) else "# eddy benchmarks\n"
m = re.search(r"^## HTTP\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + section + "\n" + text[m.end():].lstrip("\n")
else:
    text = text.rstrip("\n") + "\n\n" + section
open(readme, "w").write(text.rstrip("\n") + "\n")
print(f"run.sh: table written to {readme}")
PY

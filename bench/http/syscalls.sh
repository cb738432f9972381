#!/usr/bin/env bash
# syscalls.sh -- system calls per HTTP request of the candidate and some peers,
# under a fixed (not saturating) wrk load.
#
# Usage: bench/http/syscalls.sh [--candidate 'CMD with {port}'] [--peers 'limit asio ...']
#                               [--duration S] [--tool perf|strace] [--out DIR]
#
# For every server (started afresh by ../shared/peers/http/lib/servers.sh,
# pinned to CPU 0, 127.0.0.1) and each of two loads:
#   fixed      wrk -t1 -c100, each connection waits 4 ms after every response
#              (scenario (d) of bench.sh): about 20k req/s, not pipelined;
#   pipelined  wrk -t1 -c16, batches of 16 pipelined requests, each connection
#              waiting 4 ms before its next batch: about 4k batches/s;
# it checks the server (tools/check_peer.py), warms it up for 1 s, attaches the
# tracer to the server's processes and threads (`perf trace -s -p PIDS`, or
# `strace -c -f -p PID` with --tool strace), runs wrk (CPU 1) for S seconds
# (default 5), detaches and divides the calls counted by the responses wrk
# received. The window also holds the 100 (16) connects and closes, i.e. one
# accept and one close per ~1000 requests. Every measurement runs under
# `flock /tmp/bench.lock`. perf trace counts from tracepoints and barely slows
# the server; strace stops it at every call (the load is fixed, so the counts
# stay comparable, but epoll_wait then returns more events per call).
#
# Writes DIR/syscalls.tsv (server, load, requests, depth, calls, per-syscall
# counts) and prints a Markdown table. Needs wrk, perf or strace, and the peers
# built by ../shared/peers/http/setup.sh ($PEERS_DIR, default /tmp/eddy-peers).
set -uo pipefail
MYDIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$MYDIR/../.." && pwd)"
PEERS_HTTP="${PEERS_HTTP:-$(cd "$REPO/.." && pwd)/shared/peers/http}"
export PEERS_DIR="${PEERS_DIR:-/tmp/eddy-peers}"
LOCK=/tmp/bench.lock
BASE_PORT=${BASE_PORT:-18900}
DURATION=5 PEERS="limit" CANDIDATE="" OUT="" TOOL=perf

usage() { sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --candidate) export CANDIDATE=$2; shift 2 ;; # read by lib/servers.sh
    --peers) PEERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --tool) TOOL=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "syscalls.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
case "$TOOL" in
  perf) command -v perf >/dev/null || { echo "syscalls.sh: perf not found" >&2; exit 1; } ;;
  strace) command -v strace >/dev/null || { echo "syscalls.sh: strace not found" >&2; exit 1; } ;;
  *) echo "syscalls.sh: --tool perf|strace" >&2; exit 2 ;;
esac
OUT=${OUT:-/tmp/eddy-bench/syscalls-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/logs"

# shellcheck disable=SC2034 # lib/servers.sh starts the peers through $HERE/run-peer.sh
HERE="$PEERS_HTTP" # lib/servers.sh starts the peers through $HERE/run-peer.sh
# shellcheck source=/dev/null
source "$PEERS_HTTP/lib/servers.sh"
select_servers "$PEERS" "$OUT/skipped.txt" || exit 2
((${#SERVERS[@]})) || { echo "syscalls.sh: nothing to run" >&2; exit 1; }

TRACER_PID=""
cleanup() {
  if [[ -n "$TRACER_PID" ]]; then kill -INT "$TRACER_PID" 2>/dev/null; wait "$TRACER_PID" 2>/dev/null; fi
  TRACER_PID=""
  stop_server
}
trap 'cleanup; exit 130' INT TERM
trap 'cleanup' EXIT

load_args() { # load -> "conns depth lua args..."
  case "$1" in
    fixed) echo "100 1 $MYDIR/fixedrate.lua 4" ;;
    pipelined) echo "16 16 $MYDIR/pipeline-fixedrate.lua 16 4" ;;
  esac
}

# Parses the tracer's summary into "total name=count,name=count..." (summed
# over all threads and processes).
parse() {
  python3 - "$1" "$TOOL" <<'PY'
import re, sys
counts = {}
text = open(sys.argv[1], errors="replace").read()
for line in text.splitlines():
    if sys.argv[2] == "perf":
        m = re.match(r"^\s+([a-z_0-9]+)\s+(\d+)\s+(\d+)\s+[\d.]+\s", line)
        if m and m.group(1) != "syscall":
            counts[m.group(1)] = counts.get(m.group(1), 0) + int(m.group(2))
    else:  # strace -c: % time, seconds, usecs/call, calls, [errors,] syscall
        f = line.split()
        if len(f) >= 5 and re.match(r"^[\d.]+$", f[0]) and f[-1] != "total":
            counts[f[-1]] = counts.get(f[-1], 0) + int(f[3])
total = sum(counts.values())
print(total, ",".join("%s=%d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1])) or "none=0")
PY
}

measure_one() { # server load -> one TSV row
  local s=$1 load=$2 conns depth lua pids line req errs tag="$1.$2" i
  read -r conns depth lua largs <<<"$(load_args "$load")"
  start_server "$s" "$OUT/logs/server.$tag.log"
  if ! timeout 30 python3 "$PEERS_HTTP/tools/check_peer.py" "$PORT" --wait 15 >"$OUT/logs/check.$tag.log" 2>&1; then
    printf '%s\t%s\tcheck_failed\n' "$s" "$load"; stop_server; return
  fi
  local url="http://127.0.0.1:$PORT/plaintext"
  # shellcheck disable=SC2086
  taskset -c 1 wrk -t1 -c"$conns" -d1 -s "$lua" "$url" -- $largs >/dev/null 2>&1
  pids=$({ echo "$SERVER_PID"; descendants "$SERVER_PID"; } | paste -sd,)
  if [[ $TOOL == perf ]]; then
    taskset -c 1 perf trace -s -p "$pids" -o "$OUT/logs/trace.$tag.txt" >/dev/null 2>&1 &
  else
    local sargs=() p
    for p in ${pids//,/ }; do sargs+=(-p "$p"); done
    taskset -c 1 strace -c -f "${sargs[@]}" -o "$OUT/logs/trace.$tag.txt" >/dev/null 2>&1 &
  fi
  TRACER_PID=$!
  sleep 1 # attached by then (perf trace and strace print nothing when ready)
  # shellcheck disable=SC2086
  taskset -c 1 wrk -t1 -c"$conns" -d"$DURATION" --timeout 10s -s "$lua" "$url" -- $largs \
    >"$OUT/logs/wrk.$tag.log" 2>&1
  kill -INT "$TRACER_PID" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$TRACER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$TRACER_PID" 2>/dev/null
  wait "$TRACER_PID" 2>/dev/null
  TRACER_PID=""
  kill -0 "$SERVER_PID" 2>/dev/null || { printf '%s\t%s\tserver_died\n' "$s" "$load"; stop_server; return; }
  stop_server
  line=$(grep '^EDDY_RESULT ' "$OUT/logs/wrk.$tag.log" | tail -n 1)
  req=$(grep -o 'requests=[0-9]*' <<<"$line" | cut -d= -f2)
  errs=$(grep -o 'errors=[0-9]*' <<<"$line" | cut -d= -f2)
  if [[ -z "$req" || "$req" == 0 ]]; then printf '%s\t%s\twrk_failed\n' "$s" "$load"; return; fi
  read -r total counts <<<"$(parse "$OUT/logs/trace.$tag.txt")"
  printf '%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$load" "$req" "${errs:-0}" "$conns" "$depth" \
    "$TOOL" "$total" "$counts"
}

printf 'server\tload\tstatus\trequests\terrors\tconns\tdepth\ttool\tcalls\tcounts\n' >"$OUT/syscalls.tsv"
for load in fixed pipelined; do
  for s in "${SERVERS[@]}"; do
    echo "syscalls.sh: $s, $load load, ${DURATION}s under $TOOL..." >&2
    {
      flock -w 1800 9 || { printf '%s\t%s\tlock_timeout\n' "$s" "$load" >>"$OUT/syscalls.tsv"; continue; }
      measure_one "$s" "$load" >>"$OUT/syscalls.tsv"
    } 9>>"$LOCK"
  done
done

python3 - "$OUT/syscalls.tsv" <<'PY' | tee "$OUT/table.md"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| server | load | responses | syscalls per response | per batch | largest counts per response |")
print("|---|---|---:|---:|---:|---|")
for r in rows:
    if r["status"] != "ok":
        print("| %s | %s | %s | | | |" % (r["server"], r["load"], r["status"]))
        continue
    n, depth = int(r["requests"]), int(r["depth"])
    top = ", ".join("%s %.2f" % (k, int(v) / n) for k, v in
                    (kv.split("=") for kv in r["counts"].split(",")[:4]))
    print("| %s | %s | %d | %.2f | %s | %s |" % (
        r["server"], r["load"], n, int(r["calls"]) / n,
        "%.2f" % (int(r["calls"]) * depth / n) if depth > 1 else "", top))
PY
echo "syscalls.sh: results in $OUT" >&2

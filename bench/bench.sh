#!/usr/bin/env bash
# bench.sh -- everything behind `make bench` / `make bench-quick`: eddy against
# the peers of ../shared/peers in one interleaved run, then bench/report.py
# regenerates the results part of bench/README.md and the chart.
#
# Usage: bench/bench.sh [--quick] [--reps N] [--duration S] [--warmup S]
#          [--peers 'limit asio ...'] [--scenarios 'a b c d'] [--benches '...']
#          [--idle-conns N] [--syscall-peers '...'] [--syscall-duration S]
#          [--ir-peers '...']
#          [--skip 'runtime http http2 idle syscalls callgrind'] [--relaxed]
#          [--out DIR] [--readme FILE] [--chart FILE] [--report-only DIR]
#
# Every repetition (default 3) runs, one after the other:
#   runtime   bench/run-runtime.sh, one timing run of each micro benchmark per
#             peer (eddy-ct tokio-ct eddy-mt2 tokio-mt2 asio-post-ioex),
#             interleaved, each in its own process under flock /tmp/bench.lock;
#   http      ../shared/peers/http/bench.sh --reps 1 with the candidate
#             `http_server --threads 1` and the peers, scenarios a b c d;
#   http2     the same with `http_server --threads 2` alone (its rows are
#             compared with the peers' of the same repetition);
#   idle      ../shared/peers/http/idle-conns.sh with the candidate and peers;
#   syscalls  bench/http/syscalls.sh: syscalls per request of the candidate
#             and --syscall-peers (default 'limit asio nginx tokio-hyper'),
#             under a fixed wrk load, not pipelined and pipelined x16;
# then, once, callgrind instructions per operation (run-runtime.sh, REPS=0) and
# per HTTP request (bench/http/instructions.py, the candidate and the peers
# --ir-peers, default 'limit tokio-hyper tokio-raw asio uv': the ones that are
# one process with no shell around them), deterministic, so one run is enough.
# Medians and min-max are taken over the repetitions by bench/report.py, which
# writes the section between the
# "<!-- BEGIN make bench -->" and "<!-- END make bench -->" lines of the README
# (text outside them is kept) and the PNG chart (gnuplot, installed with
# apt-get when missing and running as root).
#
# Defaults (make bench): 3 reps, 10 s runs, every built peer, a b c d, 10000
# idle connections, results in bench/results/full-<stamp>/, bench/README.md and
# bench/chart.png. --quick (make bench-quick): 1 rep, 3 s runs, peers
# 'limit asio tokio-hyper', scenarios 'a b d', 2000 idle connections, 2 s
# syscall runs, no callgrind, and the README and chart go to the results folder
# (bench/results/quick-<stamp>/README.md, chart.png) unless --readme/--chart say
# otherwise: the committed figures stay as they are.
# --relaxed: do not wait for quiet cores nor repeat disturbed runs (smoke tests
# on a busy machine; the figures are then not worth keeping).
# --report-only DIR: only regenerate the README and chart from DIR's results.
#
# Needs: a release build (make bench builds it), the HTTP peers built by
# ../shared/peers/http/setup.sh (PEERS_DIR, default /tmp/eddy-peers) and the
# runtime peers by ../shared/peers/runtime/setup.sh (PEERS_DIR_RT, default
# /tmp/eddy-peers-rt), wrk, perf (or strace), valgrind.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PEERS_HTTP="${PEERS_HTTP:-$(cd "$REPO/.." && pwd)/shared/peers/http}"
HTTP_PEERS_DIR="${PEERS_DIR:-/tmp/eddy-peers}"
RT_PEERS_DIR="${PEERS_DIR_RT:-/tmp/eddy-peers-rt}"
BUILD="${EDDY_BUILD:-$REPO/build/release}"
SERVER="$BUILD/examples/http_server/http_server"
EDDY_BENCH="$BUILD/bench/eddy_bench"

QUICK=0 RELAXED=0 REPORT_ONLY=""
REPS="" DURATION="" WARMUP="" PEERS="" SCENARIOS="" BENCHES="" IDLE_CONNS="" SKIP=""
SC_PEERS="" SC_DURATION="" IR_PEERS="" OUT="" README="" CHART=""
usage() { sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }
run_q() { # quoted command line for the log
  local out="" a
  for a in "$@"; do
    if [[ $a =~ [[:space:]\'] || -z $a ]]; then out+=" '${a//\'/\'\\\'\'}'"; else out+=" $a"; fi
  done
  echo "${out# }"
}
ARGS="$(run_q "$@")"
while (($#)); do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --relaxed) RELAXED=1; shift ;;
    --reps) REPS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --benches) BENCHES=$2; shift 2 ;;
    --idle-conns) IDLE_CONNS=$2; shift 2 ;;
    --syscall-peers) SC_PEERS=$2; shift 2 ;;
    --syscall-duration) SC_DURATION=$2; shift 2 ;;
    --ir-peers) IR_PEERS=$2; shift 2 ;;
    --skip) SKIP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --readme) README=$2; shift 2 ;;
    --chart) CHART=$2; shift 2 ;;
    --report-only) REPORT_ONLY=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
if ((QUICK)); then
  : "${REPS:=1}" "${DURATION:=3}" "${WARMUP:=1}" "${PEERS:=limit asio tokio-hyper}" "${SCENARIOS:=a b d}"
  : "${IDLE_CONNS:=2000}" "${SC_PEERS:=limit}" "${SC_DURATION:=2}" "${OUT:=$HERE/results/quick-$stamp}"
  SKIP="$SKIP callgrind"
  : "${README:=$OUT/README.md}" "${CHART:=$OUT/chart.png}"
else
  : "${REPS:=3}" "${DURATION:=10}" "${WARMUP:=2}" "${SCENARIOS:=a b c d}"
  : "${IDLE_CONNS:=10000}" "${SC_PEERS:=limit asio nginx tokio-hyper}" "${SC_DURATION:=5}"
  : "${IR_PEERS:=limit tokio-hyper tokio-raw asio uv}" "${OUT:=$HERE/results/full-$stamp}"
  : "${README:=$HERE/README.md}" "${CHART:=$HERE/chart.png}"
fi
: "${BENCHES:=spawn_join yield ping_pong timer many_sleepers cross_thread_wake}"
skipped() { [[ " $SKIP " == *" $1 "* ]]; }

ensure_gnuplot() {
  command -v gnuplot >/dev/null && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "bench.sh: installing gnuplot-nox for the chart" >&2
    { apt-get install -y --no-install-recommends gnuplot-nox ||
      { apt-get update && apt-get install -y --no-install-recommends gnuplot-nox; }; } >"$OUT/apt.log" 2>&1
  fi
  command -v gnuplot >/dev/null || echo "bench.sh: no gnuplot (see $OUT/apt.log): the README will have no chart" >&2
}

report() {
  ensure_gnuplot
  python3 "$HERE/report.py" --results "$1" --readme "$README" --chart "$CHART" &&
    echo "bench.sh: wrote $README$([[ -f $CHART ]] && echo " and $CHART") (results in $1)" >&2
}

if [[ -n "$REPORT_ONLY" ]]; then
  OUT=$REPORT_ONLY
  report "$REPORT_ONLY"
  exit
fi

for f in "$SERVER" "$EDDY_BENCH"; do
  [[ -x $f ]] || { echo "bench.sh: missing $f: build the release preset first (make release)" >&2; exit 1; }
done
[[ -x "$PEERS_HTTP/bench.sh" ]] || { echo "bench.sh: no $PEERS_HTTP/bench.sh (set PEERS_HTTP)" >&2; exit 1; }
if [[ ! -d $HTTP_PEERS_DIR ]]; then
  echo "bench.sh: HTTP peers not built: run $PEERS_HTTP/setup.sh first" >&2; exit 1
fi
if [[ ! -d $RT_PEERS_DIR/bin ]]; then
  echo "bench.sh: runtime peers not built: PEERS_DIR=$RT_PEERS_DIR ${PEERS_HTTP%/http}/runtime/setup.sh" >&2
fi
mkdir -p "$OUT"

HTTP_OPTS=(--duration "$DURATION" --warmup "$WARMUP" --scenarios "$SCENARIOS")
if ((RELAXED)); then
  export QUIET_WAIT_S=1
  HTTP_OPTS+=(--max-foreign 100 --max-steal 100 --retries 0)
elif ((QUICK)); then
  export QUIET_WAIT_S=${QUIET_WAIT_S:-15}
  HTTP_OPTS+=(--retries 1)
fi
CAND1="$SERVER --host 127.0.0.1 --port {port} --threads 1"
CAND2="$SERVER --host 127.0.0.1 --port {port} --threads 2"

{
  echo "command: bench/bench.sh $ARGS"
  echo "mode: $( ((QUICK)) && echo quick || echo full)$( ((RELAXED)) && echo ', relaxed')"
  echo "start: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc: $(nproc)"
  echo "cpu: $(awk '/^model name/ {sub(/^[^:]*: /,""); print; exit}' /proc/cpuinfo)"
  echo "kernel: $(uname -sr)"
  echo "compiler: $(c++ --version | head -n 1)"
  echo "commit: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "reps: $REPS"
  echo "duration: $DURATION"
  echo "warmup: $WARMUP"
  echo "scenarios: $SCENARIOS"
  echo "idle_conns: $IDLE_CONNS"
  echo "syscall_duration: $SC_DURATION"
  echo "load_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/info.txt"
log() { echo "$*" >>"$OUT/commands.txt"; echo "bench.sh: $*" >&2; }

t0=$(date +%s)
for ((rep = 1; rep <= REPS; rep++)); do
  if ! skipped runtime; then
    mkdir -p "$OUT/runtime"
    log "runtime: BENCHES='$BENCHES' REPS=1 CALLGRIND=0 PEERS_DIR=$RT_PEERS_DIR bench/run-runtime.sh  # rep $rep"
    BENCHES="$BENCHES" REPS=1 CALLGRIND=0 PEERS_DIR="$RT_PEERS_DIR" EDDY_BENCH="$EDDY_BENCH" \
      OUT="$OUT/runtime/rep$rep" "$HERE/run-runtime.sh" >/dev/null
  fi
  if ! skipped http; then
    cmd=("$PEERS_HTTP/bench.sh" --reps 1 "${HTTP_OPTS[@]}" --candidate "$CAND1" --out "$OUT/http/rep$rep-t1")
    [[ -n "$PEERS" ]] && cmd+=(--peers "$PEERS")
    log "http: $(run_q "${cmd[@]}")  # rep $rep"
    PEERS_DIR="$HTTP_PEERS_DIR" "${cmd[@]}" >/dev/null
  fi
  if ! skipped http2; then
    # Only the candidate: bench.sh always adds the peers it finds, so it gets an
    # empty peers folder (it then skips 'limit', reported in skipped.txt).
    cmd=("$PEERS_HTTP/bench.sh" --reps 1 "${HTTP_OPTS[@]}" --peers limit --candidate "$CAND2" --out "$OUT/http/rep$rep-t2")
    log "http2: PEERS_DIR=$OUT/no-peers $(run_q "${cmd[@]}")  # rep $rep"
    mkdir -p "$OUT/no-peers"
    PEERS_DIR="$OUT/no-peers" "${cmd[@]}" >/dev/null
  fi
  if ! skipped idle; then
    cmd=("$PEERS_HTTP/idle-conns.sh" --conns "$IDLE_CONNS" --candidate "$CAND1" --out "$OUT/idle/rep$rep")
    [[ -n "$PEERS" ]] && cmd+=(--peers "$PEERS")
    log "idle: $(run_q "${cmd[@]}")  # rep $rep"
    PEERS_DIR="$HTTP_PEERS_DIR" "${cmd[@]}" >/dev/null
  fi
  if ! skipped syscalls; then
    cmd=("$HERE/http/syscalls.sh" --duration "$SC_DURATION" --peers "$SC_PEERS" --candidate "$CAND1"
      --out "$OUT/syscalls/rep$rep")
    log "syscalls: $(run_q "${cmd[@]}")  # rep $rep"
    PEERS_DIR="$HTTP_PEERS_DIR" "${cmd[@]}" >/dev/null
  fi
done
if ! skipped callgrind && ! skipped runtime; then
  log "callgrind: BENCHES='$BENCHES' REPS=0 CALLGRIND=1 PEERS_DIR=$RT_PEERS_DIR bench/run-runtime.sh"
  BENCHES="$BENCHES" REPS=0 CALLGRIND=1 PEERS_DIR="$RT_PEERS_DIR" EDDY_BENCH="$EDDY_BENCH" \
    OUT="$OUT/runtime/callgrind" "$HERE/run-runtime.sh" >/dev/null
fi
if ! skipped callgrind && ! skipped http; then
  # The peers' binaries as run-peer.sh starts them (each takes the port alone).
  mkdir -p "$OUT/http-ir"
  for peer in candidate $IR_PEERS; do
    case "$peer" in
      candidate) bin="" ;;
      limit) bin=epoll_server ;;
      tokio-hyper | tokio-raw) bin=${peer/-/_} ;;
      asio | uv) bin=${peer}_server ;;
      *) log "http-ir: $peer is not one process that takes only a port; left out"; continue ;;
    esac
    if [[ -z $bin ]]; then
      cmd=("$HERE/http/instructions.py" --server "$SERVER")
    elif [[ -x $HTTP_PEERS_DIR/$bin ]]; then
      cmd=("$HERE/http/instructions.py" --command "$HTTP_PEERS_DIR/$bin {port}")
    else
      log "http-ir: no $HTTP_PEERS_DIR/$bin, $peer left out"; continue
    fi
    log "http-ir: $(run_q "${cmd[@]}") > http-ir/$peer.txt"
    "${cmd[@]}" >"$OUT/http-ir/$peer.txt" 2>&1 || log "http-ir: $peer failed (see http-ir/$peer.txt)"
  done
fi
{
  echo "end: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "elapsed_s: $(($(date +%s) - t0))"
} >>"$OUT/info.txt"
sed -i "s|$REPO/||g; s|$PEERS_HTTP/|../shared/peers/http/|g" "$OUT/commands.txt"

report "$OUT"

#!/usr/bin/env bash
# Runs eddy's runtime micro benchmarks side by side with the peers of
# ../shared/peers/runtime (Tokio current_thread and multi_thread(2), Asio with
# plain handlers on the concrete executor) in one interleaved run: every timing
# run is one benchmark in its own process under `flock /tmp/bench.lock`, peers
# interleaved within each repetition. Then callgrind at two sizes gives
# instructions per operation, (Ir(n2) - Ir(n1)) / (n2 - n1), which noise does not
# move. Prints a Markdown table (median, min-max) and keeps the raw lines.
#
# Env: PEERS_DIR (/tmp/eddy-peers-rt; built by ../shared/peers/runtime/setup.sh)
#      EDDY_BENCH (build/release/bench/eddy_bench)  REPS (3)  CALLGRIND (1)
#      BENCHES, PEERS (space lists)  OUT (bench/results/runtime-<stamp>)
#      EDDY_BASE: another eddy_bench (say, a build of the previous commit); adds
#      it as peer eddy-base-ct when PEERS names it, for before/after in one run
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEERS_DIR="${PEERS_DIR:-/tmp/eddy-peers-rt}"
EDDY="${EDDY_BENCH:-$ROOT/build/release/bench/eddy_bench}"
REPS="${REPS:-3}"
CALLGRIND="${CALLGRIND:-1}"
LOCK="${BENCH_LOCK:-/tmp/bench.lock}"
read -r -a BENCHES <<<"${BENCHES:-spawn_join yield ping_pong timer many_sleepers cross_thread_wake}"
read -r -a PEERS <<<"${PEERS:-eddy-ct tokio-ct eddy-mt2 tokio-mt2 asio-post-ioex}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$HERE/results/runtime-$stamp}"
mkdir -p "$(dirname "$OUT")"
RAW="$OUT.raw"
: >"$RAW"

[[ -x "$EDDY" ]] || { echo "missing $EDDY: build the release preset first" >&2; exit 1; }

cmd() {  # peer -> command prefix
  case "$1" in
    eddy-ct) echo "$EDDY ct" ;;
    eddy-mt2) echo "$EDDY mt" ;;
    eddy-base-ct) echo "${EDDY_BASE:-/nonexistent} ct" ;;
    tokio-ct) echo "$PEERS_DIR/bin/tokio_bench ct" ;;
    tokio-mt2) echo "$PEERS_DIR/bin/tokio_bench mt" ;;
    asio-post-ioex) echo "$PEERS_DIR/bin/asio_bench_ioex post" ;;
  esac
}
available() {  # peer bench
  local c; c="$(cmd "$1")"
  [[ -x "${c%% *}" ]] || return 1
  if [[ "$1" == eddy-* ]]; then ${c%% *} ct "$2" 1 >/dev/null 2>&1 || return 1; fi
  return 0
}
callgrind_sizes() {
  case "$1" in
    yield) echo "200000 400000" ;;
    many_sleepers) echo "20000 40000" ;;
    cross_thread_wake) echo "5000 10000" ;;
    *) echo "100000 200000" ;;
  esac
}

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cpus; reps=$REPS" >>"$RAW"
for rep in $(seq 1 "$REPS"); do
  for b in "${BENCHES[@]}"; do
    for p in "${PEERS[@]}"; do
      available "$p" "$b" || continue
      # shellcheck disable=SC2046
      out="$(flock "$LOCK" timeout 600 $(cmd "$p") "$b" 2>&1 | tail -1)" || true
      ns="$(grep -o 'ns_per_op=[0-9.]*' <<<"$out" | cut -d= -f2)"
      extra="$(grep -o 'bytes_per_task=[0-9.]*' <<<"$out" || true)"
      echo "time peer=$p bench=$b rep=$rep ns_per_op=${ns:-FAIL} $extra" >>"$RAW"
      echo "[$rep] $p $b: ${ns:-FAIL} ns/op $extra" >&2
    done
  done
done

if [[ "$CALLGRIND" == 1 ]] && command -v valgrind >/dev/null; then
  for b in "${BENCHES[@]}"; do
    for p in "${PEERS[@]}"; do
      # valgrind serialises threads: multi-thread runs and the cross-thread
      # benchmark give scheduling-dependent counts (Tokio's even went negative).
      [[ "$p" == *mt2 || "$b" == cross_thread_wake ]] && continue
      available "$p" "$b" || continue
      read -r n1 n2 <<<"$(callgrind_sizes "$b")"
      ir() {
        # shellcheck disable=SC2046
        flock "$LOCK" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
          $(cmd "$p") "$b" "$1" 2>&1 | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*$'
      }
      i1="$(ir "$n1")"; i2="$(ir "$n2")"
      per=$(( (i2 - i1) / (n2 - n1) ))
      echo "callgrind peer=$p bench=$b ir_per_op=$per" >>"$RAW"
      echo "callgrind $p $b: $per Ir/op" >&2
    done
  done
fi

python3 - "$RAW" "${PEERS[@]}" >"$OUT.md" <<'PY'
import re, statistics, sys
raw, peers = sys.argv[1], sys.argv[2:]
times, irs, mem, benches = {}, {}, {}, []
for line in open(raw):
    kv = dict(re.findall(r'(\w+)=(\S+)', line))
    if 'bench' not in kv: continue
    b, p = kv['bench'], kv['peer']
    if b not in benches: benches.append(b)
    if line.startswith('time') and kv.get('ns_per_op', 'FAIL') != 'FAIL':
        times.setdefault((b, p), []).append(float(kv['ns_per_op']))
        if 'bytes_per_task' in kv: mem.setdefault((b, p), []).append(float(kv['bytes_per_task']))
    if line.startswith('callgrind'):
        irs[(b, p)] = int(kv['ir_per_op'])
def fmt(v): return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
print(open(raw).readline().strip('# \n'))
print()
print('| benchmark | ' + ' | '.join(peers) + ' | eddy-ct ÷ tokio-ct | eddy-mt2 ÷ tokio-mt2 |')
print('|---|' + '---|' * (len(peers) + 2))
for b in benches:
    row, med = [], {}
    for p in peers:
        v = times.get((b, p))
        if not v: row.append('n/a'); continue
        med[p] = statistics.median(v)
        row.append(f"{fmt(med[p])} ({fmt(min(v))}–{fmt(max(v))})")
    def r(a, b): return f"{med[a] / med[b]:.2f}" if a in med and b in med else 'n/a'
    print(f'| {b} ns/op | ' + ' | '.join(row) + f" | {r('eddy-ct', 'tokio-ct')} | {r('eddy-mt2', 'tokio-mt2')} |")
print()
print('| benchmark | ' + ' | '.join(p for p in peers if not p.endswith('mt2')) + ' | eddy ÷ tokio-ct |')
print('|---|' + '---|' * (len([p for p in peers if not p.endswith('mt2')]) + 1))
for b in benches:
    ps = [p for p in peers if not p.endswith('mt2')]
    row = [f"{irs[(b, p)]:,}" if (b, p) in irs else 'n/a' for p in ps]
    ratio = f"{irs[(b,'eddy-ct')] / irs[(b,'tokio-ct')]:.2f}" if (b,'eddy-ct') in irs and (b,'tokio-ct') in irs else 'n/a'
    print(f'| {b} Ir/op | ' + ' | '.join(row) + f' | {ratio} |')
if mem:
    print()
    print('| many_sleepers bytes/task | ' + ' | '.join(peers) + ' |')
    print('|---|' + '---|' * len(peers))
    row = []
    for p in peers:
        v = mem.get(('many_sleepers', p))
        row.append(f"{statistics.median(v):,.0f}" if v else 'n/a')
    print('| peak RSS growth / task | ' + ' | '.join(row) + ' |')
PY
cat "$OUT.md"

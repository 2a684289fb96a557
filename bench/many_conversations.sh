#!/usr/bin/env bash
# Stored conversations: what N conversations in the store cost in memory, on disk and per turn.
#
# For a large N (default 100,000) and a small one (default 1,000): fills a fresh store with N
# one-turn pizza conversations through `parley bench` (a one-turn script, so every lap is a new
# conversation), stops the server, restarts it on the same data and prints the conversations stored,
# the RSS right after the restart, the RSS after 1,000 turns on new conversations and the store size on
# disk; then measures turns/s and p50/p99 of a short closed-loop `parley bench` (the four-turn pizza
# order, new conversations) against each store, alternating small and large ROUNDS times, and prints
# the slowdown of the large store against the small one (issue 4 target: 1,000,000 stored
# conversations slow a turn by at most 20%).
#
# Usage: bench/many_conversations.sh [PATH/TO/parley]        (default build/parley; builds nothing)
# Environment: N (100000), SMALL_N (1000), DURATION (10 s per measured run), CONNECTIONS (32),
#   ROUNDS (3), DURABILITY (fsync), TIME_LIMIT (900 s for the whole run). N=1000000 for the full size.
# Loopback only; the temp folder and every server it started are removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PARLEY=${1:-$ROOT/build/parley}
N=${N:-100000}
SMALL_N=${SMALL_N:-1000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
DURABILITY=${DURABILITY:-fsync}
TIME_LIMIT=${TIME_LIMIT:-900}
BOTS=$ROOT/examples/bots

[[ -x $PARLEY ]] || { echo "no parley binary at $PARLEY (build it first, or pass its path)" >&2; exit 2; }
for tool in curl jq du; do
  command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/parley-many-conv-XXXXXX")
SERVER_PID=
WATCHDOG_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  [[ -n $WATCHDOG_PID ]] && kill "$WATCHDOG_PID" 2>/dev/null || true
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
# The whole run is bounded: past TIME_LIMIT the script is stopped (and cleans up).
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$TIME_LIMIT" &
  sleeper=$!
  wait "$sleeper"
  echo "time limit of ${TIME_LIMIT}s reached" >&2
  kill -TERM $$
) 2>/dev/null &
WATCHDOG_PID=$!

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# One turn, so each lap of `parley bench` is one new stored conversation.
cat >"$TMP/one_turn.yml" <<'EOF'
- text: hi
  expect: "Hi! What is your name?"
EOF

PORT=
start_server() {  # DATA_DIR
  local data=$1 logf=$1.log
  : >"$logf"
  "$PARLEY" serve --bots "$BOTS" --data "$data" --listen 127.0.0.1:0 --durability "$DURABILITY" \
    >/dev/null 2>"$logf" &
  SERVER_PID=$!
  PORT=
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; tail -5 "$logf" >&2; exit 1; }
    if [[ -z $PORT ]]; then
      PORT=$(grep -o '"msg":"listening".*' "$logf" | grep -o '"port":[0-9]*' | head -1 | cut -d: -f2 || true)
    fi
    if [[ -n $PORT ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/readyz") == 200 ]]; then
      return 0
    fi
    sleep 0.05
  done
  echo "server not ready in 60 s:" >&2
  tail -5 "$logf" >&2
  exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID"
  local deadline=$((SECONDS + 60))
  while kill -0 "$SERVER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

TURNS_OK='parley_turns_total{bot="pizza",outcome="ok"}'
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
metric() { curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {printf "%.0f", $2}'; }
bench() {  # parley bench args...; prints its JSON result
  timeout 300 "$PARLEY" bench --target "127.0.0.1:$PORT" --bot pizza --json -q "$@" || true
}

# Fills a fresh store in DATA_DIR with COUNT conversations; sets FILLED and FILL_S.
fill() {  # DATA_DIR COUNT
  local data=$1 count=$2
  start_server "$data"
  # A known conversation, read back after the restart: the store really kept what was written.
  curl -s --max-time 10 -XPOST "http://127.0.0.1:$PORT/v1/bots/pizza/conversations/probe/messages" \
    -H 'Content-Type: application/json' -d '{"id":"p1","text":"hi"}' >/dev/null
  local start_ns stored=0 chunk=2 rate=0 json errors=0
  start_ns=$(date +%s%N)
  while :; do
    stored=$(($(metric "$TURNS_OK") - 1))
    ((stored < count)) || break
    local left=$((count - stored))
    if ((left <= 20000)); then
      # The tail (or a small store): open loop at 4,000 turns/s, so it stops close to COUNT.
      json=$(bench --script "$TMP/one_turn.yml" -c 64 --rate 4000 -d "$(awk -v l=$left 'BEGIN {d = l / 4000; printf "%.3f", (d < 0.05 ? 0.05 : d)}')" --warmup 0)
    else
      # Closed loop as fast as the server goes, in chunks sized to leave a tail for the open loop.
      ((rate > 0)) && chunk=$(awk -v l=$left -v r=$rate 'BEGIN {d = (l - 10000) / r; if (d < 0.5) d = 0.5; if (d > 60) d = 60; printf "%.2f", d}')
      json=$(bench --script "$TMP/one_turn.yml" -c 64 -d "$chunk" --warmup 0)
      rate=$(jq -r '.turns_per_second | floor' <<<"$json")
    fi
    errors=$((errors + $(jq -r '.errors + .mismatches' <<<"$json")))
    (($(jq -r '.turns' <<<"$json") > 0)) || { echo "fill stalled: $json" >&2; exit 1; }
    log "  fill: $((stored + $(jq -r .turns <<<"$json"))) / $count conversations ($(jq -r '.turns_per_second | floor' <<<"$json")/s)"
  done
  FILLED=$stored
  FILL_S=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
  ((errors == 0)) || { echo "fill: $errors errors or mismatches" >&2; exit 1; }
  stop_server
}

# Restarts on DATA_DIR and measures memory; sets RSS_RESTART, RSS_AFTER, DISK, PROBE.
after_restart() {  # DATA_DIR
  local data=$1 json
  DISK=$(du -sh "$data" | cut -f1)
  start_server "$data"
  sleep 1
  RSS_RESTART=$(rss_mib)
  PROBE=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/v1/bots/pizza/conversations/probe" |
          jq -r '[.events[] | select(.event == "user")] | length')
  json=$(bench --script "$TMP/one_turn.yml" -c 16 --rate 1000 -d 1 --warmup 0)
  NEW_TURNS=$(jq -r .turns <<<"$json")
  RSS_AFTER=$(rss_mib)
  stop_server
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# One measured closed-loop run on DATA_DIR; prints "turns_per_s p50_ms p99_ms errors cpu_us_per_turn".
# CPU per turn (server user + system time over the turns it ran, warm-up included) is less disturbed
# by other load on the machine than turns/s.
measure() {  # DATA_DIR
  local json c0 c1 t0 t1
  start_server "$1"
  c0=$(cpu_ticks)
  t0=$(metric "$TURNS_OK")
  json=$(bench -c "$CONNECTIONS" -d "$DURATION" --warmup 2)
  c1=$(cpu_ticks)
  t1=$(metric "$TURNS_OK")
  stop_server
  jq -r --arg cpu "$(awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (t > 0 ? c / hz * 1e6 / t : 0)}')" \
    '[(.turns_per_second | floor), (.latency_us.p50 / 1000), (.latency_us.p99 / 1000), (.errors + .mismatches), $cpu] | @tsv' <<<"$json"
}

declare -A COUNT FILL_SECONDS RSS0 RSS1 DISK_SIZE PROBE_OK NEW
START=$SECONDS
log "parley: $PARLEY; bots: $BOTS; durability $DURABILITY; N=$N, SMALL_N=$SMALL_N"
for size in small large; do
  n=$N
  [[ $size == small ]] && n=$SMALL_N
  log "filling a store with $n conversations"
  fill "$TMP/$size" "$n"
  COUNT[$size]=$FILLED
  FILL_SECONDS[$size]=$FILL_S
  after_restart "$TMP/$size"
  RSS0[$size]=$RSS_RESTART
  RSS1[$size]=$RSS_AFTER
  DISK_SIZE[$size]=$DISK
  PROBE_OK[$size]=$PROBE
  NEW[$size]=$NEW_TURNS
done

declare -A TPS P50 P99 CPU
for ((round = 1; round <= ROUNDS; round++)); do
  for size in small large; do
    log "round $round: $DURATION s of parley bench -c $CONNECTIONS against the $size store"
    read -r tps p50 p99 errs cpu < <(measure "$TMP/$size")
    ((errs == 0)) || { echo "bench: $errs errors or mismatches" >&2; exit 1; }
    TPS[$size]+="$tps "
    P50[$size]+="$p50 "
    P99[$size]+="$p99 "
    CPU[$size]+="$cpu "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {printf "%g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
list() { echo $1 | xargs printf "%.${2:-0}f " | sed 's/ $//; s/ /, /g'; }

echo "Machine: $(nproc) cores, $(uname -sr); load generator (parley bench, 1 thread) on the same machine."
echo "Server: examples/bots, durability $DURABILITY. Run took $((SECONDS - START)) s."
echo
echo "| stored conversations | filled in | store on disk | probe read back | RSS after restart | RSS after 1,000 turns on new conversations |"
echo "|---:|---:|---:|---:|---:|---:|"
for size in small large; do
  printf "| %'d | %s s | %s | %s user message(s) | %s MiB | %s MiB (%s turns) |\n" "${COUNT[$size]}" \
    "${FILL_SECONDS[$size]}" "${DISK_SIZE[$size]}" "${PROBE_OK[$size]}" "${RSS0[$size]}" "${RSS1[$size]}" "${NEW[$size]}"
done
echo
echo "parley bench -c $CONNECTIONS -d $DURATION (four-turn pizza order, new conversations), $ROUNDS round(s) alternating the stores; medians in bold:"
echo
echo "| stored conversations | turns/s | p50 ms | p99 ms | server CPU µs/turn |"
echo "|---:|---|---|---|---|"
for size in small large; do
  printf "| %'d | %s (**%.0f**) | %s (**%.2f**) | %s (**%.2f**) | %s (**%.1f**) |\n" "${COUNT[$size]}" \
    "$(list "${TPS[$size]}")" "$(median <<<"${TPS[$size]}")" "$(list "${P50[$size]}" 2)" "$(median <<<"${P50[$size]}")" \
    "$(list "${P99[$size]}" 2)" "$(median <<<"${P99[$size]}")" "$(list "${CPU[$size]}" 1)" "$(median <<<"${CPU[$size]}")"
done
echo
awk -v s="$(median <<<"${TPS[small]}")" -v l="$(median <<<"${TPS[large]}")" \
    -v ps="$(median <<<"${P99[small]}")" -v pl="$(median <<<"${P99[large]}")" \
    -v cs="$(median <<<"${CPU[small]}")" -v cl="$(median <<<"${CPU[large]}")" \
    -v ns="${COUNT[small]}" -v nl="${COUNT[large]}" 'BEGIN {
  printf "Slowdown at %d stored conversations against %d (medians): turns/s x%.3f, server CPU per turn %+.1f%%, p99 x%.2f (issue 4 target: at most +20%% per turn at 1,000,000).\n",
         nl, ns, l / s, (cl / cs - 1) * 100, pl / ps
}'

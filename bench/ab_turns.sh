#!/usr/bin/env bash
# Turns/s of two parley binaries, alternating which runs first: for each run, `parley serve --bots
# examples/bots` on a fresh embedded store, wait for /readyz, `parley bench -c 32 -d 10` (closed
# loop, the pizza script), stop. For before/after comparisons of a change (bench/RESULTS.md).
#   bench/ab_turns.sh BEFORE_BINARY AFTER_BINARY [RUNS=6]
set -u
cd "$(dirname "$0")/.."
B=$1; A=$2; N=${3:-6}
run() {
  local bin=$1 dir port pid
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$bin" serve --bots examples/bots --data "$dir/data" --listen 127.0.0.1:$port --log-level warn > "$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do curl -sf http://127.0.0.1:$port/readyz > /dev/null && break; sleep 0.1; done
  "$bin" bench --target 127.0.0.1:$port -c 32 -d 10 2>&1 | grep -iE "turns/s|p50|p99" | tr '\n' ' '
  echo
  kill -TERM $pid; wait $pid 2>/dev/null
  rm -rf "$dir"
}
for i in $(seq 1 "$N"); do
  if (( i % 2 )); then echo -n "before: "; run "$B"; echo -n "after:  "; run "$A"
  else echo -n "after:  "; run "$A"; echo -n "before: "; run "$B"; fi
done

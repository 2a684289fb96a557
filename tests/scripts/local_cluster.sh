#!/usr/bin/env bash
# deploy/local-cluster.sh end to end: up 2 serves a conversation through HAProxy on Redis, up 1
# drains the surplus replica and the conversation goes on on the other one, up 2 again adds a
# replica, status reports each process, down stops them all. Usage: local_cluster.sh PATH_TO_PARLEY
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PARLEY_BIN="$1"
export PARLEY_CLUSTER_DIR="$(mktemp -d /tmp/parley-local-cluster.XXXXXX)"
export PARLEY_RATE_LIMIT_CONVERSATION_PER_S=0
cluster="$ROOT/deploy/local-cluster.sh"
trap '"$cluster" down >/dev/null 2>&1 || true; rm -rf "$PARLEY_CLUSTER_DIR"' EXIT

fail() { echo "FAIL: $*" >&2; "$cluster" status >&2 || true; for f in "$PARLEY_CLUSTER_DIR"/*.log; do tail -n 20 "$f" >&2; done || true; exit 1; }

"$cluster" up 2 >"$PARLEY_CLUSTER_DIR/up.out" || fail "up 2"
grep -q "2 replica(s) behind http://127.0.0.1:" "$PARLEY_CLUSTER_DIR/up.out" || fail "up 2 printed no URL"
lb="http://127.0.0.1:$(cat "$PARLEY_CLUSTER_DIR/ports/lb")"
post() { curl -s -m 10 -XPOST "$lb/v1/bots/pizza/conversations/cluster-check/messages" -H 'Content-Type: application/json' -d "$1"; }

reply="$(post '{"id":"m1","text":"hi"}')"
echo "$reply" | grep -q '"turn":1' || fail "first turn through HAProxy: $reply"
again="$(post '{"id":"m1","text":"hi"}')"
[ "$again" = "${reply%\}},\"replayed\":true}" ] || fail "the retried id got another reply: $again vs $reply"

status="$("$cluster" status)"
echo "$status"
[ "$(echo "$status" | grep -c 'readyz=200')" -eq 3 ] || fail "status: expected 2 replicas and HAProxy ready"
[ "$(echo "$status" | grep -cE '^  r[0-9] +UP')" -eq 2 ] || fail "status: HAProxy should see 2 servers UP"

"$cluster" up 1 >"$PARLEY_CLUSTER_DIR/up.out" || fail "up 1"
[ ! -e "$PARLEY_CLUSTER_DIR/replica2.pid" ] || fail "replica2 was not drained"
reply="$(post '{"id":"m2","text":"I am Ada"}')"
echo "$reply" | grep -q '"turn":2' || fail "the conversation did not go on after the drain: $reply"

# A replica joins again with no coordination beyond Redis: HAProxy gets it after its checks pass.
"$cluster" up 2 >"$PARLEY_CLUSTER_DIR/up.out" || fail "up 2 again"
[ "$("$cluster" status | grep -cE '^  r[0-9] +UP')" -eq 2 ] || fail "the joining replica is not UP in HAProxy"
reply="$(post '{"id":"m3","text":"large"}')"
echo "$reply" | grep -q '"turn":3' || fail "the conversation did not go on after the join: $reply"

"$cluster" down
status="$("$cluster" status)"
echo "$status" | grep -q "^redis      stopped" || fail "redis still runs after down"
echo "$status" | grep -q "^haproxy    stopped" || fail "haproxy still runs after down"
echo "$status" | grep -q "pid" && fail "a process still runs after down: $status"
echo "local-cluster: ok"

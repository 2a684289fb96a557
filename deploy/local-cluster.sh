#!/usr/bin/env bash
# Parley replicas on one Redis behind HAProxy, on loopback, from Debian's packages (redis-server and
# haproxy, both installed by scripts/install-deps.sh):
#
#   deploy/local-cluster.sh up [N]     Redis (deploy/redis.conf), N replicas (default 3) of
#                                      build/parley serving examples/bots on the Redis store, and
#                                      HAProxy (deploy/haproxy.cfg.template) in front; prints the URL.
#                                      Again with another N adds replicas or drains the surplus ones.
#   deploy/local-cluster.sh status     each process, each replica's /readyz, HAProxy's view
#   deploy/local-cluster.sh down       SIGTERM to the replicas (they drain), then HAProxy, then Redis
#
# State (pids, ports, logs, rendered configs, the Redis AOF) lives in $PARLEY_CLUSTER_DIR (default
# ./.cluster); `down` keeps the Redis data, remove the folder to start empty. Ports are free ones
# picked at the first `up` and kept in the state folder; LB_PORT and REDIS_PORT pin them.
# Overrides: PARLEY_BIN (default build/parley), PARLEY_BOTS (default examples/bots); PARLEY_*
# settings in the environment reach the replicas (e.g. PARLEY_RATE_LIMIT_CONVERSATION_PER_S=0).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${PARLEY_CLUSTER_DIR:-$PWD/.cluster}"
PARLEY_BIN="${PARLEY_BIN:-$ROOT/build/parley}"
PARLEY_BOTS="${PARLEY_BOTS:-$ROOT/examples/bots}"
DRAIN_WAIT_S="${DRAIN_WAIT_S:-40}"  # longer than the replicas' drain_timeout_ms (30 s)

log() { echo "local-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# A process that exited but was not reaped yet (its parent, this script's earlier run, is gone
# and init reaps late) is a zombie: it counts as stopped.
running() {
  kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}

# pid from FILE if that process is alive and is COMM (guards against a recycled pid).
pid_of() {
  local file="$1" comm="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && running "$pid" || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm"* ]] || return 1
  echo "$pid"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A port kept in the state folder under NAME, picked (or taken from DEFAULT) the first time.
port_for() {
  local name="$1" default="${2:-}" file="$DIR/ports/$1"
  if [ ! -s "$file" ]; then
    mkdir -p "$DIR/ports"
    if [ -n "$default" ]; then echo "$default" >"$file"; else free_port >"$file"; fi
  fi
  cat "$file"
}

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }

wait_ready() {  # URL SECONDS: until GET URL answers 200
  local url="$1" tries=$(( $2 * 10 ))
  for _ in $(seq 1 "$tries"); do
    [ "$(http_code "$url")" = "200" ] && return 0
    sleep 0.1
  done
  return 1
}

replica_count() { ls "$DIR"/replica*.pid 2>/dev/null | wc -l; }

need_tools() {
  if ! command -v redis-server >/dev/null || ! command -v haproxy >/dev/null || ! command -v redis-cli >/dev/null ||
     ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    log "installing the missing packages (scripts/install-deps.sh)"
    "$ROOT/scripts/install-deps.sh"
  fi
  [ -x "$PARLEY_BIN" ] || die "no $PARLEY_BIN: build it first (make build)"
}

start_redis() {
  local port pid
  port="$(port_for redis "${REDIS_PORT:-}")"
  if pid="$(pid_of "$DIR/redis.pid" redis-server)"; then
    log "redis already running (pid $pid, port $port)"
    return
  fi
  mkdir -p "$DIR/redis"
  nohup redis-server "$ROOT/deploy/redis.conf" --port "$port" --dir "$DIR/redis" \
    --logfile "$DIR/redis.log" --daemonize no </dev/null >/dev/null 2>&1 &
  echo $! >"$DIR/redis.pid"
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && { log "redis up (pid $!, port $port)"; return; }
    sleep 0.1
  done
  die "redis did not start, see $DIR/redis.log"
}

start_replica() {  # I
  local i="$1" port pid
  port="$(port_for "replica$i")"
  if pid="$(pid_of "$DIR/replica$i.pid" parley)"; then
    log "replica$i already running (pid $pid, port $port)"
    return
  fi
  mkdir -p "$DIR/replica$i"
  PARLEY_STORE=redis PARLEY_REDIS_URL="redis://127.0.0.1:$(port_for redis)" \
    nohup "$PARLEY_BIN" serve --bots "$PARLEY_BOTS" --data "$DIR/replica$i" --listen "127.0.0.1:$port" \
    </dev/null >>"$DIR/replica$i.log" 2>&1 &
  echo $! >"$DIR/replica$i.pid"
  log "replica$i starting (pid $!, port $port)"
}

stop_pid() {  # PIDFILE COMM SIGNAL SECONDS: signal, wait for the exit, SIGKILL after SECONDS
  local file="$1" comm="$2" sig="$3" secs="$4" pid
  if pid="$(pid_of "$file" "$comm")"; then
    kill -s "$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 $(( secs * 10 ))); do
      running "$pid" || break
      sleep 0.1
    done
    if running "$pid"; then
      log "$(basename "$file" .pid) did not exit within ${secs}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

render_haproxy() {  # N -> $DIR/haproxy.cfg
  local n="$1" servers="" i
  for i in $(seq 1 "$n"); do
    servers+="    server r$i 127.0.0.1:$(port_for "replica$i") check"$'\n'
  done
  awk -v listen="127.0.0.1:$(port_for lb "${LB_PORT:-}")" -v stats="127.0.0.1:$(port_for stats)" -v servers="$servers" '
    /^@SERVERS@$/ { printf "%s", servers; next }
    { gsub("@LISTEN@", listen); gsub("@STATS_LISTEN@", stats); print }
  ' "$ROOT/deploy/haproxy.cfg.template" >"$DIR/haproxy.cfg.new"
  haproxy -c -q -f "$DIR/haproxy.cfg.new" || die "invalid $DIR/haproxy.cfg.new"
  mv "$DIR/haproxy.cfg.new" "$DIR/haproxy.cfg"
}

start_haproxy() {
  local old="" pid
  if pid="$(pid_of "$DIR/haproxy.pid" haproxy)"; then
    if cmp -s "$DIR/haproxy.cfg" "$DIR/haproxy.cfg.running"; then
      log "haproxy already running (pid $pid)"
      return
    fi
    old="$pid"  # new configuration: the new process takes the ports, the old one finishes its requests
  fi
  if [ -n "$old" ]; then
    nohup haproxy -db -f "$DIR/haproxy.cfg" -sf "$old" </dev/null >>"$DIR/haproxy.log" 2>&1 &
  else
    nohup haproxy -db -f "$DIR/haproxy.cfg" </dev/null >>"$DIR/haproxy.log" 2>&1 &
  fi
  echo $! >"$DIR/haproxy.pid"
  cp "$DIR/haproxy.cfg" "$DIR/haproxy.cfg.running"
  log "haproxy ${old:+re}started (pid $!)"
}

up() {
  local n="${1:-3}" i
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "up N: N is a number of replicas (1 or more)"
  need_tools
  mkdir -p "$DIR"
  start_redis
  for i in $(seq 1 "$n"); do start_replica "$i"; done
  for i in $(seq 1 "$n"); do
    wait_ready "http://127.0.0.1:$(port_for "replica$i")/readyz" 30 ||
      die "replica$i not ready, see $DIR/replica$i.log"
  done
  # Replicas beyond N: out of HAProxy first, then drained.
  local surplus=()
  for f in "$DIR"/replica*.pid; do
    [ -e "$f" ] || continue
    i="$(basename "$f" .pid)"; i="${i#replica}"
    [ "$i" -gt "$n" ] && surplus+=("$i")
  done
  render_haproxy "$n"
  start_haproxy
  for i in "${surplus[@]}"; do
    log "replica$i drains (SIGTERM)"
    stop_pid "$DIR/replica$i.pid" parley TERM "$DRAIN_WAIT_S"
  done
  local lb="127.0.0.1:$(port_for lb)"
  wait_ready "http://$lb/readyz" 10 || die "haproxy does not answer on $lb, see $DIR/haproxy.log"
  echo "$n replica(s) behind http://$lb  (Redis 127.0.0.1:$(port_for redis), HAProxy stats http://127.0.0.1:$(port_for stats)/stats, state in $DIR)"
  echo "try: curl -s -XPOST http://$lb/v1/bots/pizza/conversations/me/messages -H 'Content-Type: application/json' -d '{\"id\":\"m1\",\"text\":\"hi\"}'"
}

status() {
  [ -d "$DIR" ] || { echo "no cluster state in $DIR"; return 0; }
  local pid port
  port="$(cat "$DIR/ports/redis" 2>/dev/null || echo '?')"
  if pid="$(pid_of "$DIR/redis.pid" redis-server)"; then
    echo "redis      pid $pid  127.0.0.1:$port  ping=$(redis-cli -p "$port" ping 2>&1 | head -1)  keys=$(redis-cli -p "$port" dbsize 2>/dev/null)  $(redis-cli -p "$port" info memory 2>/dev/null | grep '^used_memory_human' | tr -d '\r')"
  else
    echo "redis      stopped"
  fi
  for f in "$DIR"/replica*.pid; do
    [ -e "$f" ] || continue
    local name; name="$(basename "$f" .pid)"
    port="$(cat "$DIR/ports/$name")"
    if pid="$(pid_of "$f" parley)"; then
      echo "$name   pid $pid  127.0.0.1:$port  readyz=$(http_code "http://127.0.0.1:$port/readyz")"
    else
      echo "$name   stopped (127.0.0.1:$port)"
    fi
  done
  if pid="$(pid_of "$DIR/haproxy.pid" haproxy)"; then
    local lb; lb="127.0.0.1:$(cat "$DIR/ports/lb")"
    echo "haproxy    pid $pid  http://$lb  readyz=$(http_code "http://$lb/readyz")"
    # HAProxy's view: server, status (UP/DOWN/DRAIN), check result, current sessions, retries, redispatches.
    curl -s -m 2 "http://127.0.0.1:$(cat "$DIR/ports/stats")/stats;csv" 2>/dev/null |
      awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
               $1 == "replicas" && $2 != "BACKEND" && $2 != "FRONTEND" {
                 printf "  %-4s %-5s check=%s sessions=%s retries=%s redispatches=%s\n", $2, $col["status"],
                        $col["check_status"], $col["scur"], $col["wretr"], $col["wredis"] }'
  else
    echo "haproxy    stopped"
  fi
}

down() {
  [ -d "$DIR" ] || { log "nothing to stop (no $DIR)"; return 0; }
  local f pids=()
  # All replicas drain at once: SIGTERM makes /readyz 503 (HAProxy stops sending), the turns in
  # flight finish, each exits 0.
  for f in "$DIR"/replica*.pid; do
    [ -e "$f" ] || continue
    local pid
    if pid="$(pid_of "$f" parley)"; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$f"); else rm -f "$f"; fi
  done
  for f in "${pids[@]}"; do stop_pid "$f" parley TERM "$DRAIN_WAIT_S"; done
  stop_pid "$DIR/haproxy.pid" haproxy TERM 10
  rm -f "$DIR/haproxy.cfg.running"
  # SIGTERM: Redis fsyncs the AOF and exits.
  stop_pid "$DIR/redis.pid" redis-server TERM 30
  log "stopped (Redis data kept in $DIR/redis)"
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up [N] | status | down" >&2; exit 2 ;;
esac

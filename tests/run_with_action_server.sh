#!/usr/bin/env bash
# Runs a command with the example action server listening on a free loopback port, exported as
# PARLEY_ACTION_ENDPOINT; stops the server afterwards.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
fifo="$(mktemp -u)"
mkfifo "$fifo"
python3 "$here/action_server.py" --port 0 >"$fifo" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$fifo"' EXIT
read -r port <"$fifo"
export PARLEY_ACTION_ENDPOINT="http://127.0.0.1:${port}/webhook"
"$@"

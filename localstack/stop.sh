#!/usr/bin/env bash
# Stops the LocalStack that start.sh started (the whole process group: the Python
# runtime and its DynamoDB Local JVM) and waits until it has exited. Never touches
# a LocalStack it did not start. No error if nothing is running.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { echo "[localstack/stop] $*"; }

pid="$(cat "$LS_PIDFILE" 2>/dev/null || true)"
if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null \
    || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'localstack.runtime.main'; then
    rm -f "$LS_PIDFILE" "$LS_STARTED_MARKER"
    if python3 -c "import urllib.request as u; u.urlopen('$LS_URL/_localstack/health', timeout=2)" 2>/dev/null; then
        say "a LocalStack answers at $LS_URL but was not started by start.sh; leaving it alone"
    else
        say "not running"
    fi
    exit 0
fi

descendants() {  # all live descendants of $1 (DynamoDB Local runs in its own session)
    local c
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done
}
kids="$(descendants "$pid" | tr '\n' ' ')"
say "stopping LocalStack (process group $pid; children: ${kids:-none}) ..."
kill -TERM -- "-$pid" 2>/dev/null || true
for _ in $(seq 1 100); do                # up to 20s for a clean shutdown
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.2
done
if kill -0 -- "-$pid" 2>/dev/null; then
    say "still alive after 20s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 0.5
fi
for k in $kids; do  # normally already gone: LocalStack stops DynamoDB Local on SIGTERM
    kill -0 "$k" 2>/dev/null && { say "killing leftover child $k"; kill -KILL "$k" 2>/dev/null || true; }
done
rm -f "$LS_PIDFILE" "$LS_STARTED_MARKER"
say "stopped"

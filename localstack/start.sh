#!/usr/bin/env bash
# Makes sure a LocalStack answers on 127.0.0.1:4566 with dynamodb, sns, ses, sesv2 and
# sqs ready; exits 0 once it does.
# * Nothing listening: runs setup.sh if needed, starts LocalStack in the background
#   (own process group; log .local/localstack.log, pid .local/localstack.pid) and
#   creates .local/localstack.started-by-us.
# * Already running: says so, and removes .local/localstack.started-by-us.
# So right after this script, that file exists iff THIS call started LocalStack:
#   localstack/start.sh
#   [[ -f .local/localstack.started-by-us ]] && trap localstack/stop.sh EXIT
# Timeout: LOCALSTACK_START_TIMEOUT seconds (default 120).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say() { echo "[localstack/start] $*"; }
TIMEOUT="${LOCALSTACK_START_TIMEOUT:-120}"
REQUIRED="dynamodb sns ses sesv2 sqs"

# Prints what listens on 4566: "ready", "not-ready: <why>", "down" (nothing) or
# "foreign: <why>" (something answers HTTP, but it is not LocalStack's health API).
probe() {
    python3 - "$LS_URL" "$REQUIRED" <<'EOF' || echo "not-ready: probe failed"
import json, sys, urllib.error, urllib.request
url, required = sys.argv[1], sys.argv[2].split()
try:
    with urllib.request.urlopen(url + "/_localstack/health", timeout=3) as r:
        services = json.load(r)["services"]
except urllib.error.HTTPError as e:
    sys.exit(print(f"foreign: /_localstack/health answered HTTP {e.code}"))
except (ValueError, KeyError, TypeError):
    sys.exit(print("foreign: /_localstack/health is not LocalStack's health JSON"))
except Exception as e:  # refused -> nothing listens; timeouts etc. -> busy
    sys.exit(print("down" if "refused" in str(e) else f"not-ready: {e}"))
bad = {s: services.get(s, "absent") for s in required if services.get(s) not in ("available", "running")}
print("ready" if not bad else "not-ready: " + ", ".join(f"{k}={v}" for k, v in bad.items()))
EOF
}

# Services start lazily on their first request (DynamoDB Local's JVM takes ~4s):
# one cheap call per service, so "ready" really means ready.
warm_up() {
    python3 - "$LS_URL" "$AWS_REGION" <<'EOF'
import sys, urllib.request
url, region = sys.argv[1], sys.argv[2]
def auth(svc):  # LocalStack reads region/service from the scope; it does not check signatures
    return f"AWS4-HMAC-SHA256 Credential=test/20250101/{region}/{svc}/aws4_request, SignedHeaders=host, Signature=0"
form = "application/x-www-form-urlencoded"
calls = [
    ("dynamodb", "POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}),
    ("sns", "POST", "/", b"Action=ListTopics&Version=2010-03-31", {"Content-Type": form}),
    ("ses", "POST", "/", b"Action=ListIdentities&Version=2010-12-01", {"Content-Type": form}),
    ("ses", "GET", "/v2/email/identities", None, {}),  # SES v2 (signing name "ses") -> the shim
    ("sqs", "POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"}),
]
for svc, method, path, body, headers in calls:
    req = urllib.request.Request(url + path, data=body, method=method, headers={**headers, "Authorization": auth(svc)})
    try:
        with urllib.request.urlopen(req, timeout=90) as r:
            r.read()
    except Exception as e:
        sys.exit(f"warm-up {svc} {method} {path} failed: {e}")
EOF
}

STARTED=0  # set once this call launched LocalStack: only then is its log relevant
fail() {
    echo "[localstack/start] ERROR: $*" >&2
    if [[ $STARTED == 1 && -f "$LS_LOG" ]]; then
        echo "----- last 40 lines of $LS_LOG -----" >&2
        tail -n 40 "$LS_LOG" >&2
        echo "------------------------------------" >&2
    fi
    # don't leave a half-started LocalStack behind: the next call starts afresh
    [[ $STARTED == 1 ]] && "$LS_DIR/stop.sh" >&2
    exit 1
}

wait_ready() {  # wait_ready PID-or-empty
    local pid="$1" state deadline=$((SECONDS + TIMEOUT))
    while :; do
        state="$(probe)"
        [[ "$state" == ready ]] && return 0
        [[ "$state" == foreign:* ]] && fail "port $LS_PORT: $state"
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$LS_PIDFILE" "$LS_STARTED_MARKER"
            fail "LocalStack (pid $pid) exited during startup"
        fi
        ((SECONDS < deadline)) || fail "not ready after ${TIMEOUT}s (last health: $state)"
        sleep 0.3
    done
}

state="$(probe)"
[[ "$state" == foreign:* ]] && fail "something that is not LocalStack uses $LS_URL ($state)"
if [[ "$state" != down ]]; then
    rm -f "$LS_STARTED_MARKER"
    owner="not started by these scripts"
    if [[ -f "$LS_PIDFILE" ]] && kill -0 "$(cat "$LS_PIDFILE")" 2>/dev/null; then
        owner="pid $(cat "$LS_PIDFILE"), started earlier by start.sh"
    fi
    say "LocalStack already running at $LS_URL ($owner); waiting for services ..."
    wait_ready ""
    warm_up || fail "LocalStack at $LS_URL does not answer all of: $REQUIRED"
    say "ready at $LS_URL (started by this call: no)"
    exit 0
fi

if ! "$LS_DIR/setup.sh" --check; then
    say "setup incomplete; running setup.sh ..."
    "$LS_DIR/setup.sh"
fi

mkdir -p "$LS_LOCAL"
t0=$(date +%s.%N)
say "starting LocalStack 4.9.2 (host mode, services: $SERVICES); log: $LS_LOG"
# setsid: own session + process group (pgid == pid), so stop.sh can end LocalStack
# and its DynamoDB Local JVM together. stdin from /dev/null: fully detached.
setsid "$LS_VENV/bin/python" -m localstack.runtime.main >"$LS_LOG" 2>&1 </dev/null &
pid=$!
STARTED=1
echo "$pid" >"$LS_PIDFILE"
printf 'pid=%s started=%s\n' "$pid" "$(date -Is)" >"$LS_STARTED_MARKER"
wait_ready "$pid"
warm_up || fail "LocalStack started but a service does not answer"
say "ready at $LS_URL in $(python3 -c "import sys;print(round($(date +%s.%N)-$t0,1))")s (pid $pid; started by this call: yes)"

#!/usr/bin/env bash
# Real-browser tests of the flows: registration (registration.test.mjs), login, private area
# and logout (login.test.mjs), passkeys with a virtual authenticator (passkey.test.mjs), credential recovery (recovery.test.mjs), the private area's
# self-service (area.test.mjs), the dev inbox and the emails (inbox.test.mjs), the dev
# metrics (metrics.test.mjs). Debian's Chromium
# against the real local gateway (target/debug/local-gateway) and the real LocalStack,
# which must already be running (scripts/test.sh starts it; by hand: localstack/start.sh).
#
# GATEWAY_MODE=lambda (default) runs every flow request as AWS does: an API Gateway HTTP API
# event to the function's own debug binary through the gateway's Lambda Runtime API
# emulator (ARCHITECTURE.md, "The Lambda event path locally"). GATEWAY_MODE=inprocess calls
# the handlers inside the gateway instead (faster to build; what `make run` does).
#
# It builds what it needs, bootstraps its own table (TABLE_NAME, default "portale-browser"),
# starts the gateway on a free port of 127.0.0.1 — opened as http://localhost:PORT, since
# WebAuthn takes no IP address as RP ID (passkey.test.mjs) — waits until it answers, runs the tests and
# stops the gateway on exit. The gateway's log (with the functions' own logs in lambda
# mode) is kept in artifacts/gateway-flow.log.
#   tests/browser/run-flow-tests.sh                 # every flow test
#   tests/browser/run-flow-tests.sh --test-name-pattern=tastiera
#   tests/browser/run-flow-tests.sh login.test.mjs  # only the files named (other args go to node)
#   GATEWAY_MODE=inprocess tests/browser/run-flow-tests.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

"$here/setup.sh"
. "$repo/localstack/env.sh"
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi

if ! curl -fsS -o /dev/null --max-time 5 "$LS_URL/_localstack/health"; then
  echo "run-flow-tests.sh: LocalStack non risponde su $LS_URL (avvialo con localstack/start.sh)" >&2
  exit 1
fi

export SITE_DIR="${SITE_DIR:-$repo/target/site}"
export GATEWAY_MODE="${GATEWAY_MODE:-lambda}"
# `--workspace` with `--bin`: the workspace's features, so the test build's artifacts are
# reused (a `-p` subset resolves features anew and compiles shared and the SDK again).
bins=(--bin local-gateway --bin portale-admin --bin static-site)
if [ "$GATEWAY_MODE" = lambda ]; then
  # Every function crate (one binary each, named like its folder).
  for d in "$repo"/functions/*/; do bins+=(--bin "$(basename "$d")"); done
fi
# PORTALE_BINS_BUILT: scripts/test.sh built them with every target already (building again
# here would resolve features without the dev-dependencies' and compile the functions anew).
if [ -z "${PORTALE_BINS_BUILT:-}" ]; then
  (cd "$repo" && cargo build -q --workspace "${bins[@]}")
fi
# The site's hashed assets must match the gateway's pages: regenerate it (fast).
bin="${CARGO_TARGET_DIR:-$repo/target}/debug"   # where cargo put the binaries
(cd "$repo" && "$bin/static-site" --out "$SITE_DIR")
if [ "$GATEWAY_MODE" = lambda ]; then
  # Cold starts happen all through the run: take the binaries just built as they are now
  # (hard links), so that a rebuild meanwhile (another cargo on this target dir) cannot
  # swap a function under the running tests.
  export LAMBDA_BIN_DIR="$here/artifacts/lambda-bins"
  rm -rf "$LAMBDA_BIN_DIR" && mkdir -p "$LAMBDA_BIN_DIR"
  for d in "$repo"/functions/*/; do
    f="$(basename "$d")"
    ln "$bin/$f" "$LAMBDA_BIN_DIR/$f" 2>/dev/null || cp "$bin/$f" "$LAMBDA_BIN_DIR/$f"
  done
fi

# A free port: bind port 0, read it, release it.
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export PORT="$port"
export TABLE_NAME="${BROWSER_TABLE_NAME:-portale-browser}"
# localhost, not 127.0.0.1: the passkeys' RP ID (an address is none) and their origin.
export PUBLIC_BASE_URL="http://localhost:$port"
# The gateway listens on 127.0.0.1 only: node's fetch resolves localhost there first.
export NODE_OPTIONS="${NODE_OPTIONS:-} --dns-result-order=ipv4first"
export EMAIL_FROM_ADDRESS="${EMAIL_FROM_ADDRESS:-convenzionemobile8@telecomitalia.it}"
# The flow secret in LocalStack's Secrets Manager (bootstrap creates it; the functions read it).
export FLOW_SECRET_ARN="portale/$TABLE_NAME/flow-secret"
export COOKIE_SECURE=false
# Its own outbox queue (bootstrap creates it, the gateway's poller delivers it).
export OUTBOX_QUEUE_URL="$LS_SQS_QUEUE_URL_PREFIX/$TABLE_NAME-outbox"
export ORIGIN_VERIFY_SECRET="browser-origin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The tests play many users from one host, each with its own address (flow-helpers.mjs).
export GATEWAY_SIMULATED_CLIENTS=1
export PORTALE_ADMIN="$bin/portale-admin"

"$PORTALE_ADMIN" bootstrap --demo >/dev/null

mkdir -p "$here/artifacts"
log="$here/artifacts/gateway-flow.log"
echo "run-flow-tests.sh: gateway in modalità $GATEWAY_MODE (log: $log)"
"$bin/local-gateway" >"$log" 2>&1 &
gw_pid=$!
stop_gateway() {
  if kill -0 "$gw_pid" 2>/dev/null; then
    kill "$gw_pid" 2>/dev/null || true
    wait "$gw_pid" 2>/dev/null || true
  fi
}
trap stop_gateway EXIT

# Readiness: poll until the gateway serves step 1 (or give up if it died or after 60 s).
deadline=$((SECONDS + 60))
until curl -fs -o /dev/null --max-time 2 "$PUBLIC_BASE_URL/registrazione/numero"; do
  if ! kill -0 "$gw_pid" 2>/dev/null; then
    echo "run-flow-tests.sh: il gateway è terminato all'avvio:" >&2
    cat "$log" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "run-flow-tests.sh: il gateway non risponde su $PUBLIC_BASE_URL dopo 60 s:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1 # poll interval, not a wait for a fixed time
done

cd "$here"
files=()
node_args=()
for arg in "$@"; do
  case "$arg" in
    *.test.mjs) files+=("$(basename "$arg")") ;;
    *) node_args+=("$arg") ;;
  esac
done
status=0
if [ "${#files[@]}" -eq 0 ]; then
  # Each file's users, numbers and messages are its own, so the files run side by side
  # (FLOW_TEST_CONCURRENCY, default 2: most of a test's time is waiting on the functions and
  # LocalStack); the metrics' file asserts exact counts of the whole gateway, so it runs
  # alone, after them.
  files=(inbox.test.mjs area.test.mjs registration.test.mjs login.test.mjs recovery.test.mjs passkey.test.mjs)
  node --test --test-concurrency="${FLOW_TEST_CONCURRENCY:-2}" "${node_args[@]}" "${files[@]}" || status=$?
  node --test --test-concurrency=1 "${node_args[@]}" metrics.test.mjs || status=$?
else
  node --test --test-concurrency=1 "${node_args[@]}" "${files[@]}" || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "run-flow-tests.sh: test falliti; ultime righe del log del gateway ($log):" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"

# shellcheck shell=bash
# Source me: `start_gateway TABLE` gives a local portal for measurements (page weight,
# Lighthouse): LocalStack (started if needed, stopped on exit if we started it), the debug
# gateway, static site and admin built, the public site regenerated, table TABLE
# bootstrapped with demo data, the gateway on a free port of 127.0.0.1 — polled until it
# serves step 1 — and stopped on exit. Sets BASE_URL. Log: target/perf/gateway-TABLE.log.
# With BASE_URL already set in the environment, uses that portal instead and starts nothing.

_gw_cleanup=()
_gw_on_exit() {
  local i
  for ((i = ${#_gw_cleanup[@]} - 1; i >= 0; i--)); do eval "${_gw_cleanup[i]}" || true; done
}
trap _gw_on_exit EXIT

start_gateway() {
  local table="$1" root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [[ -n "${BASE_URL:-}" ]]; then
    echo "[gateway] using the portal at $BASE_URL"
    return 0
  fi
  if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
  . "$root/localstack/env.sh"
  # `--workspace` with `--bin`: the workspace's feature resolution, so the test build's
  # artifacts are reused (a `-p` subset resolves features anew and recompiles the AWS SDK).
  # PORTALE_BINS_BUILT: scripts/test.sh built them with every target already.
  if [[ -z "${PORTALE_BINS_BUILT:-}" ]]; then
    (cd "$root" && cargo build -q --workspace --bin local-gateway --bin portale-admin --bin static-site)
  fi
  local bin="${CARGO_TARGET_DIR:-$root/target}/debug"
  (cd "$root" && "$bin/static-site" --out target/site >/dev/null)
  "$root/localstack/start.sh"
  if [[ -f "$LS_STARTED_MARKER" ]]; then _gw_cleanup+=("'$root/localstack/stop.sh'"); fi

  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  export PORT="$port" TABLE_NAME="$table" PUBLIC_BASE_URL="http://127.0.0.1:$port" COOKIE_SECURE=false
  # Its own outbox queue (bootstrap creates it, the gateway's poller delivers it).
  export OUTBOX_QUEUE_URL="$LS_SQS_QUEUE_URL_PREFIX/$table-outbox"
  export EMAIL_FROM_ADDRESS="${EMAIL_FROM_ADDRESS:-convenzionemobile8@telecomitalia.it}"
  # The flow secret in LocalStack's Secrets Manager (bootstrap creates it).
  export FLOW_SECRET_ARN="portale/$table/flow-secret"
  ORIGIN_VERIFY_SECRET="measure-origin-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export ORIGIN_VERIFY_SECRET
  export SITE_DIR="$root/target/site"
  "$bin/portale-admin" bootstrap --demo >/dev/null

  mkdir -p "$root/target/perf"
  local log="$root/target/perf/gateway-$table.log"
  "$bin/local-gateway" >"$log" 2>&1 &
  local pid=$!
  _gw_cleanup+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
  local deadline=$((SECONDS + 60))
  until curl -fs -o /dev/null --max-time 2 "$PUBLIC_BASE_URL/registrazione/numero"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "[gateway] the gateway exited while starting:" >&2
      cat "$log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "[gateway] no answer at $PUBLIC_BASE_URL after 60 s:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1 # poll interval while waiting for readiness
  done
  BASE_URL="$PUBLIC_BASE_URL"
  echo "[gateway] portal at $BASE_URL (table $table, pid $pid, log $log)"
}

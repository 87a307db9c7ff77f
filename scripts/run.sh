#!/usr/bin/env bash
# Runs the whole portal locally: LocalStack (no Docker), bootstrap with demo data, the
# public site and the local gateway, opened at http://localhost:${PORT:-3000} (it listens on
# 127.0.0.1; localhost, not the address, is what passkeys need as their RP ID). Ctrl-C stops all.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
. localstack/env.sh

step "Compilo il portale (la prima volta richiede alcuni minuti)"
# `--workspace` with `--bin`: one feature resolution for every build of the workspace (run,
# tests), so switching between them compiles nothing again.
packages=(--workspace --bin local-gateway --bin portale-admin --bin static-site)
# GATEWAY_MODE=lambda make run: the functions run as their own binaries (ARCHITECTURE.md).
if [[ "${GATEWAY_MODE:-}" == lambda ]]; then
  for d in functions/*/; do packages+=(--bin "$(basename "$d")"); done
fi
cargo build "${packages[@]}"
build_site

step "Avvio LocalStack su 127.0.0.1:4566"
localstack/start.sh
if [[ -f "$LS_STARTED_MARKER" ]]; then trap 'localstack/stop.sh' EXIT; fi

export TABLE_NAME="${TABLE_NAME:-portale}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:${PORT:-3000}}"
export EMAIL_FROM_ADDRESS="${EMAIL_FROM_ADDRESS:-convenzionemobile8@telecomitalia.it}"
# The flow secret's name in LocalStack's Secrets Manager (bootstrap creates it with a random
# value); the functions read it at first use, never from the environment.
export FLOW_SECRET_ARN="${FLOW_SECRET_ARN:-portale/local/flow-secret}"
# The gateway's (CloudFront's and the API WAF's) origin secret; the functions never see it.
export ORIGIN_VERIFY_SECRET="${ORIGIN_VERIFY_SECRET:-segreto-di-origine-solo-per-sviluppo-locale}"
export COOKIE_SECURE=false
# The outbox queue (bootstrap creates it; the gateway's poller delivers it).
export OUTBOX_QUEUE_URL="${OUTBOX_QUEUE_URL:-$LS_SQS_QUEUE_URL_PREFIX/portale-outbox}"
export SITE_DIR="$ROOT/target/site"

step "Preparo tabella, identità email e dati dimostrativi"
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/portale-admin" bootstrap --demo

step "Avvio il portale"
echo "Registrati con uno dei numeri dimostrativi qui sopra; codici SMS ed email arrivano in http://localhost:${PORT:-3000}/_dev/inbox"
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/local-gateway"

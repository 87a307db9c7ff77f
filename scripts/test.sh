#!/usr/bin/env bash
# Runs every test: formatting and clippy first, Rust unit + integration tests against real
# LocalStack, the SES v2 shim's tests, the SAM template checks, and the real-browser tests in
# Chromium.
# Starts LocalStack if it is not running and stops what it started.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
. localstack/env.sh

step "Formato e lint (cargo fmt --check, cargo clippy -D warnings, righe ≤ 120 caratteri)"
# The toolchain's components, if this machine's rustup lacks them (the Rust server is reachable).
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# rustfmt leaves long string literals alone; scripts/wrap-long-lines.py (without --check) wraps them.
python3 scripts/wrap-long-lines.py --check $(git ls-files '*.rs')

step "Compilo (workspace, binari delle funzioni e test)"
# --bins: tests/tests/api/lambda_path.rs and the browser flow tests run the function binaries.
cargo build --workspace --bins --tests
build_site

step "Avvio LocalStack"
localstack/start.sh
if [[ -f "$LS_STARTED_MARKER" ]]; then trap 'localstack/stop.sh' EXIT; fi

step "Test Rust (unità e integrazione su LocalStack)"
cargo test --workspace --no-fail-fast

step "Test dello shim SES v2 di LocalStack"
localstack/test-shim.sh

step "Template SAM: sam validate e sam validate --lint"
infra/scripts/validate.sh

step "Test nel browser (Chromium)"
tests/browser/setup.sh
tests/browser/run-site-tests.sh
# The registration end to end in Chromium: its own gateway on a free port, against LocalStack.
tests/browser/run-flow-tests.sh

step "Peso delle pagine (≤ 50 KB ciascuna, risorse comprese)"
scripts/page-weight.sh

step "Tutti i test sono passati"

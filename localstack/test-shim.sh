#!/usr/bin/env bash
# Runs the SES v2 shim's pytest file against the LocalStack already running at
# 127.0.0.1:4566 (start it with localstack/start.sh). Starts/stops nothing.
# Extra arguments go to pytest. Exit status is pytest's.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# The venv comes with setup.sh (idempotent); a LocalStack started by another checkout
# leaves this one without it.
[[ -x "$LS_VENV/bin/pytest" ]] || "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
[[ -x "$LS_VENV/bin/pytest" ]] || { echo "[localstack/test-shim] ERROR: no venv after localstack/setup.sh" >&2; exit 1; }
echo "[localstack/test-shim] pytest sesv2_shim/tests against $AWS_ENDPOINT_URL ($AWS_REGION)"
cd "$LS_DIR/sesv2_shim"
exec "$LS_VENV/bin/pytest" -q -p no:cacheprovider tests "$@"

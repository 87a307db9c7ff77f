#!/usr/bin/env bash
# Creates (or reuses) a Python venv with a pinned AWS SAM CLI, for offline template
# validation (`infra/scripts/validate.sh`) and for `sam build` / `sam deploy`.
#
#   bash infra/scripts/setup-sam.sh            # SAM CLI only
#   WITH_CARGO_LAMBDA=1 bash infra/scripts/setup-sam.sh   # + cargo-lambda (brings zig)
#
# The venv lives at $REPO/.local/venv-sam (git-ignored). A marker file records the
# pinned versions; when they match, nothing is downloaded again.
set -euo pipefail

SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${SAM_VENV:-$REPO/.local/venv-sam}"
PYTHON="${PYTHON:-python3}"

want="aws-sam-cli==$SAM_CLI_VERSION"
if [[ "${WITH_CARGO_LAMBDA:-0}" == "1" ]]; then
    want="$want cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
marker="$VENV/.portale-installed"

if [[ -x "$VENV/bin/sam" && -f "$marker" ]] && grep -qxF "$want" "$marker"; then
    echo "setup-sam: reusing $VENV ($want)" >&2
    exit 0
fi
# A venv with a superset install (SAM + cargo-lambda) also satisfies a SAM-only request.
if [[ -x "$VENV/bin/sam" && -f "$marker" && "${WITH_CARGO_LAMBDA:-0}" != "1" ]] \
    && grep -q "aws-sam-cli==$SAM_CLI_VERSION" "$marker"; then
    echo "setup-sam: reusing $VENV ($(cat "$marker"))" >&2
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "setup-sam: creating venv $VENV" >&2
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# shellcheck disable=SC2086
"$VENV/bin/pip" install --quiet $want
"$VENV/bin/sam" --version >&2
if [[ "${WITH_CARGO_LAMBDA:-0}" == "1" ]]; then
    "$VENV/bin/cargo-lambda" lambda --version >&2
fi
printf '%s\n' "$want" > "$marker"
echo "setup-sam: ready: $VENV" >&2

# shellcheck shell=bash
# Source me (`. localstack/env.sh`): points AWS SDKs at the local LocalStack and
# holds every setting the host-mode (no Docker) LocalStack needs. Used by
# setup.sh / start.sh / stop.sh / test-shim.sh and by the project's test scripts.
# Safe under `set -u`; sourcing it twice is harmless. See README.md for why.

LS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LS_REPO_ROOT="$(cd "$LS_DIR/.." && pwd)"
LS_LOCAL="$LS_REPO_ROOT/.local"                    # git-ignored
LS_VENV="$LS_LOCAL/venv-localstack"
LS_DDB_NPM="$LS_LOCAL/ddb-npm"
LS_LOG="$LS_LOCAL/localstack.log"
LS_PIDFILE="$LS_LOCAL/localstack.pid"
LS_STARTED_MARKER="$LS_LOCAL/localstack.started-by-us"
# LS_PORT (default 4566): another port lets a second checkout run its own LocalStack
# next to one that others are using.
LS_PORT="${LS_PORT:-4566}"
LS_URL="http://127.0.0.1:$LS_PORT"
export LS_DIR LS_REPO_ROOT LS_LOCAL LS_VENV LS_DDB_NPM LS_LOG LS_PIDFILE LS_STARTED_MARKER LS_PORT LS_URL

# --- clients (AWS SDKs, boto3, aws CLI) --------------------------------------
export AWS_ENDPOINT_URL="$LS_URL"
export AWS_REGION=eu-south-1
export AWS_DEFAULT_REGION="$AWS_REGION"   # boto3/botocore read this one
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test

# --- LocalStack runtime (python -m localstack.runtime.main) -------------------
export GATEWAY_LISTEN="127.0.0.1:$LS_PORT"
export SERVICES=dynamodb,sns,ses,sesv2,sqs,secretsmanager,sts
export EAGER_SERVICE_LOADING=1       # load providers (and DynamoDB Local) at boot, not on first call
export SKIP_SSL_CERT_DOWNLOAD=1      # no internet: don't fetch the localhost.localstack.cloud cert
export DISABLE_EVENTS=1              # no analytics calls home
export DNS_ADDRESS=0                 # no DNS server (not needed; its psutil import fails in 4.9.2 anyway)
export DYNAMODB_IN_MEMORY=1          # DynamoDB Local -inMemory: every start begins empty, like SNS/SES
export OVERRIDE_IN_DOCKER=0          # these hosts contain /.dockerenv; we are NOT in the LocalStack image
export FILESYSTEM_ROOT="$LS_LOCAL/localstack-fs"        # instead of /var/lib/localstack etc.
export LOCALSTACK_VOLUME_DIR="$LS_LOCAL/localstack-volume"
# Queue URLs http://127.0.0.1:4566/queue/<region>/<account>/<name>: on loopback, no DNS name
# (the default *.localhost.localstack.cloud host would need DNS).
export SQS_ENDPOINT_STRATEGY=path
export LOCALSTACK_HOST="127.0.0.1:$LS_PORT"
# The outbox queue of a local portal named NAME: "$LS_SQS_QUEUE_URL_PREFIX/NAME"
# (LocalStack's default account); `portale-admin bootstrap` creates the queue.
export LS_SQS_QUEUE_URL_PREFIX="$LS_URL/queue/$AWS_REGION/000000000000"

#!/usr/bin/env bash
# Offline validation of infra/template.yaml: no AWS account, no network, region only.
#
#   bash infra/scripts/validate.sh [template]
#
# 1. `sam validate`         runs the SAM transform locally (catches bad Refs/GetAtts,
#                           malformed events and properties the linter lets through);
# 2. `sam validate --lint`  runs cfn-lint over the template (resource schemas, IAM
#                           actions, CloudFront settings...). Warnings fail too.
# Exits non-zero if either fails.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATE="${1:-$REPO/infra/template.yaml}"
REGION="${AWS_REGION:-eu-south-1}"

bash "$REPO/infra/scripts/setup-sam.sh"
SAM="${SAM_VENV:-$REPO/.local/venv-sam}/bin/sam"

# sam validate builds a boto session even when it never calls AWS: give it dummy
# credentials (unless real ones are set) and keep it quiet and offline.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIAIOSFODNN7EXAMPLE}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}"
export AWS_DEFAULT_REGION="$REGION" AWS_REGION="$REGION"
export AWS_EC2_METADATA_DISABLED=true
export SAM_CLI_TELEMETRY=0 SAM_CLI_CONTACT_TELEMETRY=0
export SAM_CLI_DISABLE_VERSION_CHECK=1 SAM_CLI_UPDATE_CHECK=0

status=0
echo "== sam validate ($TEMPLATE, $REGION)"
if ! "$SAM" validate --template "$TEMPLATE" --region "$REGION"; then
    echo "validate.sh: sam validate FAILED" >&2
    status=1
fi
echo "== sam validate --lint"
if ! "$SAM" validate --lint --template "$TEMPLATE" --region "$REGION"; then
    echo "validate.sh: sam validate --lint FAILED" >&2
    status=1
fi
if [[ $status -eq 0 ]]; then
    echo "validate.sh: OK (transform + lint)"
fi
exit $status

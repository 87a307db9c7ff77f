#!/usr/bin/env bash
# Offline validation of the SAM templates: no AWS account, no network, region only.
#
#   bash infra/scripts/validate.sh                   # infra/template.yaml and infra/waf.yaml
#   bash infra/scripts/validate.sh TEMPLATE [REGION] # one template
#
# For each template:
# 1. `sam validate`         runs the SAM transform locally (catches bad Refs/GetAtts,
#                           malformed events and properties the linter lets through);
# 2. `sam validate --lint`  runs cfn-lint over the template (resource schemas, IAM
#                           actions, CloudFront and WAF settings...). Warnings fail too.
# The main stack is checked in $AWS_REGION (default eu-south-1); infra/waf.yaml in
# us-east-1, the only region of CLOUDFRONT-scope web ACLs. Exits non-zero if any fails.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REGION="${AWS_REGION:-eu-south-1}"
if [[ $# -gt 0 ]]; then
    TEMPLATES=("$1")
    REGIONS=("${2:-$REGION}")
else
    TEMPLATES=("$REPO/infra/template.yaml" "$REPO/infra/waf.yaml")
    REGIONS=("$REGION" us-east-1)
fi

bash "$REPO/infra/scripts/setup-sam.sh"
SAM="${SAM_VENV:-$REPO/.local/venv-sam}/bin/sam"

# sam validate builds a boto session even when it never calls AWS: give it dummy
# credentials (unless real ones are set) and keep it quiet and offline.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIAIOSFODNN7EXAMPLE}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}"
export AWS_EC2_METADATA_DISABLED=true
export SAM_CLI_TELEMETRY=0 SAM_CLI_CONTACT_TELEMETRY=0
export SAM_CLI_DISABLE_VERSION_CHECK=1 SAM_CLI_UPDATE_CHECK=0

status=0
for i in "${!TEMPLATES[@]}"; do
    template="${TEMPLATES[$i]}" region="${REGIONS[$i]}"
    export AWS_DEFAULT_REGION="$region" AWS_REGION="$region"
    echo "== sam validate ($template, $region)"
    if ! "$SAM" validate --template "$template" --region "$region"; then
        echo "validate.sh: sam validate FAILED: $template" >&2
        status=1
    fi
    echo "== sam validate --lint ($template, $region)"
    if ! "$SAM" validate --lint --template "$template" --region "$region"; then
        echo "validate.sh: sam validate --lint FAILED: $template" >&2
        status=1
    fi
done
if [[ $status -eq 0 ]]; then
    echo "validate.sh: OK (transform + lint: ${TEMPLATES[*]##*/})"
fi
exit $status

#!/usr/bin/env bash
# Deploys infra/template.yaml after a preflight that needs no rights beyond reading the
# account's Lambda settings:
#
#   bash infra/scripts/deploy.sh [--stack portale-prod] [--region eu-south-1] [--preflight-only] \
#       Stage=prod DomainName=... AlarmEmail=... WebAclArn=... CertificateArn=... [Key=Value ...] \
#       [-- more sam deploy arguments]
#
# Preflight:
# 1. the concurrency the stack reserves with THESE parameters (every function's
#    ReservedConcurrentExecutions, infra/scripts/reserved-concurrency.py) + the 100 AWS keeps
#    unreserved = the quota the account needs; printed;
# 2. the account's quota, `aws lambda get-account-settings` (AccountLimit.ConcurrentExecutions;
#    AWS_ENDPOINT_URL is honoured, as by every AWS CLI call);
# 3. quota < needed: stops here (exit 3), before CloudFormation creates anything, naming both
#    numbers. Raise "Concurrent executions" in Service Quotas (Lambda) or lower
#    SmsStepReservedConcurrency / LoginReservedConcurrency.
# Then `sam deploy` with the parameters (--parameter-overrides) and CAPABILITY_IAM, from the
# `sam build` output if there is one. The template's Rules refuse Stage=prod without
# AlarmEmail, WebAclArn and CertificateArn.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATE="${TEMPLATE:-$REPO/infra/template.yaml}"
stack="" region="${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-south-1}}" preflight_only=0
params=() extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --stack) stack="$2"; shift 2 ;;
        --region) region="$2"; shift 2 ;;
        --preflight-only) preflight_only=1; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        --) shift; extra=("$@"); break ;;
        *=*) params+=("$1"); shift ;;
        *) echo "deploy.sh: argomento sconosciuto: $1" >&2; exit 2 ;;
    esac
done

PY="python3"
if ! python3 -c 'import yaml' 2>/dev/null; then
    PY="${SAM_VENV:-$REPO/.local/venv-sam}/bin/python"
fi

# 1. What the stack reserves, with these parameters.
line="$("$PY" "$REPO/infra/scripts/reserved-concurrency.py" --template "$TEMPLATE" "${params[@]}")"
reserved="$(sed -E 's/^reserved=([0-9]+) .*/\1/' <<<"$line")"
needed="$(sed -E 's/.* needed=([0-9]+)$/\1/' <<<"$line")"
echo "Preflight: concorrenza necessaria ${needed} (riservata dalle funzioni ${reserved} + 100 che AWS lascia non riservate)"

# 2. The account's quota: the AWS CLI, or boto3 (the SAM venv's, or python3's).
if command -v aws >/dev/null 2>&1; then
    quota="$(aws lambda get-account-settings --region "$region" \
        --query AccountLimit.ConcurrentExecutions --output text)"
else
    BOTO="${SAM_VENV:-$REPO/.local/venv-sam}/bin/python"
    [[ -x "$BOTO" ]] || BOTO=python3
    quota="$("$BOTO" -c '
import sys, boto3
s = boto3.client("lambda", region_name=sys.argv[1]).get_account_settings()
print(s["AccountLimit"]["ConcurrentExecutions"])' "$region")"
fi
if ! [[ "$quota" =~ ^[0-9]+$ ]]; then
    echo "Preflight: quota di concorrenza dell'account illeggibile: '$quota'" >&2
    exit 3
fi
echo "Preflight: quota di concorrenza dell'account (${region}): ${quota}"

# 3. Stop early when the account cannot hold the stack.
if (( quota < needed )); then
    cat >&2 <<MSG
Preflight fallito: la quota di concorrenza Lambda dell'account (${quota}) è inferiore a quella
necessaria (${needed} = ${reserved} riservata dalle funzioni + 100 non riservate).
Chiedere l'aumento di "Concurrent executions" (Service Quotas, AWS Lambda, regione ${region})
oppure ridurre SmsStepReservedConcurrency / LoginReservedConcurrency. Nessun deploy eseguito.
(Account concurrency quota ${quota} < ${needed} needed: not deploying.)
MSG
    exit 3
fi
echo "Preflight: ok"
(( preflight_only )) && exit 0

stage="prod"
for p in "${params[@]}"; do [[ "$p" == Stage=* ]] && stage="${p#Stage=}"; done
[[ -n "$stack" ]] || stack="portale-${stage}"
built=()
[[ -f "$REPO/.aws-sam/build/template.yaml" ]] || built=(--template-file "$TEMPLATE")
cd "$REPO"
exec "${SAM_VENV:-$REPO/.local/venv-sam}/bin/sam" deploy "${built[@]}" \
    --stack-name "$stack" --region "$region" --capabilities CAPABILITY_IAM \
    --no-fail-on-empty-changeset \
    ${params[@]+--parameter-overrides "${params[@]}"} ${extra[@]+"${extra[@]}"}

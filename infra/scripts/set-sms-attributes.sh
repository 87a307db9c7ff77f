#!/usr/bin/env bash
# Applies the account-level SNS SMS settings, which are not CloudFormation resources:
# DefaultSenderID, DefaultSMSType=Transactional and MonthlySpendLimit (USD). They are per
# account AND per region: run it for the region the stack is in.
#
#   bash infra/scripts/set-sms-attributes.sh --stack portale-prod [--region eu-south-1] [--dry-run]
#
# Values come from the stack's parameters SmsSenderId and SmsMonthlySpendLimit (so the
# spend alarm and the limit agree); SMS_SENDER_ID / SMS_MONTHLY_SPEND_LIMIT override them.
# A MonthlySpendLimit above the account's SMS spending quota (1 USD on new accounts) is
# rejected by SNS: raise the quota with a support case first (see infra/README.md).
set -euo pipefail

stack="" region="${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-south-1}}" dry=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --stack) stack="$2"; shift 2 ;;
        --region) region="$2"; shift 2 ;;
        --dry-run) dry=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "set-sms-attributes.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

param() {
    aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
        --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue" --output text
}

# The settings are the account's: only the stage that creates the account's resources
# (parameter AccountResources=create) sets them; a stage that shares them leaves them alone.
if [[ -n "$stack" && "$(param AccountResources)" == "shared" ]]; then
    echo "set-sms-attributes.sh: $stack shares the account's resources (AccountResources=shared):" \
        "run this for the stack that creates them" >&2
    exit 1
fi

sender="${SMS_SENDER_ID:-}" limit="${SMS_MONTHLY_SPEND_LIMIT:-}"
if [[ -z "$sender" || -z "$limit" ]]; then
    [[ -n "$stack" ]] || { echo "set-sms-attributes.sh: --stack NAME (or SMS_SENDER_ID and SMS_MONTHLY_SPEND_LIMIT) required" >&2; exit 2; }
    [[ -n "$sender" ]] || sender="$(param SmsSenderId)"
    [[ -n "$limit" ]] || limit="$(param SmsMonthlySpendLimit)"
fi
[[ "$sender" =~ ^[A-Za-z0-9-]{1,11}$ && "$sender" =~ [A-Za-z] ]] \
    || { echo "set-sms-attributes.sh: invalid sender ID '$sender' (1-11 letters/digits/hyphens, at least one letter)" >&2; exit 1; }
[[ "$limit" =~ ^[0-9]+$ ]] || { echo "set-sms-attributes.sh: invalid monthly spend limit '$limit'" >&2; exit 1; }

attributes=$(printf '{"DefaultSenderID":"%s","DefaultSMSType":"Transactional","MonthlySpendLimit":"%s"}' "$sender" "$limit")
echo "region $region: aws sns set-sms-attributes --attributes '$attributes'"
if [[ $dry -eq 1 ]]; then
    echo "(dry run: nothing changed)"
    exit 0
fi
aws sns set-sms-attributes --region "$region" --attributes "$attributes"
aws sns get-sms-attributes --region "$region" --output table

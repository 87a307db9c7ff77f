#!/usr/bin/env bash
# Publishes the static public area: builds it with the `static-site` crate, uploads it to
# the stack's bucket with `aws s3 sync --delete`, then invalidates CloudFront.
#
#   bash infra/scripts/deploy-site.sh --stack portale-prod [--region eu-south-1]
#        [--out site-out] [--skip-build] [--dry-run]
#
# Bucket, distribution and public URL come from the stack outputs (BucketName,
# DistributionId, SiteUrl). Hashed assets (/assets/<name>.<hash>.<ext>) are uploaded
# first and cached for a year; pages get a short max-age (CloudFront's copy is refreshed
# by the invalidation at the end); superseded assets are deleted last, so pages still
# cached somewhere keep finding theirs until then.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stack="" region="${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-south-1}}" out="$REPO/site-out" build=1 dry=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --stack) stack="$2"; shift 2 ;;
        --region) region="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --skip-build) build=0; shift ;;
        --dry-run) dry=(--dryrun); shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "deploy-site.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ -n "$stack" ]] || { echo "deploy-site.sh: --stack NAME required" >&2; exit 2; }

output() {
    local v
    v="$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text)"
    [[ -n "$v" && "$v" != None ]] || { echo "deploy-site.sh: stack $stack has no output $1" >&2; exit 1; }
    echo "$v"
}
bucket="$(output BucketName)"
distribution="$(output DistributionId)"
site_url="$(output SiteUrl)"

if [[ $build -eq 1 ]]; then
    (cd "$REPO" && cargo run --quiet --release -p static-site -- --out "$out" --base-url "$site_url")
fi
[[ -f "$out/index.html" && -f "$out/404.html" ]] || { echo "deploy-site.sh: $out has no index.html/404.html" >&2; exit 1; }

s3="s3://$bucket"
echo "== assets -> $s3/assets/"
aws s3 sync "${dry[@]}" --region "$region" "$out/assets" "$s3/assets" \
    --cache-control "public, max-age=31536000, immutable"
echo "== pages -> $s3/"
aws s3 sync "${dry[@]}" --region "$region" "$out" "$s3" --delete \
    --exclude "assets/*" --exclude ".static-site-output" \
    --cache-control "public, max-age=300"
if [[ ${#dry[@]} -eq 0 ]]; then
    echo "== invalidate $distribution"
    id="$(aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
        --query Invalidation.Id --output text)"
    aws cloudfront wait invalidation-completed --distribution-id "$distribution" --id "$id"
fi
echo "== superseded assets"
aws s3 sync "${dry[@]}" --region "$region" "$out/assets" "$s3/assets" --delete \
    --cache-control "public, max-age=31536000, immutable"
echo "deploy-site.sh: $site_url published from $out"

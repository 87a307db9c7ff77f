#!/usr/bin/env bash
# Issue #8, part 5a: bytes transferred per public page (HTML + CSS + JS + images), every
# page of the static site and the flow pages (registration step 1, login, recovery start),
# fetched from a local gateway like a browser with a cold cache. Prints a Markdown table;
# exits 1 if a page is over budget (50 KB = 51,200 bytes; PAGE_BUDGET overrides), 2 if a
# page or resource fails to load.
#
#   scripts/page-weight.sh                 # builds, starts LocalStack + its own gateway
#   BASE_URL=http://127.0.0.1:3000 scripts/page-weight.sh   # an already running portal
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case "${1:-}" in -h | --help) usage "$0"; exit 0 ;; esac
cd "$ROOT"
. scripts/gateway-lib.sh
start_gateway "${PAGE_WEIGHT_TABLE:-portale-pageweight}" >&2
python3 scripts/page_weight.py "$BASE_URL" "${SITE_DIR:-$ROOT/target/site}" --budget "${PAGE_BUDGET:-51200}"

#!/usr/bin/env bash
# Browser tests of the public area: installs what they need (setup.sh), builds the site
# with cargo into SITE_DIR (default <repo>/target/site) unless BASE_URL points to a
# running site, then runs the tests with node's test runner.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

"$here/setup.sh"

if [ -z "${BASE_URL:-}" ]; then
  export SITE_DIR="${SITE_DIR:-$repo/target/site}"
  # `--workspace` with `--bin`: the workspace's features, so the test build's artifacts are
  # reused (`-p static-site` resolves features anew and compiles shared again).
  # PORTALE_BINS_BUILT: scripts/test.sh built it with every target already.
  if [ -z "${PORTALE_BINS_BUILT:-}" ]; then
    (cd "$repo" && cargo build -q --workspace --bin static-site)
  fi
  "${CARGO_TARGET_DIR:-$repo/target}/debug/static-site" --out "$SITE_DIR"
fi

cd "$here"
exec node --test --test-concurrency=1 site.test.mjs

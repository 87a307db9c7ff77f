#!/usr/bin/env bash
# Installs what the browser tests need, idempotently (fast on a second run):
# - Node and npm, Debian's Chromium (the tests never download a browser of their own);
# - the npm packages (playwright-core, axe-core) from the lockfile.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

. "$here/../../scripts/apt-lib.sh"
# Node runs the tests; Chromium is the browser (the tests use /usr/bin/chromium).
need_apt node nodejs npm
need_apt npm npm
[ -x /usr/bin/chromium ] || need_apt /usr/bin/chromium chromium

cd "$here"
# Skip npm when node_modules already matches the lockfile.
stamp="node_modules/.setup-stamp"
if [ -f package-lock.json ]; then
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
  fi
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
else
  npm install --no-audit --no-fund
fi

#!/usr/bin/env bash
# Installs what the browser tests need, idempotently (fast on a second run):
# - Debian's Chromium (the tests never download a browser of their own);
# - the npm packages (playwright-core, axe-core) from the lockfile.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  echo "setup.sh: installing Debian's chromium" >&2
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends chromium
fi

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

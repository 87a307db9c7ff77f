# shellcheck shell=bash
# Source me: `need_apt CMD PKG...` installs Debian packages PKG when command CMD is missing,
# with apt-get (sudo when not root; `apt-get update` once per run). The scripts install the
# system tools they need this way: the JDK (DynamoDB Local), Node and npm (DynamoDB Local's
# npm package, the browser tests), Chromium.
_apt_updated=0
need_apt() {
  local cmd="$1" sudo_cmd=""
  shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 \
    || { echo "$cmd not found, and no apt-get to install $* with: install it by hand" >&2; return 1; }
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "[apt] $cmd not found: apt-get install $*" >&2
  # One apt-get at a time: scripts/test.sh runs two set-ups side by side.
  local lock="${TMPDIR:-/tmp}/portale-apt.lock"
  if [ "$_apt_updated" = 0 ]; then
    $sudo_cmd flock "$lock" apt-get update -qq
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd flock "$lock" \
    apt-get install -y -qq --no-install-recommends "$@"
  hash -r
  command -v "$cmd" >/dev/null 2>&1 || { echo "[apt] $cmd still missing after installing $*" >&2; return 1; }
}

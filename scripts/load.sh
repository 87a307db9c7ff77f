#!/usr/bin/env bash
# Issue #8, part 6: a bounded load run of the login on loopback (tests/load): an in-process
# local gateway against LocalStack, N concurrent users each doing full logins (password,
# SMS code read back from a tap on the notifier, code, private area) for rising N, until
# errors appear or throughput stops rising. Release build. Starts LocalStack if it is not
# running (and stops it afterwards if it started it). Registration of the users comes
# first and is not measured. Output (Markdown) also in target/perf/load.md.
#
#   scripts/load.sh                                  # N = 1, 2, 4, … 128
#   scripts/load.sh --levels 1,4,16 --min-logins 80  # see tests/load/src/main.rs
#
# The machine should be otherwise idle: the run shares its cores with LocalStack, and the
# table of CPU per level shows how much other work ran meanwhile ("other").
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
. localstack/env.sh
case "${1:-}" in -h | --help) usage "$0"; exit 0 ;; esac

step "Compilo il carico (release)"
cargo build --release -p load

step "Avvio LocalStack"
localstack/start.sh
if [[ -f "$LS_STARTED_MARKER" ]]; then trap 'localstack/stop.sh' EXIT; fi

step "Macchina"
echo "nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(uname -m), kernel $(uname -r); $(free -m | awk '/^Mem:/ {print $2 " MiB"}')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(rustc --version); git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'); $(date -u '+%Y-%m-%d %H:%M UTC')"

step "Carico: accesso completo, N utenti concorrenti"
mkdir -p target/perf
target/release/load "$@" | tee target/perf/load.md

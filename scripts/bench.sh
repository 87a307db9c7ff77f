#!/usr/bin/env bash
# Performance benchmarks of issue #8 (see BENCHMARKS.md): prints the numbers, and keeps a
# copy of each part's output in target/perf/ (under CARGO_TARGET_DIR if set).
#
#   scripts/bench.sh                 all three parts
#   scripts/bench.sh hash            argon2id next to the C reference
#   scripts/bench.sh handlers        handler cost (criterion + p50/p99 sampling)
#   scripts/bench.sh coldstart       cold start through a local Lambda Runtime API stub
#   scripts/bench.sh passkey         a login by passkey next to one by password + SMS (issue 24):
#                                    server time and cost per 1,000 logins, on LocalStack
#
# Knobs (environment): HASH_N (20) calls per implementation; PERF_SAMPLES (1000)
# requests per handler case; PERF_CRITERION=0 skips criterion; COLDSTART_RUNS (9);
# PASSKEY_BENCH_N (50) logins of each kind for `passkey`; HASH_OPT3=1 also measures argon2/blake2 built at opt-level 3 (a rebuild of engine and perf).
# Benchmarks are release builds (Cargo.toml [profile.release]); the machine is noisy, so
# every part measures its reference side by side, alternating, in the same run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

case "${1:-}" in -h | --help) usage "$0"; exit 0 ;; esac
PARTS=("$@")
[[ ${#PARTS[@]} -eq 0 ]] && PARTS=(hash handlers coldstart)
# Cargo's target directory (CARGO_TARGET_DIR if set): the binaries, and the copies in perf/.
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
OUT="$TARGET/perf"
mkdir -p "$OUT"
VENV="$ROOT/.local/venv-bench"
ARGON2_CFFI_VERSION="25.1.0"

# Every function crate under functions/ (new ones are picked up), as binaries.
FUNCTIONS=()
for d in functions/*/; do [[ -f "$d/Cargo.toml" ]] && FUNCTIONS+=("$(basename "$d")"); done

machine() {
  step "Macchina"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') MHz, $(grep -m1 -o -w avx2 /proc/cpuinfo || echo 'no avx2')"
  echo "arch: $(uname -m), kernel $(uname -r)"
  echo "memory: $(free -m | awk '/^Mem:/ {print $2 " MiB"}')"
  echo "$(rustc --version), $(cargo --version)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  date -u '+date: %Y-%m-%d %H:%M UTC'
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up as noise: compare ratios, not absolute times)"
}

part_hash() {
  step "Password hashing: argon2id, engine::passwords vs the C reference"
  if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check "argon2-cffi==$ARGON2_CFFI_VERSION"
  if ! command -v argon2 >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    # Debian's CLI is a second C reference; optional.
    apt-get install -y -q argon2 >/dev/null 2>&1 || echo "(Debian argon2 CLI not installed: argon2-cffi only)"
  fi
  cargo build --release -q -p perf --bin hashbench
  "$TARGET/release/hashbench" -n "${HASH_N:-20}" --python "$VENV/bin/python" | tee "$OUT/hash.txt"
  if [[ "${HASH_OPT3:-0}" == "1" ]]; then
    # The candidate fix: argon2 + blake2 at opt-level 3 in release (the profile says "s").
    # Compared through its ratio to the same C reference, measured in the same way.
    step "Password hashing, variant: argon2 and blake2 at opt-level 3"
    local o3=(--config 'profile.release.package.argon2.opt-level=3' --config 'profile.release.package.blake2.opt-level=3')
    cargo build --release -q -p perf --bin hashbench "${o3[@]}"
    cp "$TARGET/release/hashbench" "$OUT/hashbench-argon2-o3"
    cargo build --release -q -p perf --bin hashbench   # put the shipped variant back
    "$OUT/hashbench-argon2-o3" -n "${HASH_N:-20}" --python "$VENV/bin/python" --no-cli | tee "$OUT/hash-argon2-o3.txt"
  fi
}

part_handlers() {
  step "Handler cost: every step handler, in-memory store and notifier"
  cargo bench --profile release -q -p perf --bench handlers 2>&1 | tee "$OUT/handlers.txt"
}

part_coldstart() {
  step "Cold start: ${FUNCTIONS[*]} next to hello-lambda"
  local pkgs=(-p hello-lambda)
  for f in "${FUNCTIONS[@]}"; do pkgs+=(-p "$f"); done
  # The functions and the baseline in one invocation: same profile, same features.
  cargo build --release -q "${pkgs[@]}"
  cargo build --release -q -p perf --bin coldstart --bin initprobe
  . localstack/env.sh
  if ! curl -sf "$LS_URL/_localstack/health" >/dev/null 2>&1; then
    localstack/start.sh
    if [[ -f "$LS_STARTED_MARKER" ]]; then trap 'localstack/stop.sh' EXIT; fi
  fi
  # Every function answers its real request: the bench table and the flow secret
  # (portale/bench/flow-secret) are created by coldstart's seeder, as `portale-admin
  # bootstrap` creates them; a 5xx row makes it fail.
  local rel="$TARGET/release"
  "$rel/coldstart" --bin-dir "$rel" --runs "${COLDSTART_RUNS:-9}" --baseline hello-lambda \
    --probe "$rel/initprobe" "${FUNCTIONS[@]}" | tee "$OUT/coldstart.txt"
}

part_passkey() {
  step "Accesso con passkey e con password + SMS, alternati: tempo server e costo per 1.000 accessi"
  . localstack/env.sh
  if ! curl -sf "$LS_URL/_localstack/health" >/dev/null 2>&1; then
    localstack/start.sh
    if [[ -f "$LS_STARTED_MARKER" ]]; then trap 'localstack/stop.sh' EXIT; fi
  fi
  # The api test binary (debug, with argon2 and the signature's curve optimised as in every
  # test run): both logins run through the same in-process gateway against LocalStack.
  PASSKEY_BENCH_N="${PASSKEY_BENCH_N:-50}" cargo test -q -p e2e --test api -- --nocapture --exact \
    passkey_bench::a_passkey_login_costs_less_server_time_than_an_sms_login 2>&1 | tee "$OUT/passkey.txt"
}

machine | tee "$OUT/machine.txt"
for p in "${PARTS[@]}"; do
  case "$p" in
    hash) part_hash ;;
    handlers) part_handlers ;;
    coldstart) part_coldstart ;;
    passkey) part_passkey ;;
    *) echo "unknown part: $p (hash, handlers, coldstart, passkey)" >&2; exit 2 ;;
  esac
done
step "Fatto: copie in $OUT/"

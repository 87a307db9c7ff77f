#!/usr/bin/env bash
# Runs every test: formatting and clippy, Rust unit + integration tests against real
# LocalStack, the SES v2 shim's tests, the SAM template checks, the real-browser tests in
# Chromium and the page weight. Prints the wall time of each phase at the end (also when one
# fails: what ran, and where it stopped).
#
# Where the time goes on a 2-core machine (fresh clone, BENCHMARKS.md "The test command"):
# compiling. So what needs no compiler runs beside it: LocalStack's set-up and start, the SAM
# CLI's venv and the browser tests' npm packages start in the background at once and are
# waited for only where they are needed. Clippy and the build are one compilation (see
# "Compilo e lint" below). Once built, the end-to-end suite (bound by LocalStack's I/O, not
# by the CPU) runs beside the other test binaries and the SAM checks.
#
# Starts LocalStack if it is not running and stops what it started.
#   TEST_THREADS=N   threads of the end-to-end suite (default 4)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
. localstack/env.sh
. scripts/phases.sh

LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS" "$LS_LOCAL"
# The Rust toolchain's components, if this machine's rustup lacks them (the Rust server is
# reachable).
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

# --- in the background from the start: what needs the network or Python, not rustc --------
bg_start "LocalStack (setup + avvio)" "$LOGS/localstack-start.log" localstack/start.sh
bg_start "SAM CLI (venv)" "$LOGS/sam-setup.log" bash infra/scripts/setup-sam.sh
bg_start "Browser (Chromium, npm)" "$LOGS/browser-setup.log" tests/browser/setup.sh
# Stops LocalStack if this run started it, once its start has ended (success or not).
# Whether it did is read once, right after the start: a later start.sh (the page weight's)
# finds it running and removes the marker.
LS_OURS=""
ls_ours() { [[ -n "$LS_OURS" ]] || { [[ -f "$LS_STARTED_MARKER" ]] && LS_OURS=yes || LS_OURS=no; }; }
cleanup() {
  bg_wait_quiet "LocalStack (setup + avvio)"
  ls_ours
  if [[ "$LS_OURS" == yes ]]; then localstack/stop.sh || true; fi
}
on_exit cleanup

phase "Formato (cargo fmt --check, righe ≤ 120 caratteri)"
cargo fmt --all --check
# rustfmt leaves long string literals alone; scripts/wrap-long-lines.py (without --check) wraps them.
python3 scripts/wrap-long-lines.py --check $(git ls-files '*.rs')

phase "Compilo e lint (cargo build --all-targets con clippy -D warnings)"
# `cargo clippy` is `cargo check` with clippy-driver as the workspace's rustc: it compiles
# every dependency a second time (check mode shares nothing with a build). clippy-driver
# as the wrapper of `cargo build` lints the same targets and compiles them once. Every cargo
# below runs with the same wrapper (it is part of the workspace crates' fingerprint), so
# nothing is compiled again; a plain `cargo build` afterwards keeps its own artifacts.
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER
# cargo-clippy's way of passing `-- -D warnings` to clippy-driver.
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
# --bins: tests/tests/api/lambda_path.rs and the browser flow tests run the function binaries;
# --all-targets (as `cargo clippy --all-targets` did) also lints the benchmark, built in the
# dev profile.
cargo build --workspace --all-targets
build_site
# Every binary the scripts below start (functions, gateway, portale-admin, static-site) is
# built now. Their own `cargo build --workspace --bin …` would resolve features without the
# dev-dependencies' and compile the functions again (1.5–2.5 min in the browser phase of a
# fresh clone): they take these as they are.
export PORTALE_BINS_BUILT=1

phase "Attesa di LocalStack"
bg_wait "LocalStack (setup + avvio)"
ls_ours

phase "Test Rust su LocalStack, e accanto i controlli che non lo usano"
# The end-to-end suite waits on LocalStack most of the time: the rest runs beside it, each
# with its own log, printed when it ends.
# `--workspace` in both cargo: the same features as the build, so nothing is compiled again
# (a `-p` subset resolves them anew). The e2e package's other targets hold no test.
E2E="Test end-to-end (api, ${TEST_THREADS:-4} thread)"
UNIT="Test unità, proprietà e doc (il resto del workspace)"
SHIM="Test dello shim SES v2 di LocalStack"
SAM="Template SAM: sam validate e --lint"
SITE="Test nel browser: sito pubblico (Chromium)"
par_start "$E2E" "$LOGS/e2e.log" \
  cargo test --workspace --no-fail-fast --test api -- --test-threads="${TEST_THREADS:-4}"
par_start "$SHIM" "$LOGS/shim.log" localstack/test-shim.sh
par_start "$UNIT" "$LOGS/unit.log" cargo test --workspace --exclude e2e --no-fail-fast
par_wait "$UNIT"
bg_wait "SAM CLI (venv)"
par_start "$SAM" "$LOGS/sam-validate.log" infra/scripts/validate.sh
par_wait "$SAM"
bg_wait "Browser (Chromium, npm)"
par_start "$SITE" "$LOGS/browser-site.log" tests/browser/run-site-tests.sh
par_wait "$SITE"
par_wait "$SHIM"
par_wait "$E2E"
par_check

phase "Test nel browser: flussi (Chromium, funzioni in modalità lambda) e peso delle pagine"
# Both on their own gateway (free port, own table) against LocalStack.
FLOWS="Test nel browser: flussi"
WEIGHT="Peso delle pagine (≤ 50 KB ciascuna, risorse comprese)"
par_start "$FLOWS" "$LOGS/browser-flows.log" tests/browser/run-flow-tests.sh
par_start "$WEIGHT" "$LOGS/page-weight.log" scripts/page-weight.sh
par_wait "$WEIGHT"
par_wait "$FLOWS"
par_check

phase_done
step "Tutti i test sono passati"

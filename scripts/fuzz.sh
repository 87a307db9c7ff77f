#!/usr/bin/env bash
# Fuzzing of the domain parsers and the form decoder (issue #9, "Bad input") with
# cargo-fuzz (libFuzzer, nightly toolchain). Not part of scripts/test.sh: the proptests
# in shared/web/tests/parsers_no_panic.rs cover the same parsers there, quickly.
#
#   scripts/fuzz.sh                       every target, FUZZ_SECONDS (20) each: the short run
#   scripts/fuzz.sh email password        only these targets
#   FUZZ_SECONDS=600 scripts/fuzz.sh      the longer run (10 minutes a target, ~90 minutes)
#
# Targets are in fuzz/fuzz_targets/ (one per parser; `cargo +nightly fuzz list` lists them).
# The corpus grows in fuzz/corpus/<target>/ (kept between runs, not committed); a crash
# leaves its input in fuzz/artifacts/<target>/ and the script ends with status 1. Replay
# one with `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`.
# FUZZ_JOBS=N runs N fuzzing processes per target (default 1; the machine has 2 cores).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case "${1:-}" in -h | --help) usage "$0"; exit 0 ;; esac
cd "$ROOT"

SECONDS_EACH="${FUZZ_SECONDS:-20}"
JOBS="${FUZZ_JOBS:-1}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"

step "Controllo toolchain $TOOLCHAIN e cargo-fuzz"
if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
  echo "Manca la toolchain $TOOLCHAIN: rustup toolchain install $TOOLCHAIN" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  step "Installo cargo-fuzz (cargo install cargo-fuzz)"
  cargo install --locked cargo-fuzz
fi
cargo fuzz --version

TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  mapfile -t TARGETS < <(cd fuzz && cargo "+$TOOLCHAIN" fuzz list)
fi

# A few valid inputs per target, so that libFuzzer starts from the accepted shapes.
seed() {
  local target="$1"; shift
  local dir="fuzz/corpus/$target"
  mkdir -p "$dir"
  if [[ -z "$(ls -A "$dir")" ]]; then
    local i=0
    for s in "$@"; do printf '%s' "$s" >"$dir/seed-$i"; i=$((i + 1)); done
  fi
}
seed mobile_number "333 123 4567" "+393331234567" "0039 333 1234567" "393331234567" "06 1234 5678"
seed codice_fiscale_persona "RSSMRA85T10A562S" "rssmra85t10a562s" "RSSMRA85T10A56NS" "00488410010"
seed codice_fiscale_ente "00488410010" "004 884 100 10" "RSSMRA85T10A562S"
seed codice_fiscale "RSSMRA85T10A562S" "00488410010"
seed email "mario.rossi@example.it" "m@comune.milano.it" "a@pec.it" "\"x\"@y.it"
seed password "Girasole-Blu-2026!" $'Mario-Rossi-2026!\xffmario\xffrossi' "password"
seed username "mario.rossi@example.it" "mario_rossi" ".x"
seed otp_code "123456" "123 456" "12345"
seed form $'\x01numero=333+123+4567&conferma=100&challenge=a.1.b&pow=' $'\x81a=1&a=2&b=%C3%A8&c=%FF'

step "Compilo i target (cargo +$TOOLCHAIN fuzz build; la prima volta richiede alcuni minuti)"
(cd fuzz && cargo "+$TOOLCHAIN" fuzz build)

LOGS="$ROOT/fuzz/target/logs"
mkdir -p "$LOGS"
FAILED=()
SUMMARY=()
for t in "${TARGETS[@]}"; do
  step "Fuzzing di $t per ${SECONDS_EACH} s"
  log="$LOGS/$t.log"
  status=0
  parallel=()
  [[ "$JOBS" -gt 1 ]] && parallel=(-jobs="$JOBS" -workers="$JOBS")
  (cd fuzz && cargo "+$TOOLCHAIN" fuzz run "$t" -- \
      -max_total_time="$SECONDS_EACH" -print_final_stats=1 -max_len=4096 "${parallel[@]}" \
      >"$log" 2>&1) || status=$?
  runs=$({ grep -h 'stat::number_of_executed_units' "$log" fuzz/fuzz-*.log 2>/dev/null || true; } | awk '{s += $2} END {print s + 0}')
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [[ $status -ne 0 ]]; then
    FAILED+=("$t")
    tail -n 30 "$log"
    SUMMARY+=("$(printf '%-24s %12s %8s %s' "$t" "$runs" "$corpus" "ERRORE (vedi $log e fuzz/artifacts/$t/)")")
  else
    SUMMARY+=("$(printf '%-24s %12s %8s %s' "$t" "$runs" "$corpus" "ok, ${SECONDS_EACH} s")")
  fi
  rm -f fuzz/fuzz-*.log
done

step "Riepilogo"
printf '%-24s %12s %8s %s\n' "target" "esecuzioni" "corpus" "esito"
printf '%s\n' "${SUMMARY[@]}"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  echo "Target con errori: ${FAILED[*]}" >&2
  exit 1
fi

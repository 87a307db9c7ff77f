# shellcheck shell=bash
# Source me (after lib.sh): the phases of scripts/test.sh, timed, and the jobs that run beside
# them. At exit — success or not — prints the wall time of every phase that ran (the one that
# failed marked so), of every job in the background or in parallel, and the total.
#   phase NAME                 ends the current phase (if any) and starts NAME
#   phase_done                 ends the current phase
#   bg_start NAME LOG CMD...   runs CMD in the background, its output in LOG
#   bg_wait NAME               waits for it (the wait counts in the current phase); fails
#                              with LOG's tail if it failed
#   par_start / par_wait NAME  the same for test jobs run side by side: par_wait prints the
#                              whole LOG and records the result; par_check then fails if
#                              any of them failed (so every one of them runs to its end)
#   on_exit FUNC               runs FUNC at exit, before the report

_PH_T0=$SECONDS
_PH_NAMES=() _PH_SECS=() _PH_STATE=()
_PH_CUR="" _PH_CUR_T=0
declare -A _JOB_PID=() _JOB_LOG=() _JOB_FILE=() _JOB_KIND=()
_JOB_ORDER=()
_PAR_FAILED=()
_PH_EXIT_HOOKS=()
_PH_DIR="$(mktemp -d)"

_ph_record() {  # name seconds state
  _PH_NAMES+=("$1") _PH_SECS+=("$2") _PH_STATE+=("$3")
}

phase_done() {
  if [[ -n "$_PH_CUR" ]]; then _ph_record "$_PH_CUR" $((SECONDS - _PH_CUR_T)) ok; fi
  _PH_CUR=""
}

phase() {
  phase_done
  _PH_CUR="$1" _PH_CUR_T=$SECONDS
  step "$1"
}

on_exit() { _PH_EXIT_HOOKS+=("$1"); }

_job_start() {  # kind name log cmd...
  local kind="$1" name="$2" log="$3" file
  shift 3
  file="$_PH_DIR/job${#_JOB_ORDER[@]}"
  (
    t=$SECONDS rc=0
    "$@" >"$log" 2>&1 </dev/null || rc=$?
    echo "$rc $((SECONDS - t)) $((t - _PH_T0))" >"$file"
  ) &
  _JOB_PID[$name]=$! _JOB_LOG[$name]="$log" _JOB_FILE[$name]="$file" _JOB_KIND[$name]="$kind"
  _JOB_ORDER+=("$name")
  echo "    [$kind] $name (log: ${log#"$ROOT"/})"
}

# The exit status of a job that has ended ("" while it runs or if it was never started).
_job_rc() {
  local f="${_JOB_FILE[$1]:-}"
  [[ -n "$f" && -f "$f" ]] && cut -d' ' -f1 "$f"
}

_job_join() {  # name: waits for the job; prints nothing
  local pid="${_JOB_PID[$1]:-}"
  [[ -n "$pid" ]] && wait "$pid" 2>/dev/null
  return 0
}

bg_start() { _job_start "in background" "$@"; }
par_start() { _job_start "in parallelo" "$@"; }

bg_wait() {
  _job_join "$1"
  local rc
  rc="$(_job_rc "$1")"
  if [[ "$rc" != 0 ]]; then
    echo "ERRORE: $1 (exit ${rc:-?}); ultime righe di ${_JOB_LOG[$1]}:" >&2
    tail -n 40 "${_JOB_LOG[$1]}" >&2
    return 1
  fi
}

bg_wait_quiet() { _job_join "$1"; }

par_wait() {
  _job_join "$1"
  local rc
  rc="$(_job_rc "$1")"
  step "$1: $([[ "$rc" == 0 ]] && echo ok || echo "FALLITO (exit ${rc:-?})")"
  cat "${_JOB_LOG[$1]}"
  [[ "$rc" == 0 ]] || _PAR_FAILED+=("$1")
}

par_check() {
  if ((${#_PAR_FAILED[@]} > 0)); then
    printf 'FALLITI: %s\n' "${_PAR_FAILED[@]}" >&2
    return 1
  fi
}

# The test binaries of a `cargo test` log that took a second or more: "  name  secs".
_ph_binaries() {
  awk '
    /^ *Running / { name = $NF; sub(/\)$/, "", name); sub(/.*\//, "", name); sub(/-[0-9a-f]+$/, "", name); next }
    /^ *Doc-tests / { name = "doc-tests " $2; next }
    /^test result:/ && name != "" {
      for (i = 1; i <= NF; i++) if ($i == "in") { s = $(i + 1); sub(/s$/, "", s) }
      if (s + 0 >= 1) printf "        %-48s %6.0f s\n", name, s
      name = ""
    }' "$1"
}

# Why the failed jobs failed, last: CI keeps only a log's head and tail, and a `cargo test`
# log names its failed tests at the end but says why far above.
_ph_failures() {
  local name state secs at
  for name in "${_JOB_ORDER[@]}"; do
    [[ -f "${_JOB_FILE[$name]}" ]] || continue
    read -r state secs at <"${_JOB_FILE[$name]}"
    [[ "$state" == 0 ]] && continue
    step "Perché: $name"
    awk '
      /^---- .* stdout ----$/ { print; next }
      /^\[e2e\] / { print substr($0, 1, 400); next }
      /panicked at / { left = 12 }
      /^not ok / { left = 18 }
      /^stack backtrace:|^note: run with |^  stack: / { left = 0 }
      left > 0 { print substr($0, 1, 400); left-- }
    ' "${_JOB_LOG[$name]}" | head -n 120
  done
}

_ph_report() {
  local rc=$? i name secs state at
  set +e
  if [[ -n "$_PH_CUR" ]]; then
    _ph_record "$_PH_CUR" $((SECONDS - _PH_CUR_T)) "FALLITA (exit $rc)"
    _PH_CUR=""
  fi
  local hook
  for hook in "${_PH_EXIT_HOOKS[@]}"; do "$hook"; done
  step "Tempi (wall clock, secondi)"
  for i in "${!_PH_NAMES[@]}"; do
    printf '  %-72s %6d  %s\n' "${_PH_NAMES[$i]}" "${_PH_SECS[$i]}" "${_PH_STATE[$i]}"
  done
  for name in "${_JOB_ORDER[@]}"; do
    if [[ -f "${_JOB_FILE[$name]}" ]]; then
      read -r state secs at <"${_JOB_FILE[$name]}"
      [[ "$state" == 0 ]] && state=ok || state="FALLITO (exit $state)"
      printf '  %-72s %6d  %s, da +%d s\n' "[${_JOB_KIND[$name]}] $name" "$secs" "$state" "$at"
      if [[ "$name" == Test* ]]; then _ph_binaries "${_JOB_LOG[$name]}"; fi
    else
      printf '  %-72s %6s  %s\n' "[${_JOB_KIND[$name]}] $name" - "non terminato"
    fi
  done
  printf '  %-72s %6d\n' "Totale" $((SECONDS - _PH_T0))
  _ph_failures
  rm -rf "$_PH_DIR"
  return "$rc"
}
trap _ph_report EXIT

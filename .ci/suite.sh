# Sourced by .ci/run and .ci/gate: runs the README's test command and trusts neither its exit code
# nor its output alone — a run is green only when npm test exits 0 AND its summary line
# (`tests: N passed, M failed[, K skipped]`, printed by test/support/summary-reporter.ts) says 0 failed.

SUITE_PASSED=0 SUITE_FAILED=0 SUITE_SKIPPED=0

# run_suite LABEL [VAR=value ...] — runs `npm test` with the given environment; returns non-zero
# when the run is red; sets SUITE_PASSED/FAILED/SKIPPED from the summary line.
run_suite() {
  local label=$1; shift
  local log rc line
  log=$(mktemp)
  set +e
  env "$@" npm test 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
  rm -f "$log"
  SUITE_PASSED=0 SUITE_FAILED=0 SUITE_SKIPPED=0
  if [ -z "$line" ]; then
    echo "ci: $label: no summary line (exit $rc)"
    SUITE_FAILED=1
    return 1
  fi
  SUITE_PASSED=$(sed -E 's/^tests: ([0-9]+) passed.*/\1/' <<<"$line")
  SUITE_FAILED=$(sed -E 's/^tests: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  if [[ $line =~ ([0-9]+)\ skipped ]]; then SUITE_SKIPPED=${BASH_REMATCH[1]}; fi
  echo "ci: $label: $SUITE_PASSED passed, $SUITE_FAILED failed, $SUITE_SKIPPED skipped (npm test exit $rc)"
  if [ "$rc" -ne 0 ] || [ "$SUITE_FAILED" -ne 0 ]; then
    [ "$SUITE_FAILED" -ne 0 ] || SUITE_FAILED=1   # a non-zero exit with a clean summary still counts as a failure
    return 1
  fi
}

#!/usr/bin/env bash
# Every check and test, on Node, Deno and Bun one after another (the suite shares 2 cores).
# Installs what it needs first, so it runs on a fresh clone. Prints per-runtime counts and ends
# with one "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1

bash scripts/setup.sh || exit 1
BIN=node_modules/.bin
LOGS=.conclave-tmp/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"

mapfile -t FILES < <(find src plugins test examples -name '*_test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
echo "== ${#FILES[@]} test files"

status=0
step() { # step NAME CMD...: runs CMD, keeps its output, marks the run failed when it fails
  local name=$1; shift
  echo "== $name"
  if ! timeout 900 "$@" >"$LOGS/$name.log" 2>&1; then
    status=1
    # The failures first (a passing suite's tail would hide them), then the end of the log.
    echo "-- failures in $name:"
    grep -a -n -E -A 40 '^ *not ok |^ERRORS|^\(fail\)|error: ' "$LOGS/$name.log" | head -n 400
    echo "-- end of $name's log:"
    tail -n 60 "$LOGS/$name.log"
    echo "== $name FAILED (full log: $LOGS/$name.log)"
  else
    tail -n 3 "$LOGS/$name.log"
  fi
}

step typecheck "$BIN/tsc" -p .
step lint "$BIN/deno" lint
step format "$BIN/deno" fmt --check
step node node --import tsx --test --test-force-exit "${FILES[@]}"
step deno "$BIN/deno" test -A --no-check "${FILES[@]}"
step bun "$BIN/bun" test "${FILES[@]}"

# --- per-runtime counts ---
num() { grep -aoE "$1" "$2" | tail -n 1 | grep -oE '[0-9]+' | head -n 1; }
node_pass=$(num '^# pass [0-9]+' "$LOGS/node.log"); node_fail=$(num '^# fail [0-9]+' "$LOGS/node.log")
node_skip=$(num '^# skipped [0-9]+' "$LOGS/node.log")
# Deno runs each describe as one test and each it as a step: count the steps.
deno_line=$(grep -aE '^(ok|FAILED) \|' "$LOGS/deno.log" | tail -n 1)
deno_count() { # deno_count WORD: steps for WORD (passed/failed/ignored), else the plain count
  local part; part=$(echo "$deno_line" | grep -oE "[0-9]+ $1( \([0-9]+ steps?\))?")
  if [[ $part == *step* ]]; then echo "$part" | grep -oE '\([0-9]+' | tr -d '('; else echo "${part%% *}"; fi
}
deno_pass=$(deno_count passed); deno_fail=$(deno_count failed); deno_skip=$(deno_count ignored)
bun_pass=$(num '^ *[0-9]+ pass' "$LOGS/bun.log"); bun_fail=$(num '^ *[0-9]+ fail' "$LOGS/bun.log")
bun_skip=$(num '^ *[0-9]+ skip' "$LOGS/bun.log")

echo
echo "== Summary"
total_pass=0 total_fail=0 total_skip=0
for rt in node deno bun; do
  p=$(eval echo "\${${rt}_pass:-0}"); f=$(eval echo "\${${rt}_fail:-0}"); s=$(eval echo "\${${rt}_skip:-0}")
  p=${p:-0} f=${f:-0} s=${s:-0}
  printf '%-5s %4d passed, %d failed, %d skipped\n' "$rt:" "$p" "$f" "$s"
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
  if [ "$p" -eq 0 ]; then echo "$rt ran no test"; status=1; fi
done
if [ "$status" -ne 0 ] && [ "$total_fail" -eq 0 ]; then total_fail=1; fi # a failed check counts as one
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $status

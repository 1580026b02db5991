#!/bin/sh
# Run every test program and shell test, each speaking TAP, and end with one line
# "N passed, N failed, N skipped" over all of them. A program that crashes or
# exits non-zero without reporting a failure counts as one failure; a test that
# reports "ok ... # SKIP reason" is listed and counted as skipped, never as
# passed. Each program's wall time is shown, so that the slow ones stand out.
# Usage: run-tests.sh BUILD_DIR
build=${1:-build/san}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export CPR_INTAKE="$top/$build/cpr-intake"
export CPR_TOP="$top"
export CPR_FIXTURES="$top/tests/fixtures"
# exitcode=86: a sanitizer report must never pass for the CLI's own exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export G_DEBUG="${G_DEBUG:-}"

passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

run_one() { # name, command...
    name=$1; shift
    t0=$(now_ms)
    "$@" >"$log" 2>&1
    rc=$?
    secs=$(( ($(now_ms) - t0 + 500) / 1000 ))
    # TAP: a directive "# SKIP" (any case) after an "ok" line is a skip.
    s=$(grep -ci '^ok .*#[[:space:]]*skip' "$log")
    p=$(( $(grep -c '^ok ' "$log") - s ))
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    line="== $name: $p passed"
    [ "$s" -eq 0 ] || line="$line, $s skipped"
    if [ "$f" -ne 0 ]; then
        echo "$line, $f failed (exit $rc, ${secs} s)"
        grep -v '^ok ' "$log" | tail -n 60
    else
        echo "$line (${secs} s)"
    fi
    [ "$s" -eq 0 ] || grep -i '^ok .*#[[:space:]]*skip' "$log" | sed 's/^/   /'
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o) continue ;; esac
    run_one "$(basename "$t")" "$t" --tap
done
for t in tests/t_*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t")" sh "$t"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

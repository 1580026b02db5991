#!/bin/bash
# Run every test program and shell test, each speaking TAP, and end with one line
# "N passed, N failed, N skipped" over all of them. A program that crashes or
# exits non-zero without reporting a failure counts as one failure; a test that
# reports "ok ... # SKIP reason" is listed and counted as skipped, never as
# passed. Each program's wall time is shown, so that the slow ones stand out.
#
# The tests run CPR_TEST_JOBS at a time (default: the number of processors).
# They can: each makes its own temporary directory, asks the kernel for free
# loopback ports and starts its own Dovecot instance, and none writes into the
# source tree. Most of a test's time is process start-up under ASan and
# waiting on servers, not CPU, so two at a time on two cores nearly halves the
# run (issue 19: make check time). Only this script prints: a test's report
# appears whole when it ends, so reports never interleave; the final counts
# do not depend on the order. CPR_TEST_JOBS=1 runs them one by one, in order.
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

jobs=${CPR_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
case "$jobs" in '' | *[!0-9]* | 0)
    echo "run-tests.sh: CPR_TEST_JOBS must be a positive number, not '$jobs'" >&2
    exit 2 ;;
esac

passed=0
failed=0
skipped=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The tests, slowest first (the order of the last runs), so that the long ones
# do not start last and leave the other job idle; the rest follow in name order.
slow="t_redact_corpus.sh t_corpus.sh t_imap_oauth2.sh t_drafts.sh t_bugzilla.sh t_imap_mark.sh
      t_imap_crash.sh t_imap_flaky.sh t_audit_checkpoints.sh t_imap_tls.sh t_notify.sh"
names=()
progs=()
args=()
add() { names+=("$(basename "$1")"); progs+=("$2"); args+=("$3"); } # file, program, argument
for s in $slow; do
    [ -f "tests/$s" ] && add "$s" sh "tests/$s"
done
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o) continue ;; esac
    add "$t" "$t" --tap
done
for t in tests/t_*.sh; do
    [ -f "$t" ] || continue
    case " $(echo $slow) " in *" $(basename "$t") "*) continue ;; esac
    add "$t" sh "$t"
done

# One test, in the background: its output, exit status and wall time go to
# files named by its index; the report is made by report() in this shell.
start() { # index
    local i=$1
    (
        t0=$(now_ms)
        "${progs[$i]}" "${args[$i]}" >"$logs/$i.log" 2>&1
        rc=$?
        echo "$rc $(( ($(now_ms) - t0 + 500) / 1000 ))" >"$logs/$i.rc"
    ) &
    pid_index[$!]=$i
}

report() { # index
    local i=$1 name=${names[$1]} log="$logs/$1.log" rc secs s p f line
    read -r rc secs <"$logs/$i.rc" || { rc=1; secs=0; }
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

declare -a pid_index
running=0
next=0
total=${#names[@]}
while [ "$next" -lt "$total" ] || [ "$running" -gt 0 ]; do
    while [ "$running" -lt "$jobs" ] && [ "$next" -lt "$total" ]; do
        start "$next"
        next=$((next + 1))
        running=$((running + 1))
    done
    # wait -n -p: the pid of whichever test ended first (bash 5.1)
    wait -n -p done_pid
    running=$((running - 1))
    report "${pid_index[$done_pid]}"
    unset "pid_index[$done_pid]"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

# tap.sh - tiny TAP helpers for shell tests; source it.
# ok/not ok/skip lines are counted by run-tests.sh.
tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
# A test that cannot run here: counted as skipped by run-tests.sh, never passed.
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
check() { # description, command...
    d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
tap_done() { echo "1..$tap_n"; [ "$tap_fail" -eq 0 ]; }

# tap.sh - tiny TAP helpers for shell tests; source it.
# ok/not ok lines are counted by run-tests.sh.
tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
check() { # description, command...
    d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
tap_done() { echo "1..$tap_n"; [ "$tap_fail" -eq 0 ]; }

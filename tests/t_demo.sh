#!/bin/sh
# t_demo.sh - `make demo`'s script, run by the test suite so that a change that
# breaks the demo breaks the build: it must finish, show cases, deadlines and
# a redacted draft, and stop everything it started.
. "$CPR_TOP/tests/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
CPR_INTAKE_BIN="$CPR_INTAKE" sh "$CPR_TOP/tests/demo.sh" >"$out" 2>&1
rc=$?
check "demo.sh exits 0" [ "$rc" -eq 0 ]
check "the daemon stopped cleanly" grep -q "daemon exited with status 0" "$out"
check "cases were listed" grep -q "CPR-20" "$out"
check "each case shows its reason and incident state" sh -c "grep -q 'reason    BR 4.9.1.1 #' '$out' && grep -q '^  incident  ' '$out'"
check "clock statuses are shown" grep -qE 'due [0-9T:Z-]+ +(open|missed|met|met_late|withdrawn) ' "$out"
check "the draft is the CCADB template" grep -q "^## Preliminary Incident Report" "$out"
check "the draft names no reporter" sh -c "! grep -qiE 'Rafferty|Nakagawa|Torvald|Emberly|Cosima|Valdés|Gorostiza|Stallbaum|Wynstanley|Kolawole|Noor|Abernathy' '$out'"
check "no Dovecot left running from the demo" sh -c "! pgrep -f 'cpr-demo\\..*dovecot.conf' >/dev/null"
[ "$tap_fail" -eq 0 ] || tail -40 "$out"
tap_done

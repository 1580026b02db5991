#!/bin/sh
# t_notify_smtp.sh - what an email target does with an SMTP server's refusal
# (agent/notify/notify_smtp.c): a 5xx is the server's final "no" (unknown
# recipient, policy, a refused login), so the page is given up at once with
# the reply in last_error and never sent again; a 4xx or a server that is down
# is tried again, and delivered once the server takes it.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" no; sink_stop "$tmp" later; rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
A=1747054998 # aware_at of sample 001

np=$(smtp_sink_start "$tmp" no)
lp=$(smtp_sink_start "$tmp" later)
echo "550 5.1.1 <oncall@acmetrust.test>: no such user" >"$tmp/no.mail.rcpt"
echo "451 4.3.0 mailbox busy, try later" >"$tmp/later.mail.rcpt"
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[notify.no]
type=email
url=smtp://127.0.0.1:$np
to=oncall@acmetrust.test
from=cpr-intake@acmetrust.test
[notify.later]
type=email
url=smtp://127.0.0.1:$lp
to=oncall@acmetrust.test
from=cpr-intake@acmetrust.test
EOT
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
CPR_INTAKE_NOW=$((A + 60)); export CPR_INTAKE_NOW

cpr ingest "$CPR_FIXTURES/samples/001-kc-csr-proof.eml" >/dev/null
check "one page per email target" [ "$(q "SELECT count(*) FROM outbox WHERE kind = 'page'")" -eq 2 ]
cpr notify-run --once >/dev/null 2>"$tmp/run1.err"
check "550: given up at once, the reply kept" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target = 'no' AND failed_at IS NOT NULL AND delivered_at IS NULL AND attempts = 1 AND last_error LIKE '%550%'")" -eq 1 ]
check "451: pending, to be tried again, the reply kept" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target = 'later' AND failed_at IS NULL AND delivered_at IS NULL AND attempts = 1 AND last_error LIKE '%451%'")" -eq 1 ]
check "nothing was stored by either server" [ "$(find "$tmp/no.mail" "$tmp/later.mail" -name "*.eml" | wc -l)" -eq 0 ]

# Both servers take mail now; the next try is due an hour later at the latest.
rm -f "$tmp/no.mail.rcpt" "$tmp/later.mail.rcpt"
CPR_INTAKE_NOW=$((A + 3660)); export CPR_INTAKE_NOW
cpr notify-run --once >/dev/null 2>"$tmp/run2.err"
check "the 4xx page is delivered on a later try" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target = 'later' AND delivered_at IS NOT NULL AND attempts = 2")" -eq 1 ]
check "the server that said 4xx got the page exactly once" [ "$(ls "$tmp/later.mail"/*.eml | wc -l)" -eq 1 ]
check "the 5xx page is never sent again" \
    sh -c "[ -z \"\$(ls '$tmp/no.mail')\" ] && [ \"\$(sqlite3 '$db' \"SELECT attempts FROM outbox WHERE target = 'no'\")\" -eq 1 ]"
tap_done

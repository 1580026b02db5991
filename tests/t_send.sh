#!/bin/sh
# t_send.sh - `send CASE reporter-mail|subscriber-mail` over [mail] SMTP to a
# loopback sink (tests/smtp_sink.py): the mail arrives as the draft shows it,
# the event that meets the clock is recorded when the server took the mail,
# a refused delivery records nothing, the old [ack] SMTP keys still work with
# a warning naming the new key.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" m; rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1750000000 # 2025-06-15T15:06:40Z
db="$tmp/cases.db"
sp=$(smtp_sink_start "$tmp" m)
conf="$tmp/mail.conf"
{ cat "$CPR_FIXTURES/conf/samples.conf"; printf '\n[mail]\nsmtp_url=smtp://127.0.0.1:%s\n' "$sp"; } >"$conf"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
mails() { ls "$tmp/m.mail"/*.eml 2>/dev/null | wc -l; }
events() { q "SELECT count(*) FROM events WHERE case_id = $1 AND type = '$2'"; }

cpr ingest "$CPR_FIXTURES"/samples/*.eml >/dev/null 2>&1
cpr send 1 reporter-mail >"$tmp/out" 2>"$tmp/err"
check "send reporter-mail exits 0" [ $? -eq 0 ]
i=0
while [ "$(mails)" -lt 1 ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
check "the sink got one mail, to the reporter, with the case in its subject" python3 - "$tmp/m.mail" <<'PY'
import email, glob, sys
from email import policy
files = glob.glob(sys.argv[1] + '/*.eml')
assert len(files) == 1, files
m = email.message_from_binary_file(open(files[0], 'rb'), policy=policy.default)
assert m['To'].addresses[0].addr_spec == 'rafferty@tidepool-sec.example', m['To']
assert '[CPR-2025-0001]' in m['Subject'] and m['From'].addresses[0].addr_spec == 'problems@acmetrust.test'
assert '685192f131280555404e8d8fed6066dcf3a8' in m.get_content()
PY
check "preliminary_report_sent recorded at the server's acceptance" \
    [ "$(q "SELECT at FROM events WHERE case_id = 1 AND type = 'preliminary_report_sent'")" = 1750000000 ]
check "... and it meets the reporter's clock" grep -q 'met: cpr_preliminary_report' "$tmp/out"

cpr send 1 subscriber-mail >"$tmp/out" 2>"$tmp/err"
check "subscriber-mail without a Subscriber exits 2, sends nothing" sh -c \
    "[ $? -eq 2 ] && grep -q 'case subscriber' '$tmp/err' && [ $(mails) -eq 1 ]"
cpr case subscriber 1 ops@larkspur-candles.test >/dev/null
cpr send 1 subscriber-mail >"$tmp/out" 2>"$tmp/err"
check "subscriber-mail is sent and subscriber_notified recorded" sh -c \
    "[ $? -eq 0 ] && [ $(events 1 subscriber_notified) -eq 1 ] && grep -q 'subscriber_notified recorded' '$tmp/out'"

cpr send 1 summary 2>/dev/null
check "an unknown kind exits 2" [ $? -eq 2 ]

# the old [ack] SMTP keys
{ cat "$CPR_FIXTURES/conf/samples.conf"; printf '\n[ack]\nsmtp_url=smtp://127.0.0.1:%s\n' "$sp"; } >"$tmp/old.conf"
"$bin" --config "$tmp/old.conf" --db "$db" send 2 reporter-mail >"$tmp/out" 2>"$tmp/err"
check "[ack] smtp_url still works, with a warning naming [mail] smtp_url" sh -c \
    "[ $? -eq 0 ] && grep -q 'warning: \[ack\] smtp_url is read as \[mail\] smtp_url' '$tmp/err' && [ $(events 2 preliminary_report_sent) -eq 1 ]"

# a server that is gone: nothing recorded
sink_stop "$tmp" m
before=$(events 3 preliminary_report_sent)
cpr send 3 reporter-mail >"$tmp/out" 2>"$tmp/err"
check "an undelivered mail exits 1 and records nothing" sh -c \
    "[ $? -eq 1 ] && [ $(events 3 preliminary_report_sent) -eq $before ] && grep -q 'did not take the mail' '$tmp/err'"
tap_done

#!/bin/sh
# t_triage_digest.sh - the digest page of unreviewed triage mail (issue 11,
# SPEC 3.3 [triage] digest_hours): no page before digest_hours after the
# oldest unannounced message, one page then (through the outbox, to a real
# loopback webhook), never a second page for the same messages, a later
# message waits for its own digest_hours, reviewed mail pages nothing; the
# page holds facts only (no sender, subject or Message-ID); each digest is an
# audit event. The clock is CPR_INTAKE_NOW (test builds).
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" hook; rm -rf "$tmp"' EXIT
db="$tmp/t.db"
conf="$tmp/cpr-intake.conf"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
T0=1794000000
H=3600

# --- [triage] digest_hours: validated, 0 or absent is 4 ---
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
"$bin" --config "$conf" check-config --print >"$tmp/p.out" 2>&1
check "absent digest_hours is 4" grep -qx 'digest_hours=4' "$tmp/p.out"
printf '[triage]\ndigest_hours=0\n' >>"$conf"
"$bin" --config "$conf" check-config --print >"$tmp/p.out" 2>&1
check "digest_hours=0 is 4" grep -qx 'digest_hours=4' "$tmp/p.out"
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
printf '[triage]\ndigest_hours=721\n' >>"$conf"
"$bin" --config "$conf" check-config --print >"$tmp/p.out" 2>&1
check "digest_hours=721 is a configuration error naming the key" \
    sh -c "[ $? -eq 2 ] && grep -q 'digest_hours' '$tmp/p.out'"
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
printf '[triage]\ndigest_hours=x\n' >>"$conf"
"$bin" --config "$conf" check-config --print >"$tmp/p.out" 2>&1
check "digest_hours=x is a configuration error" [ $? -eq 2 ]

port=$(http_sink_start "$tmp" hook)
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[notify.hook]
type=webhook
url=http://127.0.0.1:$port/hook
[triage]
digest_hours=2
EOT

# mail to the report address that reports nothing, received at T
msg() { # NAME RECEIVED_UNIX TO
    d=$(python3 -c "import email.utils,sys; print(email.utils.formatdate($2, usegmt=True))")
    printf 'Received: from mx.sender.example\r\n\tby mx.acmetrust.test; %s\r\nFrom: Odalys Pemberton-Rusk <odalys@pemberton.example>\r\nTo: %s\r\nSubject: thanks for the webinar %s\r\nDate: %s\r\nMessage-ID: <%s.digest@pemberton.example>\r\n\r\nThank you for the session yesterday, very useful.\r\n' \
        "$d" "$3" "$1" "$d" "$1"
}
ingest() { msg "$1" "$2" "${3:-problems@acmetrust.test}" | CPR_INTAKE_NOW=$2 cpr ingest - >/dev/null 2>>"$tmp/ingest.err"; }
tick() { CPR_INTAKE_NOW=$1 cpr notify-run --once >>"$tmp/run.out" 2>&1; }
digests() { python3 - "$tmp/hook.log" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if json.loads(json.loads(line)["body"]).get("event") == "triage_digest": n += 1
print(n)
PY
}
last_digest() { python3 - "$tmp/hook.log" "$1" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    b = json.loads(line)["body"]
    if json.loads(b).get("event") == "triage_digest": last = b
open(sys.argv[2], "w").write(last or "")
PY
}

ingest a1 $T0
ingest elsewhere $((T0 + 60)) someone@elsewhere.example
tick $((T0 + 2 * H - 60))
check "no digest before digest_hours" [ "$(digests)" -eq 0 ]
ingest b2 $((T0 + H))
tick $((T0 + 2 * H))
check "one digest at digest_hours after the oldest message" [ "$(digests)" -eq 1 ]
last_digest "$tmp/d1.json"
check "the digest announces both messages to the report address, facts only" python3 - "$tmp/d1.json" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
d = json.loads(raw)
assert d["event"] == "triage_digest" and d["new"] == 2 and d["unreviewed"] == 2, d
assert d["earlier_unreviewed"] == 0, d
assert d["oldest_aware_at"] == "2026-11-06T21:20:00Z", d["oldest_aware_at"]
assert [m["kind"] for m in d["messages"]] == ["other", "other"], d["messages"]
assert all(set(m) == {"message_row", "aware_at", "kind"} for m in d["messages"]), d["messages"]
assert d["show"] == "cpr-intake list --triage", d
for word in ("Odalys", "Pemberton", "pemberton.example", "webinar", "digest@", "elsewhere"):
    assert word.lower() not in raw.lower(), word
PY
tick $((T0 + 2 * H + 10))
tick $((T0 + 5 * H))
check "no second page for the same messages, however late" [ "$(digests)" -eq 1 ]

ingest c3 $((T0 + 3 * H))
tick $((T0 + 5 * H - 60))
check "a later message waits for its own digest_hours" [ "$(digests)" -eq 1 ]
tick $((T0 + 5 * H))
check "then one more digest" [ "$(digests)" -eq 2 ]
last_digest "$tmp/d2.json"
check "the second digest announces the new message and counts the earlier ones" python3 - "$tmp/d2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["new"] == 1 and d["earlier_unreviewed"] == 2 and d["unreviewed"] == 3, d
PY

CPR_INTAKE_NOW=$((T0 + 6 * H)) cpr triage done a1.digest@pemberton.example \
    b2.digest@pemberton.example c3.digest@pemberton.example --by alice >/dev/null 2>&1
check "triage done on all three" [ "$(q 'SELECT count(*) FROM triage_reviews')" -eq 3 ]
ingest d4 $((T0 + 6 * H))
CPR_INTAKE_NOW=$((T0 + 7 * H)) cpr triage done d4.digest@pemberton.example --by alice >/dev/null 2>&1
tick $((T0 + 9 * H))
tick $((T0 + 30 * H))
check "reviewed in time: no further digest" [ "$(digests)" -eq 2 ]
# the oldest reviewed in time, a later one not: the digest waits for the later one
ingest e5 $((T0 + 31 * H))
ingest f6 $((T0 + 32 * H))
CPR_INTAKE_NOW=$((T0 + 32 * H)) cpr triage done e5.digest@pemberton.example --by alice >/dev/null 2>&1
tick $((T0 + 33 * H))
check "the oldest reviewed in time: no digest at its due time" [ "$(digests)" -eq 2 ]
tick $((T0 + 34 * H))
check "the one left pages at its own due time" [ "$(digests)" -eq 3 ]
last_digest "$tmp/d3.json"
check "and announces only itself" python3 -c "
import json
d = json.load(open('$tmp/d3.json'))
assert d['new'] == 1 and d['unreviewed'] == 1 and d['oldest_aware_at'] == '2026-11-08T05:20:00Z', d
"
check "each digest is one audit event and one outbox row per target" \
    [ "$(q "SELECT count(*) FROM events WHERE type = 'triage_digest'")/$(q "SELECT count(*) FROM outbox WHERE kind = 'triage_digest' AND delivered_at IS NOT NULL")" = "3/3" ]
check "the audit event lists the rows it announced" python3 -c "
import json, sqlite3
rows = [json.loads(r[0])['message_rows'] for r in sqlite3.connect('$tmp/t.db').execute(
    \"SELECT details FROM events WHERE type = 'triage_digest' ORDER BY id\")]
assert [len(r) for r in rows] == [2, 1, 1], rows
"
check "nothing failed on the way" [ ! -s "$tmp/ingest.err" ]
cpr audit verify >/dev/null 2>&1
check "the audit chain verifies" [ $? -eq 0 ]
tap_done

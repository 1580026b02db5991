#!/bin/sh
# t_cli.sh - the command line end to end on the sample mail: ingest from files,
# a Maildir, an mbox and stdin; list/show/deadlines JSON; events and their
# validation; audit verify against tampering; exit statuses; a kill -9 during
# ingest leaves a consistent database.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1749000000   # 2025-06-04T01:20:00Z
db="$tmp/cases.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- --version: first line "cpr-intake <version>", no configuration read ---
CPR_INTAKE_CONFIG="$tmp/no-such.conf" "$bin" --version >"$tmp/version.out" 2>"$tmp/version.err"
check "--version exits 0 without reading a configuration" [ $? -eq 0 ]
check "--version: first line 'cpr-intake' and a version starting with a digit" \
    grep -Eq '^cpr-intake [0-9][0-9A-Za-z.+~-]*$' "$tmp/version.out"
check "--version: the line is the first on stdout, nothing on stderr" \
    sh -c "head -n 1 '$tmp/version.out' | grep -q '^cpr-intake ' && [ ! -s '$tmp/version.err' ]"
printf '[no such section\n' >"$tmp/broken.conf"
check "--version even before --config names a broken file" \
    sh -c "'$bin' --version --config '$tmp/broken.conf' | grep -q '^cpr-intake [0-9]'"

# --- ingest every sample file ---
cpr ingest --json "$samples"/*.eml >"$tmp/ingest.out" 2>"$tmp/ingest.err"
check "ingest of the samples exits 0" [ $? -eq 0 ]
check "one JSON line per sample" [ "$(wc -l <"$tmp/ingest.out")" -eq 12 ]
check "every line is JSON with the contract fields" python3 -c "
import json,sys
for line in open('$tmp/ingest.out'):
    o=json.loads(line)
    for k in ('message_id','kind','list','problem','case_id','new_case','aware_at','serials','sha256','crtsh_ids','domains','duplicate','source'):
        assert k in o, k
    assert o['aware_at'].endswith('Z') and len(o['aware_at'])==20
"
check "8 cases from 12 samples" [ "$(q 'SELECT count(*) FROM cases')" -eq 8 ]

# --- list / show / deadlines ---
cpr list --json >"$tmp/list.json"
check "list --json is an array of 8" [ "$(jq_py 'len(d)' <"$tmp/list.json")" -eq 8 ]
check "list carries reference, aware_source, next_deadline" python3 -c "
import json
d=json.load(open('$tmp/list.json'))
c=d[0]
assert c['reference']=='CPR-2025-0001', c
assert c['aware_at']=='2025-05-12T13:03:18Z' and c['aware_source']=='received', c
assert c['next_deadline']['clock'] in ('cpr_preliminary_report','revocation'), c
assert c['next_deadline']['due_at']=='2025-05-13T13:03:18Z', c
"
cpr show CPR-2025-0001 --json >"$tmp/show.json"
check "show --json: both messages, clocks and the serial" python3 -c "
import json
d=json.load(open('$tmp/show.json'))
assert len(d['messages'])==2, d['messages']
assert '685192f131280555404e8d8fed6066dcf3a8' in d['serials']
clocks={c['clock']:c for c in d['clocks']}
# a key compromise is a CPR, not an incident: BR clocks only, none absent-as-null
assert set(clocks)=={'cpr_preliminary_report','subscriber_preliminary_report','revocation'}, clocks
assert clocks['revocation']['due_at']=='2025-05-13T13:03:18Z'
assert clocks['revocation']['rule']=='BR 4.9.1.1 #3, 24 h', clocks['revocation']
assert clocks['revocation']['status']=='missed' and clocks['revocation']['ref'] is None
assert clocks['subscriber_preliminary_report']['rule']=='BR 4.9.5, 24 h'
r=d['revocation_reason']
assert r=={'number':3,'name':'key_compromise','window_hours':24,'crl_reason':'keyCompromise','source':'inferred'}, r
assert d['incident']=='undetermined' and d['incident_rationale'] is None and d['bug_id'] is None
assert d['linked_cases']==[]
assert all('subject' in m for m in d['messages'])
assert any(e['type']=='case_opened' and e['by']=='intake' for e in d['events'])
assert any(e['type']=='reason_changed' for e in d['events'])
"
check "show by number works too" sh -c "'$bin' --config '$conf' --db '$db' show 1 | grep -q CPR-2025-0001"
cpr show 999 >/dev/null 2>"$tmp/err"
check "show of an unknown case exits 2 with a clear error" sh -c "[ $? -eq 2 ] && grep -q 'no case 999' '$tmp/err'"
cpr deadlines --json >"$tmp/dl.json"
check "deadlines are sorted soonest first" python3 -c "
import json
d=json.load(open('$tmp/dl.json'))
due=[x['due_at'] for x in d]
assert due==sorted(due) and len(due)>0
assert d[0]['overdue'] is True
"

# --- events ---
cpr event 1 preliminary_report_sent --at 2025-05-13T09:00:00Z --by alice --note "sent to reporter" >"$tmp/ev.out"
check "event meets the 24h clock" grep -q 'met: cpr_preliminary_report' "$tmp/ev.out"
check "met_at is stored" [ "$(q "SELECT met_at FROM clocks WHERE case_id=1 AND clock='cpr_preliminary_report'")" = 1747126800 ]
cpr event 1 revoked --at 2030-01-01T00:00:00Z 2>"$tmp/err"
check "an event in the future is refused" sh -c "[ $? -eq 2 ] && grep -q 'future' '$tmp/err'"
cpr event 1 revoked --at 2025-05-01T00:00:00Z 2>"$tmp/err"
check "an event before aware_at is refused" sh -c "[ $? -eq 2 ] && grep -q 'before the CA became aware' '$tmp/err'"
cpr event 1 eaten_by_dog 2>"$tmp/err"
check "an unknown event type is refused, listing the known ones" sh -c "[ $? -eq 2 ] && grep -q 'preliminary_report_sent' '$tmp/err'"
cpr event 1 revoked --at yesterday 2>"$tmp/err"
check "an unreadable time is refused" [ $? -eq 2 ]
cpr event 1 disclosed --at "2025-05-14 10:00" >/dev/null
check "a key compromise has no full report clock, disclosed or not" [ "$(q "SELECT count(*) FROM clocks WHERE case_id=1 AND clock='full_report'")" = 0 ]
cpr case incident 1 yes --aware-at "2025-05-14 10:00" >/dev/null
check "declared an incident: the full report is due 14 days after incident awareness" [ "$(q "SELECT due_at FROM clocks WHERE case_id=1 AND clock='full_report'")" = $((1747216800 + 14*86400)) ]

# --- duplicates: the same mail again, as a Maildir ---
mkdir -p "$tmp/Maildir/cur" "$tmp/Maildir/new" "$tmp/Maildir/tmp"
i=0; for f in "$samples"/*.eml; do i=$((i+1)); cp "$f" "$tmp/Maildir/new/1700000$i.$i.host"; done
before=$(q 'SELECT count(*) FROM messages')
cpr ingest --json "$tmp/Maildir" >"$tmp/dup.out"
check "Maildir ingest exits 0" [ $? -eq 0 ]
check "every Maildir message is a duplicate" [ "$(grep -c '"duplicate":true' "$tmp/dup.out")" -eq 12 ]
cpr ingest "$tmp/Maildir" >/dev/null
check "twice: no new message and no new case" sh -c "[ $(q 'SELECT count(*) FROM messages') -eq $before ] && [ $(q 'SELECT count(*) FROM cases') -eq 8 ]"
printf 'From: x@outside.example\nSubject: not in the Maildir\nMessage-ID: <outside1@outside.example>\n\nsecret\n' >"$tmp/outside.eml"
ln -s "$tmp/outside.eml" "$tmp/Maildir/new/1800000.1.host"
cpr ingest "$tmp/Maildir" >/dev/null 2>"$tmp/link.err"
check "Maildir: a symbolic link is not followed" [ "$(q "SELECT count(*) FROM messages WHERE message_id='outside1@outside.example'")" -eq 0 ]
check "Maildir: the warning names the link" grep -q '1800000.1.host: warning: symbolic link not followed' "$tmp/link.err"

# --- mbox and stdin into a fresh database ---
db="$tmp/mbox.db"
for f in "$samples"/00[1-3]*.eml; do printf 'From sender@example Mon Jan  1 00:00:00 2025\n'; sed 's/^From />From /' "$f"; printf '\n'; done >"$tmp/box.mbox"
cpr ingest --json "$tmp/box.mbox" >"$tmp/mbox.out"
check "mbox: three messages" [ "$(wc -l <"$tmp/mbox.out")" -eq 3 ]
check "mbox: source names the message index" grep -q 'box.mbox#3' "$tmp/mbox.out"
check "mbox: stored bytes equal the original file" sh -c "[ \"\$(sqlite3 '$db' \"SELECT hex(r.raw) FROM messages m JOIN message_raw r ON r.message_row = m.id WHERE m.source LIKE '%#3'\")\" = \"\$(od -An -tx1 -v '$samples/003-misissuance-pem-attachment.eml' | tr -d ' \n' | tr a-f A-F)\" ]"
cpr ingest --json - <"$samples/005-kc-spanish-base64.eml" >"$tmp/stdin.out"
check "stdin: ingested with source -" grep -q '"source":"-"' "$tmp/stdin.out"
check "stdin: key compromise with its serial" grep -q '1265760405ff03e97b3be2513fd7f4dc89' "$tmp/stdin.out"
# a message on stdin whose body has a "From " line (a forwarded mail) is one message, whole
printf 'From: Tamsin Orr <tamsin@orr.example>\nTo: problems@acmetrust.test\nSubject: forwarded\nMessage-ID: <fwd1@orr.example>\n\nsee below\n\nFrom old@orr.example Mon Jan  1 00:00:00 2025\nSubject: the original\n\n>From the original text\n' >"$tmp/fwd.eml"
cpr ingest --json - <"$tmp/fwd.eml" >"$tmp/fwd.out"
check "stdin: a From body line does not split the message" [ "$(wc -l <"$tmp/fwd.out")" -eq 1 ]
check "stdin: stored bytes equal every byte received" sh -c "[ \"\$(sqlite3 '$db' \"SELECT hex(r.raw) FROM messages m JOIN message_raw r ON r.message_row = m.id WHERE m.message_id='fwd1@orr.example'\")\" = \"\$(od -An -tx1 -v '$tmp/fwd.eml' | tr -d ' \n' | tr a-f A-F)\" ]"
# CR-only line endings: the header is read, the raw bytes kept as received
printf 'From: Tamsin Orr <tamsin@orr.example>\rTo: problems@acmetrust.test\rSubject: old mac mail\rMessage-ID: <cr1@orr.example>\r\rhello\r' >"$tmp/cr.eml"
cpr ingest - <"$tmp/cr.eml" >/dev/null
check "CR-only: subject and sender read" [ "$(q "SELECT subject || ' ' || from_email FROM messages WHERE message_id='cr1@orr.example'")" = "old mac mail tamsin@orr.example" ]
check "CR-only: raw bytes as received" [ "$(q "SELECT size FROM messages WHERE message_id='cr1@orr.example'")" -eq "$(wc -c <"$tmp/cr.eml")" ]

# --- bad input: stored, reported, the run goes on, exit status 1 ---
db="$tmp/bad.db"
: >"$tmp/empty.eml"
head -c 4096 /dev/urandom >"$tmp/random.eml"
cpr ingest "$tmp/empty.eml" "$tmp/nonexistent.eml" "$tmp/random.eml" "$samples/011-spam.eml" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "bad input exits 1" [ $? -eq 1 ]
check "errors name the file and the reason" sh -c "grep -q 'empty.eml: stored and quarantined' '$tmp/bad.err' && grep -q 'nonexistent.eml: ' '$tmp/bad.err'"
check "the good message after the bad ones was ingested" grep -q '011-spam.eml: other' "$tmp/bad.out"
check "bad messages are stored, raw bytes kept" [ "$(q 'SELECT count(*) FROM messages WHERE quarantined=1')" -eq 2 ]
check "status counts quarantined messages" sh -c "'$bin' --config '$conf' --db '$db' status --json | grep -q '\"quarantined\" : 2'"

# --- many messages: parsed ahead on other threads, stored in walk order ---
# (issue 16) More messages than are parsed ahead and than one batch holds;
# the output and the rows keep the order of the walk, and a database failure
# in the second batch names the message it failed on, keeps the first batch
# and stops the run.
db="$tmp/order.db"
mkdir -p "$tmp/order/cur" "$tmp/order/new"
n=0
while [ $n -lt 300 ]; do
    n=$((n+1))
    f=$(printf '%s/order/cur/%04d.order:2,S' "$tmp" $n)
    printf 'From: r%d@reporter.example\nTo: problems@acmetrust.test\nMessage-ID: <order-%d@reporter.example>\nDate: Mon, 12 May 2025 14:02:00 +0000\nSubject: key compromise %d\n\nThe private key of serial 0x%08x00ff is public.\n' $n $n $n $n >"$f"
done
cpr ingest --json "$tmp/order" >"$tmp/order.out" 2>"$tmp/order.err"
check "300 messages: exit 0" [ $? -eq 0 ]
check "300 messages: one line each, in walk order" python3 -c "
import json, sys
got = [json.loads(l)['source'].rsplit('/', 1)[1][:4] for l in open('$tmp/order.out')]
sys.exit(got != ['%04d' % i for i in range(1, 301)])"
check "300 messages: rows and cases in walk order" [ "$(q "SELECT count(*) FROM messages m JOIN cases c ON c.id = m.case_id WHERE m.message_id = 'order-' || m.id || '@reporter.example' AND c.seq = m.id")" -eq 300 ]
db="$tmp/refuse.db"
cpr ingest "$samples/011-spam.eml" >/dev/null
sqlite3 "$db" "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN (SELECT count(*) FROM messages) >= 250 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
cpr ingest "$tmp/order" >"$tmp/refuse.out" 2>"$tmp/refuse.err"
check "a database failure mid-run: exit 3" [ $? -eq 3 ]
check "the failure names the message it failed on" grep -q '0250.order:2,S: .*refused by the test' "$tmp/refuse.err"
check "the first batch is kept and reported, the failed one is not" sh -c "[ $(q 'SELECT count(*) FROM messages') -eq 201 ] && [ \$(wc -l <'$tmp/refuse.out') -eq 200 ]"
check "nothing after the failure was stored or reported" sh -c "! grep -q '0201.order' '$tmp/refuse.out' && [ \$(grep -c . '$tmp/refuse.err') -eq 1 ]"

# --- audit verify, then tampering ---
db="$tmp/cases.db"
check "audit verify passes untouched" cpr audit verify
cpr audit export --case 1 --format csv >"$tmp/export.csv"
check "audit export --case 1 lists the case's events" sh -c "grep -q case_opened '$tmp/export.csv' && grep -q preliminary_report_sent '$tmp/export.csv'"
cp "$db" "$tmp/tamper.db"
sqlite3 "$tmp/tamper.db" "DROP TRIGGER events_no_update; UPDATE events SET at = at - 86400 WHERE id = 3;"
"$bin" --config "$conf" --db "$tmp/tamper.db" audit verify 2>"$tmp/err"
check "audit verify fails after an edit, naming the row" sh -c "[ $? -eq 1 ] && grep -q 'event row 3 was modified' '$tmp/err'"

# --- configuration errors ---
printf '[ca]\nowner=X\nreport_addresses=a@b.test\nbogus=1\n' >"$tmp/bad.conf"
"$bin" --config "$tmp/bad.conf" list 2>"$tmp/err"
check "unknown config key: exit 2 naming file and key" sh -c "[ $? -eq 2 ] && grep -q 'bad.conf: \[ca\] bogus: unknown key' '$tmp/err'"

# --- kill -9 during a large ingest: consistent, then completes exactly once ---
db="$tmp/kill.db"
mkdir -p "$tmp/big/cur" "$tmp/big/new"
n=0
while [ $n -lt 1500 ]; do
    n=$((n+1))
    printf 'From: r%d@reporter.example\nTo: problems@acmetrust.test\nMessage-ID: <kill-%d@reporter.example>\nDate: Mon, 12 May 2025 14:02:00 +0000\nSubject: key compromise %d\n\nThe private key of serial 0x%08x00ff is public.\n' $n $n $n $n >"$tmp/big/new/$n.msg"
done
# the binary itself, not a shell function: $! must be the process we kill
"$bin" --config "$conf" --db "$db" ingest "$tmp/big" >/dev/null 2>&1 &
pid=$!
# kill it once it is well under way, not before it started or after it ended
t=0
while [ "$(q 'SELECT count(*) FROM messages' 2>/dev/null || echo 0)" -lt 50 ] && [ $t -lt 300 ]; do
    sleep 0.05; t=$((t+1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
partial=$(q 'SELECT count(*) FROM messages')
check "the killed run left an intact database" [ "$(q 'PRAGMA integrity_check')" = ok ]
check "every stored message has its case and event (one transaction each)" sh -c "[ $(q "SELECT count(*) FROM messages m WHERE case_id IS NULL OR NOT EXISTS (SELECT 1 FROM events e WHERE e.type='message_received' AND json_extract(e.details,'$.message_row')=CAST(m.id AS TEXT))") -eq 0 ]"
check "audit chain intact after kill -9" cpr audit verify
cpr ingest "$tmp/big" >/dev/null
check "the kill came mid-run ($partial of 1500 stored)" sh -c "[ $partial -gt 0 ] && [ $partial -lt 1500 ]"
check "re-run completes: 1500 messages, 1500 cases, none twice" sh -c "[ $(q 'SELECT count(*) FROM messages') -eq 1500 ] && [ $(q 'SELECT count(*) FROM cases') -eq 1500 ] && [ $(q 'SELECT count(DISTINCT message_id) FROM messages') -eq 1500 ]"

tap_done

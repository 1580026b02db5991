#!/bin/sh
# t_bugzilla.sh - `file CASE` against a Bugzilla-REST-compatible test server on
# loopback over HTTPS (tests/bugzilla_server.py, certificate from a test CA):
# one bug per case, a second `file` sends nothing, a timeout after the server
# created the bug is healed by the marker search, a 500 is retried once by
# hand, code 306 and HTTP 429 stop at once with an audit event, the API key
# travels only in X-BUGZILLA-API-KEY and never reaches stdout/stderr, an
# untrusted certificate is refused. Then Bugzilla mail: a notification about
# the filed bug joins its case, a question starts the 7-day clock, a "Next
# update" date on the whiteboard sets the bug_update due time.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/dovecot.sh" # dovecot_make_certs: a test CA and a server certificate
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
srv_pid=
cleanup() {
    [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
export CPR_INTAKE_NOW=1750000000 # 2025-06-15T15:06:40Z
db="$tmp/cases.db"
srv="$tmp/server"
mkdir -p "$srv" "$tmp/certs" "$tmp/other"

# --- certificates, key, server ---
dovecot_make_certs "$tmp/certs" localhost 127.0.0.1 || { not_ok "certtool failed"; tap_done; exit 1; }
dovecot_make_certs "$tmp/other" localhost 127.0.0.1 || { not_ok "certtool failed"; tap_done; exit 1; }
key="bzkey-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$key" >"$tmp/bugzilla.key"
chmod 600 "$tmp/bugzilla.key"
BUGZILLA_HANG_SECONDS=4 python3 "$CPR_TOP/tests/bugzilla_server.py" --dir "$srv" \
    --cert "$tmp/certs/server.pem" --key "$tmp/certs/server.key" \
    --api-key-file "$tmp/bugzilla.key" >"$srv/port" 2>"$srv/stderr" &
srv_pid=$!
i=0
while [ ! -s "$srv/port" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
port=$(cat "$srv/port")
check "the test server listens on loopback" [ -n "$port" ]

write_conf() { # FILE CA_FILE
    cat "$CPR_FIXTURES/conf/samples.conf" >"$1"
    cat >>"$1" <<EOF

[bugzilla]
url=https://127.0.0.1:$port
api_key_file=$tmp/bugzilla.key
ca_file=$2

[drafts]
template_dir=$CPR_TOP/conf/templates
EOF
}
conf="$tmp/cpr.conf"
write_conf "$conf" "$tmp/certs/ca.pem"
write_conf "$tmp/untrusted.conf" "$tmp/other/ca.pem"

# cpr ARGS...: run, keep stdout/stderr in $tmp/out and $tmp/err and append
# both to $tmp/all (checked for the key at the end); sets $rc.
cpr() {
    "$bin" --config "$conf" --db "$db" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    cat "$tmp/out" "$tmp/err" >>"$tmp/all"
    return $rc
}
q() { sqlite3 "$db" "$1"; }
mode() { printf '%s\n' "$1" >"$srv/mode"; }
nreq() { grep -c '"method"' "$srv/requests.log" 2>/dev/null || echo 0; }
nposts() { grep '"method": "POST"' "$srv/requests.log" 2>/dev/null | grep -c '"/rest/bug"'; }
nbugs() { python3 -c "import json; print(len(json.load(open('$srv/bugs.json'))))" 2>/dev/null || echo 0; }
bugs_with() { # marker -> how many server bugs carry it
    python3 -c "import json,sys; print(sum(sys.argv[1] in b.get('whiteboard','') for b in json.load(open('$srv/bugs.json'))))" "$1"
}
events() { q "SELECT count(*) FROM events WHERE case_id = $1 AND type = '$2'"; }

cpr ingest "$samples"/*.eml >/dev/null
# case 1 is a key compromise (a CPR, not an incident): the CA declares it one
# before it files, so the incident clocks run and the bug meets them
cpr case incident 1 yes --aware-at 2025-06-15T10:00:00Z >/dev/null
check "samples ingested" [ "$(q 'SELECT count(*) FROM cases')" -eq 8 ]

# --- 1. file once, then again: one bug, nothing sent the second time ---
cpr file 1
check "file 1 exits 0" [ "$rc" -eq 0 ]
check "file 1 prints the bug and its URL" \
    grep -q "CPR-2025-0001: filed as bug 1900001 https://127.0.0.1:$port/show_bug.cgi?id=1900001" "$tmp/out"
check "bug id and URL stored" [ "$(q 'SELECT bug_id, bug_url FROM cases WHERE id = 1')" = \
    "1900001|https://127.0.0.1:$port/show_bug.cgi?id=1900001" ]
marker1=$(q 'SELECT bug_marker FROM cases WHERE id = 1')
check "a unique marker is stored with the case" sh -c "echo '$marker1' | grep -Eq '^\[cpr-intake:CPR-2025-0001:[0-9a-f]{12}\]$'"
check "the server's bug carries the marker in its whiteboard, after the draft's tags" python3 -c "
import json
b=json.load(open('$srv/bugs.json'))[0]
assert b['whiteboard'].startswith('[ca-compliance]') and b['whiteboard'].endswith('$marker1'), b['whiteboard']
assert b['product']=='CA Program' and b['summary'].startswith('Acme Trust Services: '), b
"
check "whoami came before the POST" python3 -c "
import json
r=[json.loads(l) for l in open('$srv/requests.log')]
assert [x['path'] for x in r]==['/rest/whoami','/rest/bug'], r
assert all(x['key_present'] and x['key_valid'] for x in r)
"
check "bug_filing_started and bug_filed are audited" sh -c \
    "[ $(events 1 bug_filing_started) -eq 1 ] && [ $(events 1 bug_filed) -eq 1 ]"
check "bug_filed meets incident_disclosure and starts bug_update (+7 d)" [ \
    "$(q "SELECT (SELECT met_at FROM clocks WHERE case_id=1 AND clock='incident_disclosure') || ' ' || (SELECT due_at FROM clocks WHERE case_id=1 AND clock='bug_update')")" = \
    "1750000000 $((1750000000 + 7 * 86400))" ]
before=$(nreq)
cpr file CPR-2025-0001
check "a second file exits 0 and says it is already filed" sh -c \
    "[ $rc -eq 0 ] && grep -q 'already filed as bug 1900001' '$tmp/out'"
check "a second file sends nothing" [ "$(nreq)" -eq "$before" ]
check "still one bug on the server" [ "$(nbugs)" -eq 1 ]

# --- 2. the server creates the bug but the answer never comes ---
mode "hang 1"
CPR_INTAKE_BUGZILLA_TIMEOUT_MS=1000 cpr file 2
check "a timed-out attempt exits non-zero" [ "$rc" -ne 0 ]
check "the timeout is reported clearly" grep -qi 'timed\? \?out' "$tmp/err"
check "no bug id stored, the attempt stays in flight" [ \
    "$(q 'SELECT coalesce(bug_id, 0), bug_attempt_at IS NOT NULL FROM cases WHERE id = 2')" = "0|1" ]
check "the outcome is recorded as unknown" [ "$(events 2 bug_filing_failed)" -eq 1 ]
check "the server did create the bug" [ "$(nbugs)" -eq 2 ]
posts_before=$(nposts)
cpr file 2
check "the retry exits 0" [ "$rc" -eq 0 ]
check "the retry adopts the bug found by its marker" sh -c \
    "grep -q 'filed as bug 1900002 .*found by its marker' '$tmp/out' && [ \"\$(sqlite3 '$db' 'SELECT bug_id FROM cases WHERE id = 2')\" = 1900002 ]"
check "the retry sent no second POST" [ "$(nposts)" -eq "$posts_before" ]
check "still exactly one bug for case 2 on the server" [ "$(bugs_with "$(q 'SELECT bug_marker FROM cases WHERE id = 2')")" -eq 1 ]
check "the retry searched by the marker" grep -q '"whiteboard": \["\[cpr-intake:CPR-2025-0002:' "$srv/requests.log"
check "the adoption is audited" sh -c "sqlite3 '$db' \"SELECT details FROM events WHERE case_id = 2 AND type = 'bug_filed'\" | grep -q found_by_marker"

# --- 3. a 500: clear error, nothing stored, a later retry files once ---
mode "500 1"
cpr file 3
check "a 500 exits non-zero with the HTTP status" sh -c "[ $rc -ne 0 ] && grep -q 'HTTP 500' '$tmp/err'"
check "a 500 stores no bug id" [ "$(q 'SELECT coalesce(bug_id, 0) FROM cases WHERE id = 3')" -eq 0 ]
check "a 500 is audited as a failure" [ "$(events 3 bug_filing_failed)" -eq 1 ]
cpr file 3
check "the retry after a 500 files the bug" sh -c "[ $rc -eq 0 ] && grep -q 'filed as bug 1900003' '$tmp/out'"
check "one bug for case 3" [ "$(bugs_with "$(q 'SELECT bug_marker FROM cases WHERE id = 3')")" -eq 1 ]

# --- 4. code 306: stop at once, never retry ---
mode "invalid_key"
before=$(nreq)
cpr file 4
check "306 at whoami exits non-zero" [ "$rc" -ne 0 ]
check "306 is explained" grep -q 'code 306.*invalid or revoked' "$tmp/err"
check "306 at whoami: exactly one request, no POST" [ "$(($(nreq) - before))" -eq 1 ]
check "306 records bug_filing_blocked" [ "$(events 4 bug_filing_blocked)" -eq 1 ]
check "306 at whoami starts no attempt" [ "$(q 'SELECT bug_attempt_at IS NULL FROM cases WHERE id = 4')" -eq 1 ]
mode "invalid_key 1 post"
before=$(nreq); posts_before=$(nposts)
cpr file 4
check "306 on the POST exits non-zero" [ "$rc" -ne 0 ]
check "306 on the POST: whoami and exactly one POST, nothing after" sh -c \
    "[ $(($(nreq) - before)) -eq 2 ] && [ $(($(nposts) - posts_before)) -eq 1 ]"
check "306 on the POST records bug_filing_blocked" [ "$(events 4 bug_filing_blocked)" -eq 2 ]
check "no bug for case 4" [ "$(q 'SELECT coalesce(bug_id, 0) FROM cases WHERE id = 4')" -eq 0 ]

# --- 5. HTTP 429: the same ---
mode "429"
before=$(nreq)
cpr file 5
check "429 exits non-zero, saying it is not retried" sh -c "[ $rc -ne 0 ] && grep -q '429.*not retried' '$tmp/err'"
check "429: exactly one request" [ "$(($(nreq) - before))" -eq 1 ]
check "429 records bug_filing_blocked" [ "$(events 5 bug_filing_blocked)" -eq 1 ]
mode "429 1 post"
before=$(nreq); posts_before=$(nposts)
cpr file 5
check "429 on the POST: exactly one POST, nothing after" sh -c \
    "[ $rc -ne 0 ] && [ $(($(nreq) - before)) -eq 2 ] && [ $(($(nposts) - posts_before)) -eq 1 ]"
check "429 on the POST records bug_filing_blocked" [ "$(events 5 bug_filing_blocked)" -eq 2 ]
mode "ok"

# --- 6. an untrusted server certificate ---
before=$(nreq)
"$bin" --config "$tmp/untrusted.conf" --db "$db" file 6 >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err" >>"$tmp/all"
check "an untrusted certificate is refused" sh -c "[ $rc -ne 0 ] && grep -qi 'certificate' '$tmp/err'"
check "no request reached the server" [ "$(nreq)" -eq "$before" ]
check "no bug for case 6" [ "$(q 'SELECT coalesce(bug_id, 0) FROM cases WHERE id = 6')" -eq 0 ]

# --- 7. configuration mistakes fail before anything is sent ---
chmod 644 "$tmp/bugzilla.key"
before=$(nreq)
cpr file 6
check "a world-readable key file is refused" sh -c "[ $rc -ne 0 ] && [ $(nreq) -eq $before ]"
chmod 600 "$tmp/bugzilla.key"
cpr file 999
check "an unknown case exits 2" [ "$rc" -eq 2 ]

# --- 8. the key ---
check "the key was sent in X-BUGZILLA-API-KEY on every request" python3 -c "
import json
r=[json.loads(l) for l in open('$srv/requests.log') if '\"method\"' in l]
bad=[x for x in r if not x['key_present']]
assert not bad, bad
"
check "the key never appears in stdout or stderr" sh -c "! grep -qF '$key' '$tmp/all'"
check "the key is not in the database" sh -c "! sqlite3 '$db' .dump | grep -qF '$key'"
check "audit chain intact after filing" sh -c "'$bin' --config '$conf' --db '$db' audit verify >/dev/null"

# --- 9. Bugzilla mail about the filed bug ---
cat >"$tmp/bug-question.eml" <<'EOF'
From: bugzilla-daemon@bugzilla.example
To: problems@acmetrust.test
Subject: [Bug 1900001] Acme Trust Services: Key compromise reported for 1 certificate
Date: Mon, 16 Jun 2025 10:00:00 +0000
X-Bugzilla-Reason: AssignedTo
X-Bugzilla-Type: changed
X-Bugzilla-Product: CA Program
X-Bugzilla-Component: CA Certificate Compliance
X-Bugzilla-Who: bwilson@mozilla.example
X-Bugzilla-Status: ASSIGNED
X-Bugzilla-Flags: 
X-Bugzilla-Changed-Fields: 
Message-ID: <bug-1900001-4242-q1@bugzilla.example>
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

https://bugzilla.example/show_bug.cgi?id=1900001

--- Comment #1 from Ben Wilson <bwilson@mozilla.example> 2025-06-16 10:00:00 UTC ---
Acme Trust, when was the affected certificate revoked? Please add the
exact time to the timeline.

-- 
You are receiving this mail because:
You are the assignee for the bug.
EOF
cpr ingest --json "$tmp/bug-question.eml"
check "mail about bug 1900001 joins case 1" python3 -c "
import json
o=json.loads(open('$tmp/out').readline())
assert o['kind']=='bugzilla' and o['case_id']==1 and not o['new_case'], o
"
check "it joined by bug id" sh -c "sqlite3 '$db' \"SELECT details FROM events WHERE case_id = 1 AND type = 'message_joined_case' ORDER BY id DESC LIMIT 1\" | grep -q '\"how\":\"bug\"'"
check "the question is recorded" [ "$(events 1 question_asked)" -eq 1 ]
check "question_response is due 7 days after the mail" [ \
    "$(q "SELECT due_at FROM clocks WHERE case_id = 1 AND clock = 'question_response'")" -eq $((1750068000 + 7 * 86400)) ]
cpr ingest "$tmp/bug-question.eml"
check "the same mail again asks nothing new" [ "$(events 1 question_asked)" -eq 1 ]

cat >"$tmp/bug-whiteboard.eml" <<'EOF'
From: bugzilla-daemon@bugzilla.example
To: problems@acmetrust.test
Subject: [Bug 1900001] Acme Trust Services: Key compromise reported for 1 certificate
Date: Tue, 17 Jun 2025 09:30:00 +0000
X-Bugzilla-Product: CA Program
X-Bugzilla-Component: CA Certificate Compliance
X-Bugzilla-Who: compliance@acmetrust.test
X-Bugzilla-Flags: 
X-Bugzilla-Changed-Fields: Whiteboard
Message-ID: <bug-1900001-4242-w1@bugzilla.example>
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

https://bugzilla.example/show_bug.cgi?id=1900001

Acme Compliance <compliance@acmetrust.test> changed:

           What    |Removed                     |Added
----------------------------------------------------------------------------
         Whiteboard|[ca-compliance]              |[ca-compliance]
                   |[leaf-revocation-delay]      |[leaf-revocation-delay] Next
                   |                             |update 2025-07-01

-- 
You are receiving this mail because:
You are the assignee for the bug.
EOF
cpr ingest --json "$tmp/bug-whiteboard.eml"
check "the whiteboard mail joins case 1" python3 -c "
import json; o=json.loads(open('$tmp/out').readline()); assert o['case_id']==1, o"
check "Next update 2025-07-01 from mail (unconfirmed) cannot move bug_update later than 7 days" [ \
    "$(q "SELECT due_at FROM clocks WHERE case_id = 1 AND clock = 'bug_update'")" -eq $((1750000000 + 7 * 86400)) ]
check "the CA's own whiteboard change asks no question" [ "$(events 1 question_asked)" -eq 1 ]
check "the date change is audited" [ "$(events 1 bug_update_due_set)" -eq 1 ]

sed -e 's/1900001/1999999/g' -e 's/q1@/q9@/' -e 's/Acme Trust, when/When/' \
    -e 's/Acme Trust Services: Key/Other CA: Key/' "$tmp/bug-question.eml" >"$tmp/bug-other.eml"
cpr ingest --json "$tmp/bug-other.eml"
check "mail about another bug does not join case 1" python3 -c "
import json; o=json.loads(open('$tmp/out').readline()); assert o['case_id']!=1, o"
check "audit chain intact after Bugzilla mail" sh -c "'$bin' --config '$conf' --db '$db' audit verify >/dev/null"

tap_done

#!/bin/sh
# t_audit_checkpoints.sh - signed checkpoints anchor the audit chain (SPEC 2.7,
# 3.3 [audit]; issue 13): `audit checkpoint` appends a signed line; `audit
# verify --checkpoints --public-key` passes on the untouched database (also a
# read-only copy read by another user) and fails, naming the checkpoint, after
# a consistent rewrite of the chain (which plain `audit verify` cannot see),
# after a cut tail, on a tampered line and with another key; the daemon signs
# checkpoints on its schedule and at shutdown (SIGTERM against a real Dovecot,
# and `run --once`), and pages on-call once when it cannot sign.
. "$(dirname "$0")/fixtures/imap/lib.sh"
bin=$CPR_INTAKE
samples="$CPR_FIXTURES/samples"
C="$T/c.conf"
DB="$T/cases.db"
CP="$DB.checkpoints"
cpr() { "$bin" --config "$C" --db "$DB" "$@"; }
on() { db=$1; shift; "$bin" --config "$C" --db "$db" "$@"; }
tamper() { python3 "$CPR_TOP/tests/tamper_chain.py" "$@"; }
maxid() { sql "$1" "SELECT max(id) FROM events"; }
line_id() { sed -n "${2}p" "$1" | cut -d' ' -f1; }

certtool --generate-privkey --key-type ed25519 --outfile "$T/audit.key" >/dev/null 2>&1
certtool --load-privkey "$T/audit.key" --pubkey-info --outfile "$T/audit.pub" >/dev/null 2>&1
certtool --generate-privkey --key-type ed25519 --outfile "$T/other.key" >/dev/null 2>&1
certtool --load-privkey "$T/other.key" --pubkey-info --outfile "$T/other.pub" >/dev/null 2>&1
chmod 600 "$T/audit.key" "$T/other.key"
echo "pd-routing-key" >"$T/pd.key"
chmod 600 "$T/pd.key"
base() {
    cat "$CPR_FIXTURES/conf/samples.conf"
    printf '\n[notify.hook]\ntype=webhook\nurl=http://127.0.0.1:9/hook\n'
    printf '\n[notify.pd]\ntype=pagerduty\nrouting_key_file=%s\nurl=http://127.0.0.1:9/pd\n' "$T/pd.key"
}

# --- configuration ---
base >"$C"
cpr ingest "$samples"/*.eml >/dev/null 2>&1
check "the sample mail is ingested" [ "$(maxid "$DB")" -gt 10 ]
cpr audit checkpoint >"$T/out" 2>"$T/err"
check "audit checkpoint without [audit] signing_key_file exits 2 naming the key" \
    sh -c "[ $? -eq 2 ] && grep -q 'signing_key_file' '$T/err' && [ ! -e '$CP' ]"
{ base; printf '\n[audit]\ncheckpoint_seconds=0\n'; } >"$C"
cpr list >/dev/null 2>"$T/err"
check "[audit] checkpoint_seconds=0 is a configuration error naming the key" \
    sh -c "[ $? -eq 2 ] && grep -q '\[audit\] checkpoint_seconds' '$T/err'"
{ base; printf '\n[audit]\nsigning_key=%s\n' "$T/audit.key"; } >"$C"
cpr list >/dev/null 2>"$T/err"
check "an unknown [audit] key is an error" sh -c "[ $? -eq 2 ] && grep -q 'signing_key: unknown key' '$T/err'"
{ base; printf '\n[audit]\nsigning_key_file=%s\n' "$T/pd.key"; } >"$C"
cpr audit checkpoint >/dev/null 2>"$T/err"
check "a signing key that is not an Ed25519 PEM key exits 2" \
    sh -c "[ $? -eq 2 ] && grep -q 'not a PEM private key' '$T/err'"
{ base; printf '\n[audit]\nsigning_key_file=%s\ncheckpoint_seconds=3600\nbackfill_slack_seconds=3600\n' "$T/audit.key"; } >"$C"

# --- checkpoints ---
cpr audit checkpoint >"$T/cp1" 2>"$T/err"
check "audit checkpoint exits 0" [ $? -eq 0 ]
n1=$(maxid "$DB")
check "it prints the line: event id, chain hash, RFC 3339 UTC time, base64 signature" python3 -c "
import re,sqlite3
line=open('$T/cp1').read().rstrip('\n')
m=re.fullmatch(r'(\d+) ([0-9a-f]{64}) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ([A-Za-z0-9+/]{86}==)', line)
assert m, line
h=sqlite3.connect('$DB').execute('SELECT hash FROM events WHERE id=?', (int(m[1]),)).fetchone()[0]
assert int(m[1])==$n1 and m[2]==h, (m[1], h)
"
check "the line is appended to <db>.checkpoints, created 0600" \
    sh -c "[ \"\$(cat '$CP')\" = \"\$(cat '$T/cp1')\" ] && [ \"\$(stat -c %a '$CP')\" = 600 ]"
check "the checkpoint is logged" grep -q "event=audit_checkpoint id=$n1 hash=" "$T/err"
check "a copy is queued for the webhook target, none for PagerDuty" [ \
    "$(sql "$DB" "SELECT group_concat(target) FROM outbox WHERE kind = 'checkpoint'")" = hook ]
check "the copy carries the line" python3 -c "
import json,sqlite3
p=sqlite3.connect('$DB').execute(\"SELECT payload FROM outbox WHERE kind='checkpoint'\").fetchone()[0]
d=json.loads(p)
assert d['event']=='audit_checkpoint' and d['checkpoint']==open('$T/cp1').read().strip(), d
"
if command -v openssl >/dev/null 2>&1; then
    l=$(cat "$T/cp1")
    printf '%s' "${l% *}" >"$T/signed"
    printf '%s' "${l##* }" | base64 -d >"$T/sig"
    check "the signature is plain Ed25519 (openssl verifies it)" \
        sh -c "openssl pkeyutl -verify -pubin -inkey '$T/audit.pub' -rawin -in '$T/signed' -sigfile '$T/sig' >/dev/null"
fi
for note in "called the subscriber" "subscriber confirmed the key is gone" \
    "revocation scheduled" "revocation done" "reporter told" "closing soon"; do
    cpr event CPR-2025-0001 note --note "$note" >/dev/null
done
cpr audit checkpoint >"$T/cp2" 2>/dev/null
n2=$(maxid "$DB")
check "a second checkpoint anchors the newer head" \
    sh -c "[ \$(wc -l <'$CP') -eq 2 ] && [ '$(line_id "$CP" 2)' = '$n2' ] && [ '$n2' -gt '$n1' ]"

# (d) the untouched database verifies
cpr audit verify --checkpoints "$CP" --public-key "$T/audit.pub" >"$T/out" 2>"$T/err"
check "(d) untouched: audit verify --checkpoints exits 0" [ $? -eq 0 ]
check "(d) it says how many checkpoints held" grep -q "checkpoints: 2 verified" "$T/out"
cpr audit verify --checkpoints "$CP" >/dev/null 2>&1
check "--checkpoints without --public-key is a usage error" [ $? -eq 2 ]

# ... also by an auditor (another user, a configuration without secrets) on a
# read-only copy in a read-only directory
mkdir "$T/ro"
cp "$DB" "$CP" "$T/audit.pub" "$T/ro/"
chmod 0444 "$T/ro"/*
chmod 0555 "$T/ro"
sum_before=$(cat "$T/ro"/* | sha256sum)
setpriv --reuid=65534 --regid=65534 --clear-groups -- "$bin" --config "$CPR_FIXTURES/conf/samples.conf" --db "$T/ro/cases.db" \
    audit verify --checkpoints "$T/ro/cases.db.checkpoints" --public-key "$T/ro/audit.pub" >"$T/out" 2>"$T/err"
check "(d) a read-only copy verifies, read by another user (exit 0)" [ $? -eq 0 ]
check "(d) and nothing in the read-only directory changed" \
    sh -c "[ \"\$(ls '$T/ro' | wc -l)\" -eq 3 ] && [ \"\$(cat '$T/ro'/* | sha256sum)\" = '$sum_before' ]"
[ "$tap_fail" -eq 0 ] || diag "$T/err"

# (a) a consistent rewrite: 4 events deleted, a note edited, every hash and the head recomputed
check "the tamper script mirrors store_event_hash2() (else fix tests/tamper_chain.py)" tamper "$DB" check
cp "$DB" "$T/rewrite.db"
tamper "$T/rewrite.db" rewrite --delete 5,6,7,8 --edit-note "$n2" "nothing to report"
check "(a) the rewrite removed 4 events" [ "$(maxid "$T/rewrite.db")" -eq $((n2 - 4)) ]
on "$T/rewrite.db" audit verify >/dev/null 2>&1
check "(a) plain audit verify cannot see a consistent rewrite" [ $? -eq 0 ]
on "$T/rewrite.db" audit verify --checkpoints "$CP" --public-key "$T/audit.pub" >/dev/null 2>"$T/err"
check "(a) audit verify --checkpoints exits 1" [ $? -eq 1 ]
check "(a) naming the first failing checkpoint: line 1, its event, rewritten" \
    grep -q "checkpoint line 1 (event $n1): the log has hash .* the log was rewritten" "$T/err"
cp "$CP" "$T/rewrite.cp"
{ base; printf '\n[audit]\nsigning_key_file=%s\ncheckpoint_file=%s\n' "$T/audit.key" "$T/rewrite.cp"; } >"$T/rw.conf"
"$bin" --config "$T/rw.conf" --db "$T/rewrite.db" audit checkpoint >/dev/null 2>"$T/err"
check "(a) audit checkpoint refuses to sign the rewritten chain (exit 1, nothing appended)" \
    sh -c "[ $? -eq 1 ] && grep -q 'not signing a checkpoint: the last checkpoint in .* anchors event $n2 ' '$T/err' && [ \$(wc -l <'$T/rewrite.cp') -eq 2 ]"

# (b) a cut tail: the last two events deleted, the head fixed
cp "$DB" "$T/cut.db"
tamper "$T/cut.db" cut 2
on "$T/cut.db" audit verify >/dev/null 2>&1
check "(b) plain audit verify cannot see a tail cut with the head fixed" [ $? -eq 0 ]
on "$T/cut.db" audit verify --checkpoints "$CP" --public-key "$T/audit.pub" >/dev/null 2>"$T/err"
check "(b) a checkpoint beyond the last event: exit 1 naming line 2" sh -c \
    "[ $? -eq 1 ] && grep -q 'checkpoint line 2 (event $n2): .*log ends at event $((n2 - 2)): events were deleted or cut off the end' '$T/err'"

# (c) a tampered checkpoint line, another key
python3 - "$CP" "$T/edited.cp" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines(True)
f = lines[1].split(" ")
f[1] = f[1][:-1] + ("0" if f[1][-1] != "0" else "1")   # another hash, the same signature
lines[1] = " ".join(f)
open(sys.argv[2], "w").write("".join(lines))
EOF
cpr audit verify --checkpoints "$T/edited.cp" --public-key "$T/audit.pub" >/dev/null 2>"$T/err"
check "(c) an edited checkpoint line: exit 1, line 2, signature" \
    sh -c "[ $? -eq 1 ] && grep -q 'checkpoint line 2 (event $n2): the signature does not verify' '$T/err'"
cpr audit verify --checkpoints "$CP" --public-key "$T/other.pub" >/dev/null 2>"$T/err"
check "(c) another public key: exit 1, line 1, signature" \
    sh -c "[ $? -eq 1 ] && grep -q 'checkpoint line 1 (event $n1): the signature does not verify' '$T/err'"
{ cat "$CP"; printf 'garbage\n'; } >"$T/junk.cp"
cpr audit verify --checkpoints "$T/junk.cp" --public-key "$T/audit.pub" >/dev/null 2>"$T/err"
check "(c) a line that is no checkpoint: exit 1 naming line 3" \
    sh -c "[ $? -eq 1 ] && grep -q 'checkpoint line 3: not a checkpoint' '$T/err'"

# a torn last line (a crash in the middle of a write) is reported, never fatal
head -c 60 "$T/cp2" >>"$CP"
cpr audit verify --checkpoints "$CP" --public-key "$T/audit.pub" >/dev/null 2>"$T/err"
check "a torn last line: still exit 0, reported as incomplete" \
    sh -c "[ $? -eq 0 ] && grep -q 'line 3: an incomplete last line' '$T/err'"
cpr audit checkpoint >/dev/null 2>"$T/err"
check "the next checkpoint cuts the torn line off and appends a whole one" sh -c \
    "grep -q 'event=audit_checkpoint_torn' '$T/err' && [ \$(wc -l <'$CP') -eq 3 ] && '$bin' --config '$C' --db '$DB' audit verify --checkpoints '$CP' --public-key '$T/audit.pub' >/dev/null 2>&1"

# (e) the daemon: a checkpoint on its schedule and one at shutdown
imap_server dv
imapctl gen INBOX 2 --prefix cp-
D="$T/daemon.db"
imap_config "$T/d.conf" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" \
    "[audit]" "signing_key_file=$T/audit.key" "checkpoint_seconds=1"
DCP="$D.checkpoints"
last_is_head() { [ -s "$DCP" ] && [ "$(tail -n 1 "$DCP" | cut -d' ' -f1)" = "$(maxid "$D")" ]; }
start_daemon "$T/daemon.log" --config "$T/d.conf" --db "$D" run
check "(e) the daemon signs a checkpoint of the head after catching up" \
    wait_until 20 sh -c "[ \"\$(sqlite3 '$D' 'SELECT count(*) FROM messages' 2>/dev/null)\" = 2 ] && [ -s '$DCP' ]"
wait_until 10 last_is_head
imapctl gen INBOX 1 --prefix cp-more-
check "(e) new mail moves the head and the next periodic checkpoint anchors it" \
    wait_until 20 sh -c "[ \"\$(sqlite3 '$D' 'SELECT count(*) FROM messages' 2>/dev/null)\" = 3 ] && [ \"\$(tail -n 1 '$DCP' | cut -d' ' -f1)\" = \"\$(sqlite3 '$D' 'SELECT max(id) FROM events')\" ]"
check "(e) periodic checkpoints are logged" grep -q "event=audit_checkpoint .*reason=periodic" "$T/daemon.log"
before=$(wc -l <"$DCP")
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
check "(e) SIGTERM: the daemon exits 0" [ "$rc" -eq 0 ]
check "(e) and signs one more checkpoint at shutdown, of the final head" sh -c \
    "[ \$(wc -l <'$DCP') -eq $((before + 1)) ] && grep -q 'event=audit_checkpoint .*reason=shutdown' '$T/daemon.log' && [ \"\$(tail -n 1 '$DCP' | cut -d' ' -f1)\" = \"$(maxid "$D")\" ]"
before=$(wc -l <"$DCP")
"$bin" --config "$T/d.conf" --db "$D" run --once >"$T/once.log" 2>&1
check "(e) run --once also signs a checkpoint as it exits" sh -c \
    "[ $? -eq 0 ] && [ \$(wc -l <'$DCP') -gt $before ] && grep -q 'event=audit_checkpoint .*reason=shutdown' '$T/once.log'"
"$bin" --config "$T/d.conf" --db "$D" audit verify --checkpoints "$DCP" --public-key "$T/audit.pub" >/dev/null 2>"$T/err"
check "(e) the daemon's checkpoints verify" [ $? -eq 0 ]

# (f) the daemon cannot sign (the key became unreadable): on-call is paged
# once for the run of failures, again after a success and a new failure
cp "$T/audit.key" "$T/f.key"
F="$T/f.db"
imap_config "$T/f.conf" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" \
    "[audit]" "signing_key_file=$T/f.key" "checkpoint_seconds=1" \
    "[notify.hook]" "type=webhook" "url=http://127.0.0.1:9/hook"
pages() { sql "$F" "SELECT count(*) FROM outbox WHERE kind = 'health' AND json_extract(payload, '\$.event') = 'audit_checkpoint_failed'"; }
# attempt OUTCOME: new mail, once the clock has passed the retry time (1 s):
# the daemon ingests it and tries a checkpoint at once; wait for one more
# periodic checkpoint with OUTCOME (audit_checkpoint or audit_checkpoint_failed).
# Waiting for any outcome instead raced with the log line of a success begun
# before the key changed.
attempt() {
    pat="event=$1 .*reason=periodic"
    n=$(grep -c "$pat" "$T/f.log"); s=$(date +%s)
    wait_until 5 sh -c "[ \$(date +%s) -ge $((s + 2)) ]"
    imapctl gen INBOX 1 --prefix "f-$1-$n-" >/dev/null
    wait_until 20 sh -c "[ \$(grep -c '$pat' '$T/f.log') -gt $n ]"
}
start_daemon "$T/f.log" --config "$T/f.conf" --db "$F" run
check "(f) the daemon signs while the key is readable" wait_until 20 test -s "$F.checkpoints"
printf 'not a key\n' >"$T/f.key"
attempt audit_checkpoint_failed
attempt audit_checkpoint_failed
check "(f) an unreadable key: the periodic checkpoint fails, and is retried" \
    [ "$(grep -c 'event=audit_checkpoint_failed reason=periodic' "$T/f.log")" -ge 2 ]
check "(f) on-call is paged once, not at every retry" [ "$(pages)" -eq 1 ]
check "(f) the page names the failure and is audited" sh -c "[ \"\$(sqlite3 '$F' \"SELECT count(*) FROM events \
    WHERE type = 'audit_checkpoint_failed'\")\" -eq 1 ] && sqlite3 '$F' \"SELECT payload FROM outbox WHERE kind = 'health'\" | \
    grep -q 'Audit checkpoint could not be signed (periodic)'"
cp "$T/audit.key" "$T/f.key"
attempt audit_checkpoint
check "(f) a readable key again: the next checkpoint clears the failure" \
    [ -z "$(sql "$F" "SELECT value FROM health WHERE key = 'audit.checkpoint_failing'")" ]
printf 'not a key\n' >"$T/f.key"
attempt audit_checkpoint_failed
check "(f) a new failure after a success pages again" [ "$(pages)" -eq 2 ]
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "(f) the failed shutdown checkpoint of the same run pages no more" sh -c \
    "[ $(pages) -eq 2 ] && grep -q 'event=audit_checkpoint_failed reason=shutdown' '$T/f.log'"
[ "$tap_fail" -eq 0 ] || { diag "$T/daemon.log"; diag "$T/f.log"; diag "$T/err"; }
tap_done

#!/bin/sh
# t_evidence.sh - evidence that holds up, and state that forged mail cannot
# steer (issue 13): the release binary reads no test variable; a forged
# whiteboard, in a header or in a change table, relaxes no clock while a
# forged question still opens one; a follow-up's old Date: moves no aware
# time; a re-delivered copy is a duplicate and a reused Message-ID is kept as
# its own message; a damaged database is an error (exit 3) for every
# reader (show, draft, list --triage, audit report, quarantine, status),
# never "nothing due"; a schema-2 database migrates and its old events still verify.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
rel="$CPR_TOP/bin/cpr-intake"
fx="$CPR_FIXTURES/evidence"
ob="$CPR_FIXTURES/obligations"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
ts() { date -u -d "$1" +%s; }

# --- the release binary reads no test variable ---
if [ -x "$rel" ]; then
    CPR_INTAKE_NOW=1000000000 CPR_INTAKE_FAULT=notify-after-claim \
        "$rel" --config "$conf" --db "$tmp/rel.db" ingest "$ob"/r2-unauthorized.eml >/dev/null 2>&1
    check "release binary: CPR_INTAKE_NOW ignored (the real clock is recorded)" [ \
        "$(sqlite3 "$tmp/rel.db" 'SELECT min(recorded_at) > 1700000000 AND min(ingested_at) > 1700000000 FROM events, messages')" = 1 ]
    check "the test build does honour it (so the check above can fail)" sh -c \
        "CPR_INTAKE_NOW=1000000000 '$bin' --config '$conf' --db '$tmp/san.db' ingest '$ob/r2-unauthorized.eml' >/dev/null 2>&1; [ \$(sqlite3 '$tmp/san.db' 'SELECT ingested_at FROM messages') = 1000000000 ]"
else
    not_ok "release binary bin/cpr-intake was built by make check"
fi

# --- a case from a bug, then forged Bugzilla mail ---
export CPR_INTAKE_NOW=$(ts 2026-11-07T12:00:00Z)
cpr ingest "$ob"/r2-unauthorized.eml "$ob"/bug-comment0.eml >/dev/null
bug=$(q "SELECT id FROM cases WHERE bug_id=1990011")
cpr case incident "$bug" yes --aware-at 2026-11-05T09:00:00Z >/dev/null
due() { q "SELECT due_at FROM clocks WHERE case_id=$bug AND clock='bug_update'"; }
before=$(due)
check "the bug's update clock runs 7 days from its filing" [ "$before" = "$(ts 2026-11-12T09:00:40Z)" ]
cpr ingest "$fx"/forged-whiteboard-header.eml >/dev/null
check "a whiteboard header (BMO sends none) moves no clock" [ "$(due)" = "$before" ]
cpr ingest "$fx"/forged-whiteboard-table.eml >/dev/null
check "a later Next update in a change table, unconfirmed, moves no clock" [ "$(due)" = "$before" ]
check "it is recorded as unconfirmed" [ \
    "$(q "SELECT json_extract(details,'$.confirmed') FROM events WHERE case_id=$bug AND type='bug_update_due_set'")" = no ]
cpr ingest "$fx"/forged-question.eml >/dev/null
check "a question, even forged, adds an obligation at once (fail safe)" [ \
    "$(q "SELECT count(*) FROM clocks WHERE case_id=$bug AND clock='question_response' AND ref=4")" -eq 1 ]
sed 's/2027-03-01/9999-12-31/; s/forged-wb-2/forged-wb-3/' "$fx"/forged-whiteboard-table.eml >"$tmp/far.eml"
cpr ingest "$tmp/far.eml" >/dev/null
check "a Next update more than a year ahead is refused and audited" [ \
    "$(q "SELECT count(*) FROM events WHERE case_id=$bug AND type='bug_update_due_refused'")" -eq 1 ]

# --- aware time: a sender's Date: never moves it earlier ---
r2=$(q "SELECT case_id FROM messages WHERE message_id='8812.unauth@kettlewick.test'")
ref=$(q "SELECT reference FROM cases WHERE id=$r2")
aware=$(q "SELECT aware_at FROM cases WHERE id=$r2")
sed "s/CPR-2026-0001/$ref/" "$fx"/followup-old-date.eml >"$tmp/old-date.eml"
cpr ingest --json "$tmp/old-date.eml" >"$tmp/od.out"
check "a follow-up dated 2020 without Received joins its case" python3 -c "
import json; o=json.loads(open('$tmp/od.out').readline()); assert o['case_id']==int('$r2') and o['aware_source']=='date', o"
check "and leaves the case's aware time where the server put it" [ "$(q "SELECT aware_at FROM cases WHERE id=$r2")" = "$aware" ]

# --- duplicates and reused Message-IDs ---
{ printf 'Received: from relay.example by imap2.acmetrust.test; Sat, 07 Nov 2026 11:00:00 +0000\n'
  printf 'Delivered-To: archive@acmetrust.test\n'
  cat "$ob"/r2-unauthorized.eml; } >"$tmp/copy.eml"
cpr ingest --json "$tmp/copy.eml" >"$tmp/copy.out"
check "a re-delivered copy (new trace headers) is a duplicate" python3 -c "
import json; o=json.loads(open('$tmp/copy.out').readline()); assert o['duplicate'] and not o['message_id_reused'], o"
sed 's/^Lars$/Lars (correction: the certificate also names mail.kettlewick.test)/' \
    "$ob"/r2-unauthorized.eml >"$tmp/reused.eml"
n=$(q "SELECT count(*) FROM messages")
cpr ingest --json "$tmp/reused.eml" >"$tmp/reused.out"
check "other content under a known Message-ID is stored as its own message" python3 -c "
import json; o=json.loads(open('$tmp/reused.out').readline()); assert not o['duplicate'] and o['message_id_reused'], o"
check "with an audit event, and nothing lost" sh -c \
    "[ $(q "SELECT count(*) FROM messages") -eq $((n + 1)) ] && [ \$(sqlite3 '$db' \"SELECT count(*) FROM events WHERE type='message_id_reused'\") -eq 1 ]"

# --- recorded_at and the chain ---
check "every event of this version records when it was written" [ \
    "$(q "SELECT count(*) FROM events WHERE recorded_at IS NULL")" -eq 0 ]
check "audit verify holds with recorded_at in the hash" cpr audit verify
sqlite3 "$db" "DROP TRIGGER events_no_update; UPDATE events SET recorded_at = recorded_at + 1 WHERE id = 3"
cpr audit verify >/dev/null 2>&1
check "editing a recorded_at breaks the chain" [ $? -eq 1 ]

# --- a damaged database: exit 3, never "nothing due" ---
cp "$db" "$tmp/damaged.db"
sqlite3 "$tmp/damaged.db" "ALTER TABLE clocks RENAME TO clocks_kept; CREATE VIEW clocks AS SELECT case_id, clock, ref, starts_at, abs(-9223372036854775808) + due_at AS due_at, met_at, page_at, withdrawn, rule, backfilled FROM clocks_kept"
for c in deadlines list "show $bug"; do
    "$bin" --config "$conf" --db "$tmp/damaged.db" $c >/dev/null 2>"$tmp/err"
    check "$c on a damaged database exits 3 with SQLite's message" sh -c "[ $? -eq 3 ] && grep -q 'integer overflow' '$tmp/err'"
done

sqlite3 "$tmp/damaged.db" "INSERT INTO folders (folder) VALUES ('INBOX'); INSERT INTO outbox (target, kind, dedup_key, payload, created_at, next_attempt_at) VALUES ('hook', 'page', 'k1', '{}', 1, 1); ALTER TABLE outbox RENAME TO outbox_kept; CREATE VIEW outbox AS SELECT id, target, case_id, kind, dedup_key, payload, abs(-9223372036854775808) + created_at AS created_at, attempts, next_attempt_at, last_error, delivered_at, failed_at FROM outbox_kept; ALTER TABLE folders RENAME TO folders_kept; CREATE VIEW folders AS SELECT folder, uidvalidity, abs(-9223372036854775808) + last_uid AS last_uid, last_sync FROM folders_kept"
for c in outbox status; do
    "$bin" --config "$conf" --db "$tmp/damaged.db" $c >/dev/null 2>"$tmp/err"
    check "$c on a damaged database exits 3 with SQLite's message" sh -c "[ $? -eq 3 ] && grep -q 'integer overflow' '$tmp/err'"
done

for c in "audit report" "audit report --format html"; do
    "$bin" --config "$conf" --db "$tmp/damaged.db" $c >/dev/null 2>"$tmp/err"
    check "$c on a damaged database exits 3 with SQLite's message" sh -c "[ $? -eq 3 ] && grep -q 'integer overflow' '$tmp/err'"
done
# damage COPY TABLE: a copy of the database in which every integer of TABLE
# overflows when it is read
damage() {
    cp "$db" "$1"
    cols=$(sqlite3 "$db" "SELECT group_concat(CASE WHEN type LIKE 'INT%' THEN 'abs(-9223372036854775808) + ' || name || ' AS ' || name ELSE name END, ', ') FROM pragma_table_info('$2')")
    sqlite3 "$1" "PRAGMA legacy_alter_table=ON; ALTER TABLE $2 RENAME TO $2_kept; CREATE VIEW $2 AS SELECT $cols FROM $2_kept"
}
damage "$tmp/damaged-events.db" events
"$bin" --config "$conf" --db "$tmp/damaged-events.db" audit verify >/dev/null 2>"$tmp/err"
check "audit verify on an unreadable event log exits 3 (not 1: nothing was shown tampered)" sh -c \
    "[ $? -eq 3 ] && grep -q 'integer overflow' '$tmp/err'"
# every integer of every message overflows when read: each reader says so
damage "$tmp/damaged-messages.db" messages
{ cat "$conf"; printf '\n[drafts]\ntemplate_dir=%s\n' "$CPR_TOP/conf/templates"; } >"$tmp/drafts.conf"
"$bin" --config "$tmp/drafts.conf" --db "$db" draft "$r2" >/dev/null 2>&1
check "draft works on the intact database (so the next check can fail)" [ $? -eq 0 ]
for c in "show $r2" "show $r2 --json" "draft $r2" "draft $r2 --report full" "list --triage" \
    "list --triage --json" "quarantine list" "status"; do
    "$bin" --config "$tmp/drafts.conf" --db "$tmp/damaged-messages.db" $c >/dev/null 2>"$tmp/err"
    check "$c on a damaged messages table exits 3 with SQLite's message" sh -c "[ $? -eq 3 ] && grep -q 'integer overflow' '$tmp/err'"
done

# --- migration from schema 2: old rows keep their v1 hashes ---
cp "$CPR_FIXTURES/migration/v2.db" "$tmp/old.db"
CPR_INTAKE_NOW=1749000000 "$bin" --config "$conf" --db "$tmp/old.db" event 1 note --note "after the upgrade" >/dev/null
check "schema 2 -> current: old events have no recorded_at, new ones do, the chain verifies" sh -c \
    "[ $(sqlite3 "$tmp/old.db" 'SELECT count(*) FROM events WHERE id <= 24 AND recorded_at IS NULL') -eq 24 ] && [ \$(sqlite3 '$tmp/old.db' 'SELECT count(*) FROM events WHERE id > 24 AND recorded_at IS NULL') -eq 0 ] && '$bin' --config '$conf' --db '$tmp/old.db' audit verify >/dev/null"
check "schema 2 -> current: the Message-ID index is no longer unique" [ \
    "$(sqlite3 "$tmp/old.db" "SELECT sql LIKE '%UNIQUE%' FROM sqlite_master WHERE name='messages_message_id'")" = 0 ]
tap_done

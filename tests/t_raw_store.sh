#!/bin/sh
# t_raw_store.sh - issue 16: the raw message lives in its own table,
# message_raw, written by incremental blob I/O. A database of the previous
# schema (raw in messages.raw) is migrated: every message's bytes move, and
# the readers (quarantine export, show, draft) find them in the new place.
. "$CPR_TOP/tests/tap.sh"
bin="$CPR_INTAKE"
conf="$CPR_FIXTURES/conf/samples.conf"
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1796292000
db="$tmp/old.db"
q() { sqlite3 "$db" "$1"; }
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }

printf 'this is not a mail message\r\nonly words\r\n' >"$tmp/junk.eml"
cpr ingest "$samples/001-kc-csr-proof.eml" "$samples/003-misissuance-pem-attachment.eml" \
    "$tmp/junk.eml" >/dev/null 2>&1
v=$(q 'PRAGMA user_version')
check "new rows: raw bytes in message_raw, messages.raw empty" sh -c "
    [ \"\$(sqlite3 '$db' 'SELECT count(*) FROM message_raw')\" -eq 3 ] &&
    [ \"\$(sqlite3 '$db' 'SELECT count(*) FROM messages WHERE length(raw) > 0')\" -eq 0 ]"

# the schema before step 8 -> 9: raw in messages, no message_raw (nor what
# later steps add: the held-events index of step 9 -> 10)
q "UPDATE messages SET raw = (SELECT raw FROM message_raw WHERE message_row = messages.id);
   DROP TABLE message_raw; DROP INDEX events_held; DROP INDEX outbox_kind_created;
   PRAGMA user_version = 8;"
check "the previous schema holds the raw bytes in messages.raw" \
    [ "$(q 'SELECT count(*) FROM messages WHERE length(raw) = size')" -eq 3 ]

jid=$(q "SELECT id FROM messages WHERE source LIKE '%junk.eml'")
cpr quarantine export "$jid" --output "$tmp/export.eml" >/dev/null 2>"$tmp/err"
check "the database is migrated to the current schema" [ "$(q 'PRAGMA user_version')" -eq "$v" ]
check "every message's bytes moved to message_raw" \
    [ "$(q 'SELECT count(*) FROM messages m JOIN message_raw r ON r.message_row = m.id
           WHERE length(r.raw) = m.size AND length(m.raw) = 0')" -eq 3 ]
check "quarantine export reads the moved bytes" cmp -s "$tmp/junk.eml" "$tmp/export.eml"
q "SELECT writefile('$tmp/003.eml', r.raw) FROM messages m JOIN message_raw r ON r.message_row = m.id
   WHERE m.source LIKE '%003-misissuance%'" >/dev/null
check "a report's bytes moved unchanged" cmp -s "$samples/003-misissuance-pem-attachment.eml" "$tmp/003.eml"
cpr draft 1 --with-excerpt >"$tmp/draft.md" 2>"$tmp/err"
check "draft --with-excerpt quotes the report from its moved raw bytes" \
    grep -q "Please treat this as a certificate problem report" "$tmp/draft.md"
cpr ingest "$samples/002-kc-followup.eml" >/dev/null 2>&1
check "ingest goes on after the migration" [ "$(q 'SELECT count(*) FROM message_raw')" -eq 4 ]

# A database made by a binary that stopped at the previous step (v8.db, made
# by the release binary of 559da68; see tests/fixtures/migration/README.md):
# every message's bytes move, unchanged, and the case data is kept.
v8="$tmp/v8.db"
cp "$CPR_FIXTURES/migration/v8.db" "$v8"
q8() { sqlite3 "$v8" "$1"; }
check "v8.db is a version 8 database holding its raw bytes in messages" sh -c "
    [ \"\$(sqlite3 '$v8' 'PRAGMA user_version')\" -eq 8 ] &&
    [ \"\$(sqlite3 '$v8' 'SELECT count(*) FROM messages WHERE length(raw) = size')\" -eq 12 ]"
"$bin" --config "$conf" --db "$v8" show 2 >"$tmp/v8show.txt" 2>"$tmp/err"
check "the version 8 database is opened and migrated" [ "$(q8 'PRAGMA user_version')" -eq "$v" ]
check "its 12 messages' bytes moved to message_raw, messages.raw emptied" \
    [ "$(q8 'SELECT count(*) FROM messages m JOIN message_raw r ON r.message_row = m.id
            WHERE length(r.raw) = m.size AND length(m.raw) = 0')" -eq 12 ]
n=0
for f in "$samples"/*.eml; do
    id=$(q8 "SELECT id FROM messages WHERE source = '$(basename "$f")' OR source LIKE '%/$(basename "$f")'")
    [ -n "$id" ] || continue
    q8 "SELECT writefile('$tmp/v8.out', raw) FROM message_raw WHERE message_row = $id" >/dev/null
    cmp -s "$f" "$tmp/v8.out" && n=$((n + 1))
done
check "each moved message is byte for byte the sample it was ingested from" [ "$n" -eq 12 ]
check "its cases, events and recorded Subscriber are kept" sh -c "
    [ \"\$(sqlite3 '$v8' 'SELECT count(*) FROM cases')\" -eq 8 ] &&
    [ \"\$(sqlite3 '$v8' 'SELECT count(*) FROM events')\" -ge 30 ] &&
    [ \"\$(sqlite3 '$v8' 'SELECT email FROM case_subscribers WHERE case_id = 2')\" = ops@example.test ]"
"$bin" --config "$conf" --db "$v8" draft 1 --with-excerpt >"$tmp/v8draft.md" 2>"$tmp/err"
check "a draft quotes the report from the moved bytes" \
    grep -q "Please treat this as a certificate problem report" "$tmp/v8draft.md"

# Step 9 -> 10 (issue 16) on a database made by a binary that stopped at 9
# (v9.db, release binary of 9f57420): the held-events index is added, nothing
# else changes, the audit chain still verifies, and the flood summary's count
# is planned through the index while per-case event queries are not.
v9="$tmp/v9.db"
cp "$CPR_FIXTURES/migration/v9.db" "$v9"
q9() { sqlite3 "$v9" "$1"; }
held="SELECT coalesce(sum(type = 'page_held'), 0), coalesce(sum(type = 'ack_held'), 0),
      coalesce(max(id), 0) FROM events WHERE id > 0 AND type IN ('page_held', 'ack_held')"
check "v9.db is a version 9 database without the held-events index" sh -c "
    [ \"\$(sqlite3 '$v9' 'PRAGMA user_version')\" -eq 9 ] &&
    [ -z \"\$(sqlite3 '$v9' \"SELECT name FROM sqlite_master WHERE name = 'events_held'\")\" ]"
before=$(q9 'SELECT count(*), max(id), group_concat(hash) FROM events' | sha256sum)
"$bin" --config "$conf" --db "$v9" list >/dev/null 2>"$tmp/err"
check "the version 9 database is opened and migrated" [ "$(q9 'PRAGMA user_version')" -eq "$v" ]
check "its events are unchanged by the step" [ "$(q9 'SELECT count(*), max(id), group_concat(hash) FROM events' | sha256sum)" = "$before" ]
"$bin" --config "$conf" --db "$v9" audit verify >"$tmp/v9verify.txt" 2>&1
check "its audit chain still verifies after the step" grep -q "audit trail intact: 30 events verified" "$tmp/v9verify.txt"
check "the flood summary's count reads the held-events index" sh -c \
    "sqlite3 '$v9' \"EXPLAIN QUERY PLAN $held\" | grep -q 'USING INDEX events_held'"
check "the last flood summary is found by kind, not by walking the outbox" sh -c \
    "sqlite3 '$v9' \"EXPLAIN QUERY PLAN SELECT created_at, json_extract(payload, '\\\$.through_event') FROM outbox
        WHERE kind = 'flood_summary' ORDER BY id DESC LIMIT 1\" | grep -q 'INDEX outbox_kind_created (kind=?)'"
check "the flood limits count the last hour's pages through (kind, created_at)" sh -c \
    "sqlite3 '$v9' \"EXPLAIN QUERY PLAN SELECT count(DISTINCT case_id) FROM outbox WHERE kind = 'page' AND created_at > 0\" |
     grep -q 'USING INDEX outbox_kind_created (kind=? AND created_at>?)'"
check "a per-case event query is not planned through it" sh -c \
    "sqlite3 '$v9' \"EXPLAIN QUERY PLAN SELECT id FROM events WHERE case_id = 2 AND type = 'page_held'\" |
     grep -q 'events_case' && ! sqlite3 '$v9' \"EXPLAIN QUERY PLAN SELECT id FROM events WHERE case_id = 2 AND type = 'page_held'\" | grep -q events_held"
tap_done

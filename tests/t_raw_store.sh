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

# the previous schema: raw in messages, no message_raw
q "UPDATE messages SET raw = (SELECT raw FROM message_raw WHERE message_row = messages.id);
   DROP TABLE message_raw; PRAGMA user_version = $((v - 1));"
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
tap_done

#!/bin/sh
# Catch-up over IMAP against a real Dovecot: every message in three folders is
# ingested exactly once with INTERNALDATE as aware_at; a second `run --once`
# adds nothing; processed messages carry the keyword; a changed UIDVALIDITY
# (folder deleted and recreated) doubles nothing. Issue 4 "Done when" 1 and 5.
. "$(dirname "$0")/fixtures/imap/lib.sh"

imap_server dv
S="$CPR_FIXTURES/samples"
DATE=1767225600 # 2026-01-01T00:00:00Z, as INTERNALDATE of the INBOX samples
n_inbox=0
for f in "$S"/0*.eml; do
    case "$f" in *007-*|*008-*|*009-*) continue ;; esac
    imapctl append INBOX --date "$DATE" "$f" || { echo "Bail out! APPEND failed"; exit 1; }
    n_inbox=$((n_inbox + 1))
done
imapctl append Lists/mdsp "$S"/007-*.eml
imapctl append Lists/ccadb "$S"/008-*.eml
imapctl gen Lists/mdsp 20 --prefix mdsp --date 1767000000
imapctl append Bugzilla "$S"/009-*.eml
imapctl gen Bugzilla 5 --prefix bz
total=$((n_inbox + 1 + 1 + 20 + 1 + 5))

C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Lists/mdsp;Lists/ccadb;Bugzilla" \
    "ca_file=$CA_FILE" "processed=keyword" "batch=7"

"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run1.log" 2>&1
rc=$?
check "run --once exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$T/run1.log"
check "all $total messages stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$total" ]
check "one IMAP source row per message" \
    [ "$(sql "$DB" 'SELECT count(*) FROM message_sources WHERE folder IS NOT NULL')" = "$total" ]
check "no Message-ID twice" \
    [ "$(sql "$DB" 'SELECT count(*) - count(DISTINCT message_id) FROM messages')" = 0 ]
check "aware_at = INTERNALDATE for the INBOX samples" \
    [ "$(sql "$DB" "SELECT count(*) FROM messages m JOIN message_sources s ON s.message_row = m.id
                    WHERE s.folder = 'INBOX' AND m.aware_at = $DATE AND m.aware_source = 'imap_internaldate'")" = "$n_inbox" ]
check "aware_at = INTERNALDATE for generated list posts" \
    [ "$(sql "$DB" "SELECT count(*) FROM messages WHERE message_id LIKE 'mdsp-%'
                    AND aware_at = 1767000000 + CAST(substr(message_id, 6, instr(message_id, '@') - 6) AS INTEGER)")" = 20 ]
# parsed ahead on other threads (issue 16), stored in UID order all the same
check "each folder's messages stored in UID order" \
    [ "$(sql "$DB" "SELECT count(*) FROM message_sources a JOIN message_sources b
                    ON a.folder = b.folder AND a.uid < b.uid AND a.message_row > b.message_row")" = 0 ]
check "folders table has the last UIDs" \
    [ "$(sql "$DB" "SELECT last_uid FROM folders WHERE folder = 'Lists/mdsp'")" = 21 ]
check "keyword set on every INBOX message" [ "$(imapctl keyword INBOX '$CprIntake')" = "$n_inbox" ]
check "keyword set on every Bugzilla message" [ "$(imapctl keyword Bugzilla '$CprIntake')" = 6 ]
check "log names folder and uid" grep -q 'event=ingested folder=Lists/ccadb uid=1 message_id=' "$T/run1.log"
check "no secret in the log" sh -c "! grep -q \"\$(cat '$IMAP_PASSWORD_FILE')\" '$T/run1.log'"

cases1=$(sql "$DB" 'SELECT count(*) FROM cases')
events1=$(sql "$DB" 'SELECT count(*) FROM events')
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run2.log" 2>&1
check "second run --once exits 0" [ $? -eq 0 ]
check "second run adds no message" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$total" ]
check "second run adds no case" [ "$(sql "$DB" 'SELECT count(*) FROM cases')" = "$cases1" ]
check "second run adds no event" [ "$(sql "$DB" 'SELECT count(*) FROM events')" = "$events1" ]
check "second run ingests nothing" sh -c "! grep -q event=ingested '$T/run2.log'"

# UIDVALIDITY change: recreate Lists/mdsp with the same mail (new UIDVALIDITY, UIDs from 1).
old_uv=$(imapctl uidvalidity Lists/mdsp)
imapctl delete Lists/mdsp
imapctl append Lists/mdsp "$S"/007-*.eml
imapctl gen Lists/mdsp 20 --prefix mdsp --date 1767000000
imapctl gen Lists/mdsp 2 --prefix mdsp-new
new_uv=$(imapctl uidvalidity Lists/mdsp)
check "recreated folder has a new UIDVALIDITY" [ "$old_uv" != "$new_uv" ]
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run3.log" 2>&1
check "run after UIDVALIDITY change exits 0" [ $? -eq 0 ]
check "UIDVALIDITY change noticed" grep -q "event=uidvalidity_changed folder=Lists/mdsp" "$T/run3.log"
check "only the 2 new messages added" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$((total + 2))" ]
check "no case doubled" [ "$(sql "$DB" 'SELECT count(*) FROM cases')" -le "$((cases1 + 2))" ]
check "folder state follows the new UIDVALIDITY" \
    [ "$(sql "$DB" "SELECT uidvalidity || '/' || last_uid FROM folders WHERE folder = 'Lists/mdsp'")" = "$new_uv/23" ]
check "the change is in the audit trail" \
    [ "$(sql "$DB" "SELECT count(*) FROM events WHERE type = 'folder_uidvalidity_changed'")" -ge 1 ]
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run4.log" 2>&1
check "and the next run adds nothing" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$((total + 2))" ]

tap_done

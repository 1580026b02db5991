#!/bin/sh
# t_imap_folders.sh - `folders=` written with "/" works on a server with
# another hierarchy: Dovecot set up like Cyrus IMAP (separator ".", personal
# prefix "INBOX.", so Lists/ccadb is INBOX.Lists.ccadb there); the store keeps
# the configured names. After a lost connection the error names that failure,
# not the text of an earlier, unrelated server reply (issue 14, finding 6).
. "$(dirname "$0")/fixtures/imap/lib.sh"

DOVECOT_SEPARATOR=. DOVECOT_PREFIX=INBOX. imap_server cy
S="$CPR_FIXTURES/samples"
imapctl append INBOX "$S"/001-*.eml
imapctl append INBOX.Lists.ccadb "$S"/008-*.eml
imapctl append INBOX.Bugzilla "$S"/009-*.eml
imapctl gen INBOX.Bugzilla 2 --prefix bz
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Lists/ccadb;Bugzilla" "ca_file=$CA_FILE"

"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run1.log" 2>&1
rc=$?
check "run --once with folders=INBOX;Lists/ccadb;Bugzilla on a '.' server exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$T/run1.log"
check "no 'Mailbox doesn't exist'" sh -c "! grep -qi 'exist' '$T/run1.log'"
check "all 5 messages stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 5 ]
check "the store keeps the configured names" \
    [ "$(sql "$DB" "SELECT group_concat(folder, ',') FROM (SELECT folder FROM folders ORDER BY folder)")" = "Bugzilla,INBOX,Lists/ccadb" ]
check "sources are configured-name/uid" \
    [ "$(sql "$DB" "SELECT count(*) FROM message_sources WHERE folder = 'Lists/ccadb' AND uid = 1")" = 1 ]
check "the keyword is set in INBOX.Lists.ccadb" [ "$(imapctl keyword INBOX.Lists.ccadb '$CprIntake')" = 1 ]
check "the keyword is set in INBOX.Bugzilla" [ "$(imapctl keyword INBOX.Bugzilla '$CprIntake')" = 3 ]

# A folder that does not exist fails alone, naming both spellings; then the
# server goes away while the daemon idles on INBOX: the error is the lost
# connection, not the old "Mailbox doesn't exist" (nor any other old reply).
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Lists/none" "ca_file=$CA_FILE"
start_daemon "$T/daemon.log" --config "$C" --db "$DB" run
check "the missing folder fails, named as configured and as on the server" \
    wait_until 20 grep -q 'event=folder_failed folder=Lists/none error="SELECT Lists/none (on the server INBOX.Lists.none): SELECT refused (server: ' "$T/daemon.log"
wait_until 10 grep -q 'event=connected' "$T/daemon.log"
imapctl gen INBOX 1 --prefix pushed-
check "push still works on INBOX" \
    wait_until 10 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$DB' \"SELECT count(*) FROM messages WHERE message_id LIKE 'pushed-%'\")\" = 1 ]"
dovecot_stop "$DOVECOT_DIR"
check "the daemon notices the server went away" wait_until 15 grep -q 'event=disconnected' "$T/daemon.log"
grep 'event=disconnected' "$T/daemon.log" | head -n 1 >"$T/disc.txt"
check "the error names the lost connection" grep -q 'connection lost' "$T/disc.txt"
check "the error quotes no earlier server reply" sh -c "! grep -q 'server:' '$T/disc.txt'"
[ -s "$T/disc.txt" ] && diag "$T/disc.txt"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "the daemon stops with 0" [ $? -eq 0 ]
tap_done

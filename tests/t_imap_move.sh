#!/bin/sh
# processed = move:FOLDER and none, and SIGHUP reload, against a real Dovecot.
# The store, not the server, drives catch-up: a moved message is not ingested
# again when the destination is also watched, and `none` leaves the mailbox as is.
. "$(dirname "$0")/fixtures/imap/lib.sh"

imap_server dv
imapctl gen INBOX 5 --prefix mv
imapctl create Done
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Done" "ca_file=$CA_FILE" "processed=move:Done"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run1.log" 2>&1
check "move: run --once exits 0" [ $? -eq 0 ]
check "move: 5 messages stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 5 ]
check "move: INBOX is empty" [ "$(imapctl count INBOX)" = 0 ]
check "move: Done holds them" [ "$(imapctl count Done)" = 5 ]
check "move: every commit synced (synchronous=FULL)" grep -q "event=store_synchronous mode=full" "$T/run1.log"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run2.log" 2>&1
check "move: watching the destination adds no message" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 5 ]
check "move: and no case" [ "$(sql "$DB" 'SELECT count(*) FROM cases')" = "$(sql "$DB" 'SELECT count(DISTINCT case_id) FROM messages WHERE case_id IS NOT NULL')" ]

imapctl gen INBOX 2 --prefix none
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=none"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run3.log" 2>&1
check "none: stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 7 ]
check "none: the default durability" sh -c "! grep -q 'event=store_synchronous' '$T/run3.log'"
check "none: left in INBOX without keyword" \
    [ "$(imapctl count INBOX)/$(imapctl keyword INBOX '$CprIntake')" = "2/0" ]

# SIGHUP: the daemon re-reads its configuration and reconnects with it.
start_daemon "$T/daemon.log" --config "$C" --db "$DB" run
wait_until 10 grep -q "event=connected" "$T/daemon.log"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword"
kill -HUP "$DAEMON_PID"
check "SIGHUP: configuration reloaded" wait_until 5 grep -q "event=reloaded" "$T/daemon.log"
check "SIGHUP: reconnected" wait_until 5 sh -c "[ \$(grep -c event=connected '$T/daemon.log') -ge 2 ]"
imapctl gen INBOX 1 --prefix hup
# the new message, and (mark catch-up, issue 17) the two stored under "none"
check "SIGHUP: new settings apply (keyword set)" wait_until 5 sh -c "[ \"\$(python3 '$CPR_FIXTURES/imap/imapctl.py' '$DOVECOT_DIR/env' keyword INBOX '\$CprIntake')\" = 3 ]"
echo "broken" >>"$C"
kill -HUP "$DAEMON_PID"
check "SIGHUP with a bad file: old configuration kept" wait_until 5 grep -q "event=reload_failed" "$T/daemon.log"
check "daemon still running" kill -0 "$DAEMON_PID"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "SIGTERM: exit 0" [ $? -eq 0 ]
[ "$tap_fail" -eq 0 ] || diag "$T/daemon.log"
tap_done

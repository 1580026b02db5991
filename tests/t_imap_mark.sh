#!/bin/sh
# The server mark catches up (issue 17), against a real Dovecot: the
# connection is lost right after a batch is committed and before the marking
# command (the process killed there, as a cut link would leave it); the next
# normal run marks every stored message: the keyword, or under move: the move.
# A mark the server refuses (move: to a folder that does not exist) makes
# `run --once` exit non-zero, and is retried once the folder exists.
. "$(dirname "$0")/fixtures/imap/lib.sh"

imap_server dv
C="$T/c.conf"
DB="$T/store.db"

# --- keyword ---
imapctl gen INBOX 12 --prefix mk
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword" "batch=5"
CPR_INTAKE_FAULT=imap-before-mark "$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/cut.log" 2>&1
check "keyword: the first batch was stored, then the link was cut" \
    [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 5 ]
check "keyword: none of them marked yet" [ "$(imapctl keyword INBOX '$CprIntake')" = 0 ]
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run1.log" 2>&1
check "keyword: the next run exits 0" [ $? -eq 0 ]
check "keyword: every message stored once" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 12 ]
check "keyword: every stored message marked, the cut batch too" [ "$(imapctl keyword INBOX '$CprIntake')" = 12 ]
check "keyword: the catch-up said so" grep -q "event=mark_catch_up folder=INBOX messages=5" "$T/run1.log"

# --- move: ---
imapctl gen INBOX 7 --prefix mv
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=move:Done" "batch=5"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/nofolder.log" 2>&1
rc=$?
check "move to a missing folder: stored anyway" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 19 ]
check "move refused: run --once exits non-zero while stored messages stay unmoved" [ "$rc" -ne 0 ]
imapctl create Done
CPR_INTAKE_FAULT=imap-before-mark "$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/cut2.log" 2>&1
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run2.log" 2>&1
check "move: the next run exits 0" [ $? -eq 0 ]
check "move: nothing stored twice" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 19 ]
check "move: the refused ones moved once the folder exists" [ "$(imapctl count Done)" = 19 ]
check "move: INBOX is empty" [ "$(imapctl count INBOX)" = 0 ]

tap_done

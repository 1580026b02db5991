#!/bin/sh
# The server mark catches up (issue 17 item 3), against a real Dovecot behind
# tests/cut_proxy.py:
# - the proxy cuts the connection right before the marking command (UID STORE,
#   UID MOVE) after a batch was committed: `run --once` fails; the next normal
#   run marks every stored message (the keyword, or under move: the move) and
#   stores nothing twice;
# - a mark the server refuses (the proxy answers UID STORE with NO; under
#   move:, a folder that does not exist) makes `run --once` exit non-zero, is
#   retried at every pass and, after 3 refused passes over at least 5 minutes
#   (shortened here by the test hook CPR_INTAKE_MARK_PAGE_SECONDS), pages
#   on-call once through the outbox, naming the folder and the count and no
#   reporter's data; the pass that marks them clears it with an all-clear;
# - the daemon whose connection is cut before the mark marks at reconnection.
. "$(dirname "$0")/fixtures/imap/lib.sh"
. "$CPR_TOP/tests/notify_sinks.sh"

imap_server dv
C="$T/c.conf"
DB="$T/store.db"
run_once() { # LOG [VAR=VALUE...]: run --once, status in rc
    log=$1; shift
    env "$@" "$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$log" 2>&1
    rc=$?
}
stored() { sql "$DB" 'SELECT count(*) FROM messages'; }

# --- keyword: cut right before UID STORE ---
imapctl gen INBOX 12 --prefix mk
cut_proxy_start cut1 --cut-on '^[^ ]+ UID STORE '
imap_config "$C" "imaps://127.0.0.1:$PROXY_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword" "batch=5"
run_once "$T/cut1.run"
check "keyword: the run whose connection is cut before the mark exits non-zero" [ "$rc" -ne 0 ]
check "keyword: the proxy cut it at the marking command" grep -q '^cut 1 on-line: [^ ]* UID STORE ' "$T/cut1.log"
# a connection that stored a batch earns a quick reconnect (issue 17 item 5),
# so the run goes on, batch by batch, cut before each mark, until none is left
check "keyword: every batch was stored before its cut" [ "$(stored)" = 12 ]
check "keyword: none of them marked yet" [ "$(imapctl keyword INBOX '$CprIntake')" = 0 ]
kill "$CUT_PROXY_PID"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword" "batch=5"
run_once "$T/run1.log"
check "keyword: the next normal run exits 0" [ "$rc" -eq 0 ]
check "keyword: every message stored, none twice" [ "$(stored)" = 12 ]
check "keyword: every stored message marked, the cut batch too" [ "$(imapctl keyword INBOX '$CprIntake')" = 12 ]
check "keyword: the catch-up said so" grep -q "event=mark_catch_up folder=INBOX messages=12" "$T/run1.log"

# --- move: cut right before UID MOVE ---
imapctl create Done
imapctl gen INBOX 7 --prefix mv
cut_proxy_start cut2 --cut-on '^[^ ]+ UID MOVE '
imap_config "$C" "imaps://127.0.0.1:$PROXY_PORT" "INBOX" "ca_file=$CA_FILE" "processed=move:Done" "batch=5"
run_once "$T/cut2.run"
check "move: the run whose connection is cut before the move exits non-zero" [ "$rc" -ne 0 ]
check "move: the proxy cut it at the move" grep -q '^cut 1 on-line: [^ ]* UID MOVE ' "$T/cut2.log"
check "move: every new batch was stored before its cut" [ "$(stored)" = 19 ]
check "move: nothing moved yet" [ "$(imapctl count Done)" = 0 ]
kill "$CUT_PROXY_PID"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=move:Done" "batch=5"
run_once "$T/run2.log"
check "move: the next normal run exits 0" [ "$rc" -eq 0 ]
check "move: every message stored, none twice" [ "$(stored)" = 19 ]
check "move: every stored message moved" [ "$(imapctl count Done)" = 19 ]
check "move: INBOX is empty" [ "$(imapctl count INBOX)" = 0 ]

# --- a refused mark: retried, paged once, cleared ---
hp=$(http_sink_start "$T" hook)
hook_lines="[notify.hook]
type=webhook
url=http://127.0.0.1:$hp/hook"
# pages of one event in the sink's log, each as one line of its JSON document
pages() { python3 -c '
import json, sys
for line in open(sys.argv[1]):
    doc = json.loads(json.loads(line)["body"])
    if doc.get("event") == sys.argv[2]:
        print(json.dumps(doc))' "$T/hook.log" "$1"; }
count_pages() { pages "$1" | wc -l | tr -d ' '; }
state() { sql "$DB" "SELECT value FROM health WHERE key = 'imap.mark_refused:INBOX'"; }

imapctl gen INBOX 4 --prefix rf
cut_proxy_start refuse --refuse '^[^ ]+ UID STORE '
imap_config "$C" "imaps://127.0.0.1:$PROXY_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword" \
    "$hook_lines"
run_once "$T/ref1.log"
check "refused: run --once exits non-zero while stored messages stay unmarked" [ "$rc" -ne 0 ]
check "refused: the proxy refused the mark" grep -q '^refused [0-9]*: [^ ]* UID STORE ' "$T/refuse.log"
check "refused: stored anyway" [ "$(stored)" = 23 ]
check "refused: the run says what failed" grep -q 'refused to mark 4 stored message(s)' "$T/ref1.log"
run_once "$T/ref2.log"
run_once "$T/ref3.log"
check "refused: retried at every pass, counted" [ "$(state | sed 's/.*passes=\([0-9]*\).*/\1/')" = 3 ]
check "refused: no page before the refusals are 5 minutes old" [ "$(count_pages mark_refused)" = 0 ]
run_once "$T/ref4.log" CPR_INTAKE_MARK_PAGE_SECONDS=0
check "refused: then on-call is paged" [ "$(count_pages mark_refused)" = 1 ]
run_once "$T/ref5.log" CPR_INTAKE_MARK_PAGE_SECONDS=0
check "refused: and only once" [ "$(count_pages mark_refused)" = 1 ]
check "refused: the run still exits non-zero" [ "$rc" -ne 0 ]
pages mark_refused >"$T/page.json"
check "refused: the page names the folder and the count" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["folder"] == "INBOX" and d["count"] == 4 and "INBOX" in d["summary"] and "4 stored" in d["summary"]))' "$T/page.json" 2>/dev/null
check "refused: the page holds no reporter's data" \
    sh -c "! grep -Eqi 'reporter|example\\.org|problem report|phishing' '$T/page.json'"
check "refused: in the audit trail" \
    [ "$(sql "$DB" "SELECT count(*) FROM events WHERE type = 'mark_refused'")" = 1 ]
check "refused: nothing marked meanwhile" [ "$(imapctl keyword INBOX '$CprIntake')" = 0 ]
kill "$CUT_PROXY_PID"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword" \
    "$hook_lines"
run_once "$T/ok.log"
check "accepted again: run --once exits 0" [ "$rc" -eq 0 ]
check "accepted again: the stored messages are marked" [ "$(imapctl keyword INBOX '$CprIntake')" = 4 ]
check "accepted again: an all-clear follows the page" [ "$(count_pages mark_recovered)" = 1 ]
check "accepted again: the condition is cleared" [ -z "$(state)" ]
run_once "$T/ok2.log"
check "accepted again: once" [ "$(count_pages mark_recovered)" = 1 ]

# under move:, a folder that does not exist is a refusal too
imapctl gen INBOX 2 --prefix nf
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "processed=move:Missing"
run_once "$T/nofolder.log"
check "move to a missing folder: stored anyway" [ "$(stored)" = 25 ]
check "move to a missing folder: run --once exits non-zero" [ "$rc" -ne 0 ]
check "move to a missing folder: counted as a refusal" [ -n "$(state)" ]
imapctl create Missing
run_once "$T/nofolder2.log"
check "move to the folder once it exists: exits 0" [ "$rc" -eq 0 ]
check "move to the folder once it exists: all moved" [ "$(imapctl count Missing)" = 6 ]
check "move to the folder once it exists: cleared without a page" \
    [ -z "$(state)" -a "$(count_pages mark_recovered)" = 1 ]

# --- the daemon: its connection cut before the mark, the reconnection marks ---
# (the folder was checked on the first connection: only the reconnection
# makes it look again)
cut_proxy_start cut3 --cut-on '^[^ ]+ UID STORE ' --times 1
imap_config "$C" "imaps://127.0.0.1:$PROXY_PORT" "INBOX" "ca_file=$CA_FILE" "processed=keyword"
start_daemon "$T/daemon.log" --config "$C" --db "$DB" run
wait_until 10 dovecot_idling "$DOVECOT_DIR"
imapctl gen INBOX 3 --prefix dm
marked3() { [ "$(imapctl keyword INBOX '$CprIntake')" = 3 ]; }
check "daemon: the 3 new messages get the keyword after the cut" wait_until 20 marked3
check "daemon: the proxy cut the connection at the mark" grep -q '^cut 1 on-line: [^ ]* UID STORE ' "$T/cut3.log"
check "daemon: it reconnected" [ "$(grep -c 'event=connected' "$T/daemon.log")" -ge 2 ]
check "daemon: each stored once" [ "$(stored)" = 28 ]
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null

sink_stop "$T" hook
tap_done

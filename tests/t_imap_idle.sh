#!/bin/sh
# Push and resilience against a real Dovecot: a message appended while the
# daemon IDLEs is stored within one second; stopping and restarting Dovecot
# while the daemon idles makes it reconnect and pick up the mail that arrived
# meanwhile, with INTERNALDATE as aware_at; SIGTERM ends it with status 0.
. "$(dirname "$0")/fixtures/imap/lib.sh"

imap_server dv
imapctl gen INBOX 3 --prefix before
imapctl create Lists/mdsp
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Lists/mdsp" "ca_file=$CA_FILE"

count() { sql "$DB" "SELECT count(*) FROM messages WHERE message_id LIKE '$1%'"; }
has() { n=$(count "$1"); [ "${n:-0}" -ge "${2:-1}" ]; }

# Dovecot writes each session's protocol here (rawlog_dir, tests/dovecot.sh)
mkdir -p "$DOVECOT_DIR/rawlog" && chown 1000:1000 "$DOVECOT_DIR/rawlog"
start_daemon "$T/daemon.log" --config "$C" --db "$DB" run
check "daemon catches up the backlog" wait_until 20 has before- 3
wait_until 5 grep -q "event=connected" "$T/daemon.log"
wait_until 10 dovecot_idling "$DOVECOT_DIR" # it has entered IDLE

# (c) push latency, three times; each measured from the end of the APPEND.
for k in 1 2 3; do
    imapctl gen INBOX 1 --prefix "push$k-"
    t0=$(date +%s%N)
    if wait_until 3 has "push$k-"; then
        ms=$((($(date +%s%N) - t0) / 1000000))
        check "pushed message $k stored within one second (${ms} ms)" [ "$ms" -lt 1000 ]
    else
        not_ok "pushed message $k stored within one second (not stored after 3 s)"
    fi
    wait_until 10 dovecot_idling "$DOVECOT_DIR" # back in IDLE
done

# Another folder is polled (poll_seconds=5 in the test config).
imapctl gen Lists/mdsp 1 --prefix polled-
check "message in a polled folder stored within poll_seconds" wait_until 8 has polled-

# (e) Dovecot stops while the daemon idles; mail arrives in the Maildir while
# the server is down (INTERNALDATE = the file's mtime); Dovecot comes back.
dovecot_stop "$DOVECOT_DIR"
check "daemon notices the server went away" wait_until 10 grep -q "event=disconnected\|event=connect_failed" "$T/daemon.log"
# Woken from IDLE, the daemon fetches at once: no SELECT of the folder it
# idled on between DONE and UID FETCH (issue 16). Its session is the rawlog
# with IDLE in it (complete once Dovecot stopped, above), lines "TIME TAG
# COMMAND"; the command after each DONE is counted.
after_done() {
    for f in "$DOVECOT_DIR"/rawlog/*.in; do
        grep -q ' IDLE' "$f" 2>/dev/null || continue
        tr -d '\r' <"$f" | awk 'prev == "DONE" { print toupper($3 " " $4) } { prev = $2 }'
    done
}
after_done >"$T/after_done"
check "rawlog of the daemon's session written" [ -s "$T/after_done" ]
check "after DONE, UID FETCH at once for the three pushes (no SELECT)" \
    [ "$(grep -c '^UID FETCH' "$T/after_done")" -ge 3 ]
[ "$(grep -c '^UID FETCH' "$T/after_done")" -ge 3 ] || diag "$T/after_done"

AT=1767225600 # 2026-01-01T00:00:00Z
mkdir -p "$DOVECOT_DIR/home/Maildir/new"
for i in 1 2; do
    f="$DOVECOT_DIR/home/Maildir/new/$AT.M${i}P$$.test"
    printf 'From: r%s@example.org\nTo: problems@acmetrust.test\nSubject: Report while down %s\nMessage-ID: <down-%s@example.org>\nDate: Thu, 01 Jan 2026 00:00:00 +0000\n\nThe certificate for down%s.example is used for phishing.\n' \
        "$i" "$i" "$i" "$i" >"$f"
    touch -d "@$AT" "$f"
    chown 1000:1000 "$f"
done
check "daemon retries while the server is down" \
    wait_until 10 grep -q "event=connect_failed" "$T/daemon.log"
dovecot -c "$DOVECOT_DIR/dovecot.conf" || not_ok "Dovecot restarts"
check "daemon reconnects and picks up the mail that arrived meanwhile" wait_until 20 has down- 2
check "aware_at of that mail = INTERNALDATE (file mtime), not the ingest time" \
    [ "$(sql "$DB" "SELECT count(*) FROM messages WHERE message_id LIKE 'down-%' AND aware_at = $AT AND aware_source = 'imap_internaldate'")" = 2 ]
check "reconnected" [ "$(grep -c 'event=connected' "$T/daemon.log")" -ge 2 ]
check "status shows connected again" \
    wait_until 5 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$DB' \"SELECT value FROM health WHERE key = 'imap.connection'\")\" = connected ]"
wait_until 10 dovecot_idling "$DOVECOT_DIR"
imapctl gen INBOX 1 --prefix after-
t0=$(date +%s%N)
if wait_until 3 has after-; then
    ms=$((($(date +%s%N) - t0) / 1000000))
    check "push works after the reconnect (${ms} ms)" [ "$ms" -lt 1000 ]
else
    not_ok "push works after the reconnect"
fi

check "every message exactly once" \
    [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$(sql "$DB" 'SELECT count(DISTINCT message_id) FROM messages')" ]
check "ten messages in all" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 10 ]

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
check "SIGTERM: daemon exits 0" [ "$rc" -eq 0 ]
check "SIGTERM: logged" grep -q "event=stopped reason=signal" "$T/daemon.log"
[ "$tap_fail" -eq 0 ] || diag "$T/daemon.log"
tap_done

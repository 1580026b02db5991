#!/bin/sh
# t_service.sh - the daemon as a service against a real Dovecot (issue 14):
# logs with journald priorities and no timestamps when stderr is the journal,
# one log format for every command; one daemon per database (a second `run`
# exits 1 within a second naming the holder's pid); SIGHUP reloads three times
# (the freed config path was logged from the second one on) and a broken
# configuration gives reload_failed; `status` tells healthy/degraded/down/
# unknown with exit 0-3, and does not call a killed daemon connected.
. "$(dirname "$0")/fixtures/imap/lib.sh"
. "$CPR_TOP/tests/notify_sinks.sh"

imap_server dv
imapctl gen INBOX 2 --prefix before
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE"
cpr() { "$CPR_INTAKE" --config "$C" --db "$DB" "$@"; }
has() { n=$(sql "$DB" "SELECT count(*) FROM messages WHERE message_id LIKE '$1%'"); [ "${n:-0}" -ge "${2:-1}" ]; }
field() { # FILE KEY: a top-level string of a JSON object
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
state_is() { # RC FILE EXPECTED-RC EXPECTED-STATE
    [ "$1" -eq "$3" ] && [ "$(field "$2" state)" = "$4" ]
}
connected() { [ "$(sql "$DB" "SELECT value FROM health WHERE key = 'imap.connection'")" = connected ]; }

# --- status before any daemon ran: down, exit 2 ---
cpr status --json >"$T/st0.json" 2>"$T/st0.err"
rc=$?
check "status before any run: exit 2 and state down" \
    state_is $rc "$T/st0.json" 2 down
check "status before any run: the reason says it never ran" grep -q '"reason" : ".*never run' "$T/st0.json"

# --- the daemon with stderr "connected to the journal" ---
: >"$T/daemon.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/daemon.log") start_daemon "$T/daemon.log" \
    --config "$C" --db "$DB" run
check "daemon connects and catches up" wait_until 20 has before- 2
wait_until 5 grep -q "event=connected" "$T/daemon.log"
check "journal: the connect line has priority <6> and no timestamp" \
    grep -q '^<6>imap: event=connected url=imaps://127.0.0.1' "$T/daemon.log"
check "journal: every line starts with a <N> priority" \
    sh -c "! grep -v '^<[0-7]>' '$T/daemon.log' | grep -q ."
check "journal: no timestamp of our own" sh -c "! grep -q '[0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z [a-z]* imap:' '$T/daemon.log'"

# --- status while it runs: healthy, exit 0, naming the pid ---
cpr status --json >"$T/st1.json" 2>"$T/st1.err"
rc=$?
check "status with the daemon connected: exit 0, healthy" \
    state_is $rc "$T/st1.json" 0 healthy
check "status: the reason names the daemon's pid" grep -q "pid $DAEMON_PID" "$T/st1.json"
cpr status >"$T/st1.txt" 2>&1
check "status text starts with the verdict" grep -q '^state: healthy: connected since' "$T/st1.txt"

# --- a second daemon on the same database ---
t0=$(date +%s%N)
cpr run >"$T/second.out" 2>"$T/second.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "a second run exits 1" [ "$rc" -eq 1 ]
check "a second run gives up within a second (${ms} ms)" [ "$ms" -lt 1000 ]
check "a second run names the holder's pid and the lock file" \
    grep -q "in use by another cpr-intake run (pid $DAEMON_PID, lock $DB.lock)" "$T/second.err"
check "the first daemon still runs" kill -0 "$DAEMON_PID"

# --- three reloads, then a broken configuration ---
for k in 1 2 3; do
    kill -HUP "$DAEMON_PID"
    check "reload $k: one line with reload and the config path" \
        wait_until 10 sh -c "[ \"\$(grep -c '^<6>imap: event=reloaded config=$C\$' '$T/daemon.log')\" -eq $k ]"
done
imapctl gen INBOX 1 --prefix after-reload-
check "mail still arrives after three reloads" wait_until 10 has after-reload-
cp "$C" "$T/c.good"
printf '[imap\nbroken\n' >"$C"
kill -HUP "$DAEMON_PID"
check "a broken configuration: reload_failed with the path and the reason, as a warning" \
    wait_until 10 grep -q "^<4>imap: event=reload_failed config=$C error=.*keeping the running configuration" "$T/daemon.log"
cp "$T/c.good" "$C"
imapctl gen INBOX 1 --prefix after-failed-
check "the running configuration kept working" wait_until 10 has after-failed-
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
check "SIGTERM after the reloads: exit 0" [ "$rc" -eq 0 ]
check "no sanitizer report in the daemon's log" sh -c "! grep -q 'Sanitizer' '$T/daemon.log'"
[ "$rc" -eq 0 ] || diag "$T/daemon.log"

cpr status --json >"$T/st2.json" 2>&1
rc=$?
check "status after SIGTERM: down, exit 2" \
    state_is $rc "$T/st2.json" 2 down

# --- a daemon killed while connected is not reported healthy ---
start_daemon "$T/daemon2.log" --config "$C" --db "$DB" run
check "a new daemon takes the freed lock and connects" \
    wait_until 20 sh -c "[ \"\$(grep -c 'event=connected' '$T/daemon2.log')\" -ge 1 ]"
wait_until 5 connected
check "no journal prefix when JOURNAL_STREAM is not stderr's" \
    grep -q '^[0-9-]*T[0-9:]*Z info imap: event=connected' "$T/daemon2.log"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
cpr status --json >"$T/st3.json" 2>&1
rc=$?
check "status after kill -9: down, exit 2, although the last word was 'connected'" \
    state_is $rc "$T/st3.json" 2 down
check "status after kill -9: the reason says no daemon is running" grep -q 'no daemon is running' "$T/st3.json"

# --- without [imap]: healthy unless outbox deliveries fail; one log format ---
N="$T/n.conf"
NDB="$T/n.db"
down_port=$(sink_free_port)
cat "$CPR_FIXTURES/conf/samples.conf" >"$N"
printf '[notify.hook]\ntype=webhook\nurl=http://127.0.0.1:%s/hook\n' "$down_port" >>"$N"
ncpr() { "$CPR_INTAKE" --config "$N" --db "$NDB" "$@"; }
export CPR_INTAKE_NOW=1747055100
ncpr ingest "$CPR_FIXTURES/samples/001-kc-csr-proof.eml" >/dev/null 2>&1
ncpr status --json >"$T/st4.json" 2>&1
rc=$?
check "without [imap]: healthy, exit 0" \
    state_is $rc "$T/st4.json" 0 healthy
ncpr notify-run --once >/dev/null 2>"$T/notify.err"
check "notify-run logs in the daemon's format" \
    grep -q '^[0-9-]*T[0-9:]*Z warning cpr-intake: event=notification_' "$T/notify.err"
ncpr status --json >"$T/st5.json" 2>&1
rc=$?
check "without [imap], a page failing delivery: degraded, exit 1" \
    state_is $rc "$T/st5.json" 1 degraded
: >"$T/j.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/j.err") ncpr show 99 >/dev/null 2>>"$T/j.err"
check "journal: a command's error line is <3>cpr-intake: ..." grep -q '^<3>cpr-intake: show: ' "$T/j.err"
CPR_INTAKE_NOW=$((CPR_INTAKE_NOW + 3600)) JOURNAL_STREAM=$(stat -c '%d:%i' "$T/j.err") ncpr notify-run --once >/dev/null 2>>"$T/j.err"
check "journal: notify-run's warnings are <4>" grep -q '^<4>cpr-intake: event=notification_' "$T/j.err"
tap_done

#!/bin/sh
# soak.sh - run the daemon for SOAK_SECONDS under a steady stream of mail,
# Dovecot restarts and a webhook receiver that fails half of the time, and
# report RSS, open descriptors and database size at the start and the end.
# `make soak SOAK_SECONDS=1800`. Uses the release build bin/cpr-intake (the
# sanitizers' own memory would hide the daemon's). Exit status non-zero when a
# message was lost or doubled, or when RSS or descriptors grew beyond the data.
CPR_TOP=$(cd "$(dirname "$0")/.." && pwd)
CPR_INTAKE=${CPR_INTAKE:-$CPR_TOP/bin/cpr-intake}
export CPR_TOP CPR_INTAKE
SOAK_SECONDS=${SOAK_SECONDS:-120}
. "$CPR_TOP/tests/fixtures/imap/lib.sh"
. "$CPR_TOP/tests/notify_sinks.sh"

imap_server dv
hook_port=$(http_sink_start "$T" hook)
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE"
printf '\n[notify.hook]\ntype=webhook\nurl=http://127.0.0.1:%s/hook\n' "$hook_port" >>"$C"

start_daemon "$T/daemon.log" --config "$C" --db "$DB" run
wait_until 20 grep -q "event=connected" "$T/daemon.log" || { echo "Bail out! daemon did not connect"; exit 1; }

rss() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }
fds() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
dbsize() { du -k "$DB" "$DB-wal" 2>/dev/null | awk '{s += $1} END {print s}'; }

# warm up: first mail, first page, first restart, so lazily built caches exist
imapctl gen INBOX 20 --prefix warm >/dev/null
sleep 5
rss0=$(rss); fds0=$(fds); db0=$(dbsize)
echo "# start: rss ${rss0} kB, fds ${fds0}, db ${db0} kB"

sent=20
start=$(date +%s)
# (the helpers of dovecot.sh use $i themselves: this loop's counter is "round")
round=0
restarts=0
while [ $(($(date +%s) - start)) -lt "$SOAK_SECONDS" ]; do
    round=$((round + 1))
    imapctl gen INBOX 5 --prefix "soak$round" >/dev/null 2>&1 && sent=$((sent + 5))
    # every 60 rounds: the server restarts; every 30 the receiver flips 500/ok
    if [ $((round % 60)) -eq 30 ]; then
        dovecot_stop "$DOVECOT_DIR"; sleep 2; dovecot -c "$DOVECOT_DIR/dovecot.conf"
        restarts=$((restarts + 1))
    fi
    if [ $((round % 30)) -eq 0 ]; then
        if [ -s "$T/hook.status" ]; then : >"$T/hook.status"; else echo 500 >"$T/hook.status"; fi
    fi
    sleep 1
done
: >"$T/hook.status"
# after the last restart the daemon may be in its (60 s, jittered) backoff
check "every message appended was stored" wait_until 180 sh -c \
    "[ \$(sqlite3 -cmd '.timeout 5000' '$DB' 'SELECT count(*) FROM messages') -ge $sent ]"
sleep 3
rss1=$(rss); fds1=$(fds); db1=$(dbsize)
stored=$(sql "$DB" 'SELECT count(*) FROM messages')
distinct=$(sql "$DB" 'SELECT count(DISTINCT message_id) FROM messages')
echo "# end:   rss ${rss1} kB, fds ${fds1}, db ${db1} kB"
echo "# messages appended ${sent}, stored ${stored}, distinct ${distinct}; Dovecot restarts ${restarts}"
echo "soak_seconds: $SOAK_SECONDS"
echo "rss_kb_start: $rss0"
echo "rss_kb_end: $rss1"
echo "fds_start: $fds0"
echo "fds_end: $fds1"
echo "db_kb_start: $db0"
echo "db_kb_end: $db1"
check "nothing lost, nothing doubled ($stored stored of $sent)" sh -c "[ $stored -eq $sent ] && [ $distinct -eq $sent ]"
check "descriptors flat ($fds0 -> $fds1)" [ "$fds1" -le $((fds0 + 2)) ]
# RSS may grow with SQLite's page cache (bounded) but not with time
check "RSS flat ($rss0 -> $rss1 kB, allowance 8 MB)" [ "$rss1" -le $((rss0 + 8192)) ]
check "audit chain intact" "$CPR_INTAKE" --config "$C" --db "$DB" audit verify
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "daemon exits 0 on SIGTERM" [ $? -eq 0 ]
sink_stop "$T" hook
tap_done

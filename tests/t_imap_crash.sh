#!/bin/sh
# Exactly once across crashes: kill -9 the daemon at random moments during a
# 1,000-message catch-up, 20 times, then let it finish: every message is stored
# exactly once and no case is doubled. Issue 4 "Done when" 3.
. "$(dirname "$0")/fixtures/imap/lib.sh"

N=${CPR_CRASH_MESSAGES:-1000}
ROUNDS=${CPR_CRASH_ROUNDS:-20}
imap_server dv
imapctl gen INBOX "$N" --prefix crash --date 1767225600 || { echo "Bail out! APPEND failed"; exit 1; }
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" "batch=10"

rand_ms() { # MIN MAX
    r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $(($1 + r % ($2 - $1 + 1)))
}

# SIGTERM in the middle of the catch-up: finish the message at hand, exit 0.
"$CPR_INTAKE" --config "$C" --db "$DB" run >"$T/term.log" 2>&1 &
pid=$!
DAEMON_PIDS="$DAEMON_PIDS $pid"
wait_until 10 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$DB' 'SELECT count(*) FROM messages' 2>/dev/null)\" -ge 20 ] 2>/dev/null"
kill -TERM "$pid"
wait "$pid"
rc=$?
n=$(sql "$DB" 'SELECT count(*) FROM messages')
check "SIGTERM during catch-up: exit 0 ($n of $N stored)" [ "$rc" -eq 0 ]
check "SIGTERM during catch-up: stopped early" [ "${n:-0}" -lt "$N" ]
check "SIGTERM during catch-up: last UID matches what was stored" \
    [ "$(sql "$DB" "SELECT last_uid FROM folders WHERE folder = 'INBOX'")" = "$n" ]

stored() { n=$(sql "$DB" 'SELECT count(*) FROM messages'); echo "${n:-0}"; }
# crash_round COUNT MS: start `run --once`, and once the store holds more than
# COUNT messages (it is committing, not starting up), wait MS milliseconds and
# SIGKILL it. Exit 0 when the kill landed (the run was still going), 1 when
# the run had already ended. One Python process starts the run, polls the
# store every 2 ms and kills: a shell loop starting sqlite3 every 50 ms (or a
# watcher that starts after the daemon) saw the first commit so late that runs
# had stored a hundred messages before their kill, and the catch-up was over
# long before the 20th.
crash_round() {
    python3 - "$DB" "$1" "$2" "$CPR_INTAKE" --config "$C" --db "$DB" run --once <<'EOF' >>"$T/runs.log" 2>&1
import signal, sqlite3, subprocess, sys, time
db, before, ms, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
run = subprocess.Popen(cmd, stdout=sys.stdout, stderr=sys.stderr)
end = time.monotonic() + 10
while time.monotonic() < end and run.poll() is None:
    try:
        if con.execute("SELECT count(*) FROM messages").fetchone()[0] > before:
            break
    except sqlite3.OperationalError:
        pass
    time.sleep(0.002)
time.sleep(ms / 1000)
landed = run.poll() is None
if landed:
    run.send_signal(signal.SIGKILL)
run.wait()
sys.exit(0 if landed else 1)
EOF
}
mid=0
seen=
for _ in $(seq 1 "$ROUNDS"); do
    before=$(stored)
    # Nothing left to interrupt: more rounds would only wait for commits that never come.
    [ "$before" -lt "$N" ] || break
    # A kill counts as landing mid-catch-up when the run was still going and the
    # folder was not yet caught up; how far a run gets before it dies depends
    # on the machine's speed, not on correctness.
    if crash_round "$before" "$(rand_ms 0 20)"; then mid=$((mid + 1)); fi
    seen="$seen $before"
done
echo "# stored when each round started:$seen"
echo "# $mid of $ROUNDS kills landed mid-catch-up; $(sql "$DB" 'SELECT count(*) FROM messages') stored before the final run"
check "most kills landed during the catch-up" [ "$mid" -ge $((ROUNDS / 2)) ]

"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/final.log" 2>&1
rc=$?
check "final run --once exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$T/final.log"
check "all $N messages stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$N" ]
check "each Message-ID once" [ "$(sql "$DB" 'SELECT count(DISTINCT message_id) FROM messages')" = "$N" ]
check "each UID once" \
    [ "$(sql "$DB" "SELECT count(DISTINCT uid) FROM message_sources WHERE folder = 'INBOX'")" = "$N" ]
check "no extra source rows" \
    [ "$(sql "$DB" "SELECT count(*) FROM message_sources WHERE folder = 'INBOX'")" = "$N" ]
check "last UID is $N" [ "$(sql "$DB" "SELECT last_uid FROM folders WHERE folder = 'INBOX'")" = "$N" ]
# (mail dated 2026-01-01 is past its revocation deadline: the sweep opens a
# delayed-revocation case for each, which holds no message of its own)
check "no case doubled (each report opened one case)" \
    [ "$(sql "$DB" "SELECT count(*) FROM cases WHERE kind != 'delayed_revocation'")" = "$(sql "$DB" 'SELECT count(DISTINCT case_id) FROM messages WHERE case_id IS NOT NULL')" ]
check "no case holds two copies of a report" \
    [ "$(sql "$DB" 'SELECT coalesce(max(c), 1) FROM (SELECT count(*) c FROM messages WHERE case_id IS NOT NULL GROUP BY case_id)')" = 1 ]
check "aware_at = INTERNALDATE throughout" \
    [ "$(sql "$DB" "SELECT count(*) FROM messages WHERE aware_at = 1767225600 + CAST(substr(message_id, 7, instr(message_id, '@') - 7) AS INTEGER)")" = "$N" ]
if "$CPR_INTAKE" --help 2>&1 | grep -q "audit verify"; then
    check "audit trail verifies after the crashes" "$CPR_INTAKE" --config "$C" --db "$DB" audit verify
fi
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/again.log" 2>&1
check "one more run adds nothing" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = "$N" ]
tap_done

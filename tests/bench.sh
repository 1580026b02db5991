#!/bin/sh
# bench.sh - `make bench`: measure cpr-intake against GMime alone and against
# mbsync, side by side in one run, and print one `NAME: VALUE` line per figure
# (medians of BENCH_RUNS runs) after the machine it ran on. A figure that cannot
# be measured here prints `NAME: not measured: REASON`. Exit status 0 only when
# every figure of issue 16 was measured and meets its target (bench_verdict,
# verdict() below). Method: docs/bench.md.
#
# Knobs: BENCH_MSGS (ingest corpus, default 2000), BENCH_BACKLOG (IMAP backlog,
# default 10000), BENCH_RUNS (default 3), BENCH_IDLE_MSGS (default 200),
# BENCH_LARGE_MB (default 30), CPR_INTAKE_BIN (default bin/cpr-intake),
# BENCH_KEEP=1 keeps the work directory, BENCH_SKIP_IMAP=1 skips Dovecot.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
msgs=${BENCH_MSGS:-2000}
backlog=${BENCH_BACKLOG:-10000}
runs=${BENCH_RUNS:-3}
idle_msgs=${BENCH_IDLE_MSGS:-200}
large_mb=${BENCH_LARGE_MB:-30}
bin=${CPR_INTAKE_BIN:-$top/bin/cpr-intake}
case $bin in /*) ;; *) bin=$top/$bin ;; esac
conf=$top/tests/fixtures/conf/samples.conf
W=$(mktemp -d "${TMPDIR:-/tmp}/cpr-bench.XXXXXX")
chmod 755 "$W"
DV=""
DAEMON=""
cleanup() {
    [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null
    [ -n "$DV" ] && dovecot_stop "$DV"
    if [ -n "$BENCH_KEEP" ]; then echo "# kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

say() { printf '%s: %s\n' "$1" "$2" | tee -a "$W/figures"; }
note() { echo "# $*" >&2; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }
# Every figure is kept in $W/figures; verdict() checks the targets of issue 16
# and exits 1 when a figure is missing, not measured, or over its target.
verdict() {
    st=0
    for t in backlog_vs_mbsync_ratio:1.5 ingest_vs_parse_ratio:3 peak_rss_mb_backlog:64 \
        peak_rss_mb_large_message:64 peak_rss_mb_large_message_imap:64 idle_overhead_p50_ms: \
        idle_overhead_p99_ms:25 page_after_store_p50_ms: page_after_store_p99_ms:50; do
        name=${t%%:*} max=${t#*:}
        v=$(sed -n "s/^$name: //p" "$W/figures" | tail -n 1)
        case $v in
        '' | not*) echo "bench: $name not measured" >&2; st=1 ;;
        *) if [ -n "$max" ] && awk -v v="$v" -v m="$max" 'BEGIN { exit !(v > m) }'; then
               echo "bench: $name $v over its target $max" >&2
               st=1
           fi ;;
        esac
    done
    say bench_verdict "$([ $st = 0 ] && echo "every figure measured, every target met" || echo "failed (see above)")"
    exit $st
}

# peak RSS in MB of a command (getrusage of the child), its output discarded
peak_rss_mb() {
    python3 - "$@" <<'EOT'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("%.1f %d" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0, r.returncode))
EOT
}

# ---- the machine ----------------------------------------------------------
say machine "$(uname -srm)"
say cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
say cores "$(nproc)"
say memory_mb "$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
say load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
say cpr_intake "$bin"
if [ ! -x "$bin" ]; then
    echo "bench: $bin not built (make bin/cpr-intake)" >&2
    exit 1
fi

# ---- the corpus -------------------------------------------------------------
python3 tests/bench_corpus.py "$W/corpus" "$msgs" || exit 1
say corpus_messages "$msgs"
say corpus_mb "$(du -sm "$W/corpus" | cut -f1)"

# ---- ingest vs GMime --------------------------------------------------------
PKGS="gmime-3.0"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Wformat=2 -Wshadow -Werror -Wno-unused-parameter \
    -o "$W/bench_gmime_parse" tests/bench_gmime_parse.c $(pkg-config --cflags --libs $PKGS) ||
    exit 1
cat "$W"/corpus/cur/* >/dev/null # warm the page cache for both
ingest_rates=""
parse_rates=""
i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    rm -f "$W/ingest.db" "$W/ingest.db-wal" "$W/ingest.db-shm"
    t0=$(now_ms)
    "$bin" --config "$conf" --db "$W/ingest.db" ingest "$W/corpus" >"$W/ingest.out" 2>"$W/ingest.err" ||
        { note "ingest failed:"; tail -n 5 "$W/ingest.err" >&2; }
    t1=$(now_ms)
    ingest_rates="$ingest_rates $(awk -v n="$msgs" -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", n * 1000 / ms }')"
    t0=$(now_ms)
    "$W/bench_gmime_parse" "$W/corpus" >/dev/null || note "bench_gmime_parse failed"
    t1=$(now_ms)
    parse_rates="$parse_rates $(awk -v n="$msgs" -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", n * 1000 / ms }')"
done
stored=$(sqlite3 "$W/ingest.db" 'SELECT count(*) FROM messages' 2>/dev/null)
[ "$stored" = "$msgs" ] || note "ingest stored $stored of $msgs messages"
ingest=$(echo "$ingest_rates" | tr ' ' '\n' | grep . | median)
parse=$(echo "$parse_rates" | tr ' ' '\n' | grep . | median)
note "ingest msgs/s per run:$ingest_rates; gmime parse msgs/s per run:$parse_rates"
say ingest_msgs_per_s "$ingest"
say gmime_parse_msgs_per_s "$parse"
say ingest_vs_parse_ratio "$(ratio "$parse" "$ingest")"

# ---- one large message ------------------------------------------------------
python3 tests/bench_corpus.py --large "$W/large.eml" "$large_mb" || exit 1
rm -f "$W/large.db"*
set -- $(peak_rss_mb "$bin" --config "$conf" --db "$W/large.db" ingest "$W/large.eml")
# Exit 1 is "stored but quarantined" (the attachment is over the 10 MB bound): fine.
if [ "$(sqlite3 "$W/large.db" 'SELECT count(*) FROM messages' 2>/dev/null)" = 1 ]; then
    say peak_rss_mb_large_message "$1"
    say large_message_mb "$(awk -v b="$(wc -c <"$W/large.eml")" 'BEGIN { printf "%.1f", b / 1048576 }')"
else
    say peak_rss_mb_large_message "not measured: ingest of the ${large_mb} MB message failed (exit $2)"
fi

# ---- IMAP: backlog vs mbsync, idle latency ----------------------------------
imap_not_measured() {
    for n in backlog_10k_seconds mbsync_10k_seconds backlog_vs_mbsync_ratio peak_rss_mb_backlog \
        peak_rss_mb_large_message_imap idle_latency_p50_ms idle_latency_p99_ms idle_overhead_p50_ms \
        idle_overhead_p99_ms page_after_store_p50_ms page_after_store_p99_ms; do
        say $n "not measured: $1"
    done
    verdict
}
[ -n "$BENCH_SKIP_IMAP" ] && imap_not_measured "BENCH_SKIP_IMAP set"
command -v dovecot >/dev/null || imap_not_measured "dovecot not installed (make deps)"
command -v mbsync >/dev/null || imap_not_measured "mbsync (isync) not installed (make deps)"
[ "$(id -u)" = 0 ] || imap_not_measured "the test Dovecot needs root"
. tests/dovecot.sh
DV=$W/dv
dovecot_start "$DV" >/dev/null || imap_not_measured "Dovecot did not start"
. "$DV/env"

# The backlog: BENCH_BACKLOG messages of the same generator, put straight into
# the user's Maildir (an APPEND each would take minutes), then indexed once by
# a first SELECT so that neither contender pays for Dovecot's indexing.
python3 tests/bench_corpus.py "$DV/home/Maildir" "$backlog" --seed 7 || exit 1
chown -R 1000:1000 "$DV/home"
python3 tests/fixtures/imap/imapctl.py "$DV/env" count INBOX >"$W/count" 2>&1
say backlog_messages "$(cat "$W/count")"

cat >"$W/imap.conf" <<EOT
[ca]
owner=Acme Trust Services
aliases=AcmeTrust;Acme Trust
ca_names=AcmeTrust TLS RSA CA 2024;AcmeTrust ECC DV CA R3
domains=acmetrust.test;acme-trust.test
report_addresses=problems@acmetrust.test

[store]
path=$W/imap.db

[imap]
url=imaps://127.0.0.1:$IMAPS_PORT
folders=INBOX
user=$IMAP_USER
password_file=$IMAP_PASSWORD_FILE
ca_file=$CA_FILE
processed=none
timeout_seconds=30
poll_seconds=60
EOT
cat >"$W/mbsyncrc" <<EOT
IMAPAccount bench
Host localhost
Port $IMAPS_PORT
User $IMAP_USER
PassCmd "cat $IMAP_PASSWORD_FILE"
SSLType IMAPS
CertificateFile $CA_FILE

IMAPStore far
Account bench

MaildirStore near
Path $W/mbsync/
Inbox $W/mbsync/INBOX

Channel bench
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync Pull
Expunge None
SyncState *
EOT
backlog_s=""
mbsync_s=""
rss=""
i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    rm -f "$W/imap.db"*
    t0=$(now_ms)
    set -- $(peak_rss_mb "$bin" --config "$W/imap.conf" run --once)
    t1=$(now_ms)
    [ "$2" = 0 ] || note "run --once exited $2"
    rss="$rss $1"
    backlog_s="$backlog_s $(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')"
    rm -rf "$W/mbsync"
    mkdir -p "$W/mbsync"
    t0=$(now_ms)
    mbsync -q -c "$W/mbsyncrc" bench >"$W/mbsync.log" 2>&1 || { note "mbsync failed:"; tail -n 5 "$W/mbsync.log" >&2; }
    t1=$(now_ms)
    mbsync_s="$mbsync_s $(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')"
done
got=$(sqlite3 "$W/imap.db" 'SELECT count(*) FROM messages' 2>/dev/null)
copied=$(find "$W/mbsync/INBOX" -type f -path '*/cur/*' -o -type f -path '*/new/*' 2>/dev/null | wc -l)
note "backlog s per run:$backlog_s (stored $got); mbsync s per run:$mbsync_s (copied $copied)"
b=$(echo "$backlog_s" | tr ' ' '\n' | grep . | median)
m=$(echo "$mbsync_s" | tr ' ' '\n' | grep . | median)
if [ "$backlog" = 10000 ]; then sfx=10k; else sfx=$backlog; note "backlog of $backlog, not 10k"; fi
say "backlog_${sfx}_seconds" "$b"
if [ "$copied" -ge "$backlog" ]; then
    say "mbsync_${sfx}_seconds" "$m"
    say backlog_vs_mbsync_ratio "$(ratio "$b" "$m")"
else
    say "mbsync_${sfx}_seconds" "not measured: mbsync copied $copied of $backlog messages"
    say backlog_vs_mbsync_ratio "not measured: no mbsync figure"
fi
say peak_rss_mb_backlog "$(echo "$rss" | tr ' ' '\n' | grep . | sort -n | tail -n 1)"

# The same 30 MB message, fetched over IMAP by `run --once` from its own folder.
python3 - "$DV/env" "$W/large.eml" <<'EOT' >"$W/large_append.log" 2>&1
import imaplib, ssl, sys
env = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
ctx = ssl.create_default_context(cafile=env["CA_FILE"])
m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ctx)
m.login(env["IMAP_USER"], open(env["IMAP_PASSWORD_FILE"]).read().strip())
m.create("Large")
typ, _ = m.append("Large", None, None, open(sys.argv[2], "rb").read())
m.logout()
sys.exit(typ != "OK")
EOT
if [ $? = 0 ]; then
    sed -e "s|^path=.*|path=$W/large_imap.db|" -e "s|^folders=.*|folders=Large|" "$W/imap.conf" >"$W/large_imap.conf"
    set -- $(peak_rss_mb "$bin" --config "$W/large_imap.conf" run --once)
    if [ "$(sqlite3 "$W/large_imap.db" 'SELECT count(*) FROM messages' 2>/dev/null)" = 1 ]; then
        say peak_rss_mb_large_message_imap "$1"
    else
        say peak_rss_mb_large_message_imap "not measured: run --once of the large message failed (exit $2)"
    fi
else
    say peak_rss_mb_large_message_imap "not measured: APPEND of the large message failed"
fi

# Push latency: the daemon idles on INBOX (caught up) and pages a loopback
# webhook; tests/bench_idle.py is that webhook, a second IDLE client and the
# sender. Per message: APPEND -> row (idle_latency_*), the server's EXISTS on
# the second connection -> row (idle_overhead_*: our own share), row -> the
# first page at the webhook (page_after_store_*).
python3 tests/bench_idle.py "$DV/env" "$W/imap.db" "$idle_msgs" "$got" "$W/hook.port" "$W/latency" \
    2>"$W/latency.err" &
PROBE=$!
i=0
while [ ! -s "$W/hook.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
cat "$W/imap.conf" - >"$W/idle.conf" <<EOT

[notify]
max_new_case_pages_per_sender_hour=0
max_new_case_pages_hour=0

[notify.hook]
type=webhook
url=http://127.0.0.1:$(cat "$W/hook.port")/hook
EOT
"$bin" --config "$W/idle.conf" run --log-level debug >"$W/daemon.log" 2>&1 &
DAEMON=$!
wait "$PROBE" || { note "push latency run failed:"; tail -n 3 "$W/latency.err" >&2; }
kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; DAEMON=""
# percentile P (0-100) of column C of the latency file
pct() { awk -v c="$2" '{ print $c }' "$W/latency" | sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) exit 1; k = int(NR * p / 100 + 0.5); if (k < 1) k = 1; print v[k] }'; }
n=$(grep -c '^[0-9-]' "$W/latency" 2>/dev/null)
if [ "${n:-0}" -gt 0 ]; then
    say idle_latency_p50_ms "$(pct 50 1)"
    say idle_latency_p99_ms "$(pct 99 1)"
    say idle_overhead_p50_ms "$(pct 50 2)"
    say idle_overhead_p99_ms "$(pct 99 2)"
    say page_after_store_p50_ms "$(pct 50 3)"
    say page_after_store_p99_ms "$(pct 99 3)"
    say idle_latency_samples "$n"
    # Not targets: idle_overhead split at the daemon's debug lines, on the same
    # clock (CLOCK_MONOTONIC): from the second connection's EXISTS to our poll
    # waking on our own connection (Dovecot's notification of us, and our
    # reaction), and from that wake to the COMMIT of the batch (all ours).
    python3 - "$W/latency" "$W/daemon.log" >"$W/split" <<'EOT'
import re, sys
wakes, commits = [], []
for line in open(sys.argv[2], errors="replace"):
    m = re.search(r"event=(idle_wake|batch_committed)\b.*mono_us=(\d+)", line)
    if m:
        (wakes if m.group(1) == "idle_wake" else commits).append(int(m.group(2)))
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 5:
        continue
    t_exists, t_row = int(f[3]), int(f[4])
    c = [x for x in commits if x <= t_row]
    if not c:
        continue
    w = [x for x in wakes if x <= c[-1]]
    if w:
        print("%.1f %.1f" % ((w[-1] - t_exists) / 1000.0, (c[-1] - w[-1]) / 1000.0))
EOT
    if [ -s "$W/split" ]; then
        splitpct() { awk -v c="$2" '{ print $c }' "$W/split" | sort -n | awk -v p="$1" '{ v[NR] = $1 } END { k = int(NR * p / 100 + 0.5); if (k < 1) k = 1; print v[k] }'; }
        say idle_exists_to_wake_p50_ms "$(splitpct 50 1)"
        say idle_exists_to_wake_p99_ms "$(splitpct 99 1)"
        say idle_wake_to_commit_p50_ms "$(splitpct 50 2)"
        say idle_wake_to_commit_p99_ms "$(splitpct 99 2)"
    else
        say idle_wake_to_commit_p50_ms "not measured: no idle_wake/batch_committed lines in the daemon's debug log"
    fi
else
    for f in idle_latency_p50_ms idle_latency_p99_ms idle_overhead_p50_ms idle_overhead_p99_ms \
        page_after_store_p50_ms page_after_store_p99_ms; do
        say $f "not measured: no probe message made it to a row and a page (see daemon log)"
    done
    tail -n 5 "$W/daemon.log" >&2
fi

# The server's own share of that latency: a bare IDLE client (no cpr-intake),
# APPEND on a second connection -> "* n EXISTS" on the idling one. Dovecot 2.3
# holds IDLE notifications back for its NOTIFY_DELAY_MSECS (500 ms).
python3 - "$DV/env" 20 >"$W/notify" 2>"$W/notify.err" <<'EOT' || note "Dovecot IDLE probe failed"
import imaplib, socket, ssl, sys, time
env = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
n = int(sys.argv[2])
ctx = ssl.create_default_context(cafile=env["CA_FILE"])
pw = open(env["IMAP_PASSWORD_FILE"]).read().strip()
a = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ctx)
a.login(env["IMAP_USER"], pw)
a.create("Probe")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(env["IMAPS_PORT"]))),
                    server_hostname="127.0.0.1")
f = s.makefile("rb")
def cmd(tag, c):
    s.sendall(("%s %s\r\n" % (tag, c)).encode())
    while not f.readline().startswith(tag.encode()):
        pass
cmd("a1", 'LOGIN "%s" "%s"' % (env["IMAP_USER"], pw))
cmd("a2", "SELECT Probe")
for i in range(n):
    s.sendall(b"i IDLE\r\n")
    f.readline()  # + idling
    time.sleep(0.2)
    t0 = time.monotonic()
    a.append("Probe", None, None, b"Subject: probe\r\nMessage-ID: <p%d-%f@bench>\r\n\r\nx\r\n" % (i, time.time()))
    while b"EXISTS" not in f.readline():
        pass
    print("%.1f" % ((time.monotonic() - t0) * 1000), flush=True)
    s.sendall(b"DONE\r\n")
    while not f.readline().startswith(b"i "):
        pass
EOT
n=$(grep -c '^[0-9]' "$W/notify")
if [ "$n" -gt 0 ]; then
    sort -n "$W/notify" | grep '^[0-9]' >"$W/notify.sorted"
    say dovecot_idle_notify_p50_ms "$(awk -v n="$n" 'NR == int(n * 0.50 + 0.5) { print }' "$W/notify.sorted")"
    say dovecot_idle_notify_max_ms "$(tail -n 1 "$W/notify.sorted")"
else
    say dovecot_idle_notify_p50_ms "not measured: the IDLE probe saw no EXISTS"
fi

verdict

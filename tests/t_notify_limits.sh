#!/bin/sh
# t_notify_limits.sh - intake and paging under a bad day (issue 17): HTTPS and
# SMTPS receivers that offer only TLS 1.0/1.1 are refused while TLS 1.2+ works; the
# daemon is not dumpable (no core file or ptrace with its secrets); with the
# disk below [store] min_free_mb, `run` (--once and the daemon) and
# `notify-run` page "disk nearly full" before connecting anywhere, through a
# path that writes nothing to the database, and go on once space returns; a
# flood of 50 forged reports naming one victim in Reply-To opens 50 cases but
# sends a bounded number of pages and acknowledgements, plus a summary page an
# hour with the count held back.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
. "$CPR_TOP/tests/dovecot.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'for s in new old snew sold disk fl flm; do sink_stop "$tmp" $s; done; [ -n "$HPID" ] && kill "$HPID" 2>/dev/null; rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
A=1747054998 # aware_at of sample 001: 2025-05-12T13:03:18Z
export CPR_INTAKE_NOW=$((A + 60))

# --- HTTPS and SMTPS: TLS 1.2 at least ---
mkdir -p "$tmp/certs"
dovecot_make_certs "$tmp/certs" localhost 127.0.0.1 || { echo "Bail out! certtool failed"; exit 1; }
np=$(http_sink_start "$tmp" new 0 --tls "$tmp/certs/server.pem" "$tmp/certs/server.key")
op=$(http_sink_start "$tmp" old 0 --tls-old "$tmp/certs/server.pem" "$tmp/certs/server.key")
snp=$(smtp_sink_start "$tmp" snew 0 --tls "$tmp/certs/server.pem" "$tmp/certs/server.key")
sop=$(smtp_sink_start "$tmp" sold 0 --tls-old "$tmp/certs/server.pem" "$tmp/certs/server.key")
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[notify.new]
type=webhook
url=https://127.0.0.1:$np/hook
ca_file=$tmp/certs/ca.pem
[notify.old]
type=webhook
url=https://127.0.0.1:$op/hook
ca_file=$tmp/certs/ca.pem
[notify.snew]
type=email
url=smtps://127.0.0.1:$snp
to=oncall@acmetrust.test
ca_file=$tmp/certs/ca.pem
[notify.sold]
type=email
url=smtps://127.0.0.1:$sop
to=oncall@acmetrust.test
ca_file=$tmp/certs/ca.pem
EOT
cpr ingest "$samples/001-kc-csr-proof.eml" >/dev/null
cpr notify-run --once >"$tmp/tls.out" 2>&1
check "HTTPS with TLS 1.2 or later: the page arrives" [ "$(sink_count "$tmp" new /hook)" -eq 1 ]
check "HTTPS with TLS 1.0/1.1 only: nothing delivered" [ "$(sink_count "$tmp" old /hook)" -eq 0 ]
check "HTTPS with TLS 1.0/1.1 only: the page stays pending with a TLS error" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target='old' AND delivered_at IS NULL AND last_error LIKE '%protocol version%'")" -eq 1 ]
check "SMTPS with TLS 1.2 or later: the page arrives" [ "$(ls "$tmp/snew.mail" | grep -c '\.eml$')" -eq 1 ]
check "SMTPS with TLS 1.0/1.1 only: nothing delivered" [ "$(ls "$tmp/sold.mail" | grep -c '\.eml$')" -eq 0 ]
check "SMTPS with TLS 1.0/1.1 only: the page stays pending with a TLS error" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target='sold' AND delivered_at IS NULL AND last_error LIKE '%protocol version%'")" -eq 1 ]
sink_stop "$tmp" new
sink_stop "$tmp" old
sink_stop "$tmp" snew
sink_stop "$tmp" sold

wait_for() { # SECONDS COMMAND...: poll until COMMAND succeeds
    n=$(($1 * 20)); shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.05; n=$((n - 1)); done
    return 1
}

# --- low disk: the threshold above the real free space ---
dp=$(http_sink_start "$tmp" disk)
HLOG="$tmp/imap.server.log"
: >"$HLOG"
python3 "$CPR_TOP/tests/hostile_imap_server.py" imaps "$tmp/imap.port" "$HLOG" \
    "$tmp/certs/server.pem" "$tmp/certs/server.key" &
HPID=$!
wait_for 5 test -s "$tmp/imap.port"
ip=$(cat "$tmp/imap.port")
( umask 077; echo "imap-pw" >"$tmp/imap.secret" )
disk_conf() { # FILE MIN_FREE_MB
    { cat "$CPR_FIXTURES/conf/samples.conf"
      printf '[store]\nmin_free_mb=%s\n' "$2"
      printf '[imap]\nurl=imaps://127.0.0.1:%s\nfolders=INBOX\nuser=u\npassword_file=%s\ntimeout_seconds=3\n' \
          "$ip" "$tmp/imap.secret"
      printf '[notify.disk]\ntype=webhook\nurl=http://127.0.0.1:%s/disk\n' "$dp"; } >"$1"
}
disk_pages() { # EVENT: how many pages with that event the webhook received
    python3 -c "
import json
print(sum(1 for l in open('$tmp/disk.log') if json.loads(json.loads(l)['body']).get('event') == '$1'))"
}
disk_conf "$tmp/low.conf" 1000000000
ddb="$tmp/disk/cases.db"
mkdir -p "$tmp/disk"
"$bin" --config "$tmp/low.conf" --db "$ddb" run --once >"$tmp/low-once.log" 2>&1
rc=$?
check "low disk, run --once: exits 1" [ "$rc" -eq 1 ]
check "low disk, run --once: says why" grep -q "disk nearly full" "$tmp/low-once.log"
check "low disk, run --once: the page reached the webhook" [ "$(disk_pages disk_low)" -eq 1 ]
check "low disk, run --once: the page says disk nearly full" grep -q 'Disk nearly full' "$tmp/disk.log"
check "low disk, run --once: nothing written (no database file at all)" [ ! -e "$ddb" ]
check "low disk, run --once: no IMAP connection" [ ! -s "$HLOG" ]

# notify-run: pages too, and the outbox still delivers what is pending
disk_conf "$tmp/ok.conf" 0
"$bin" --config "$tmp/ok.conf" --db "$ddb" ingest "$samples/001-kc-csr-proof.eml" >/dev/null
"$bin" --config "$tmp/low.conf" --db "$ddb" notify-run --once >"$tmp/low-notify.log" 2>&1
rc=$?
check "low disk, notify-run: exits 1" [ "$rc" -eq 1 ]
check "low disk, notify-run: paged again" [ "$(disk_pages disk_low)" -eq 2 ]
check "low disk, notify-run: the page left no outbox row" \
    [ "$(sqlite3 "$ddb" "SELECT count(*) FROM outbox WHERE payload LIKE '%Disk nearly full%'")" -eq 0 ]
check "low disk, notify-run: the pending new-case page still went out" \
    [ "$(sqlite3 "$ddb" "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")" -eq 0 ]
"$bin" --config "$tmp/ok.conf" --db "$ddb" ingest "$samples/003-misissuance-pem-attachment.eml" >/dev/null
"$bin" --config "$tmp/ok.conf" --db "$ddb" notify-run --once >/dev/null 2>&1
check "space back: notify-run exits 0 and delivers" \
    sh -c "[ $? -eq 0 ] && [ \"\$(sqlite3 '$ddb' 'SELECT count(*) FROM outbox WHERE delivered_at IS NULL')\" -eq 0 ]"

# the daemon: paged, no connection; space back (a reload), it connects and clears
"$bin" --config "$tmp/low.conf" --db "$ddb" run >"$tmp/low-daemon.log" 2>&1 &
dpid=$!
low_paged() { [ "$(disk_pages disk_low)" -ge 3 ]; }
cleared() { [ "$(disk_pages disk_recovered)" -eq 1 ]; }
check "low disk, daemon: paged" wait_for 20 low_paged
check "low disk, daemon: still running, not connected" sh -c "kill -0 $dpid && [ ! -s '$HLOG' ]"
cp "$tmp/ok.conf" "$tmp/low.conf"
kill -HUP "$dpid"
check "space back, daemon: connects again" wait_for 20 grep -q "connection" "$HLOG"
check "space back, daemon: all-clear sent" wait_for 20 cleared
kill "$dpid"; wait "$dpid"
kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null; HPID=
sink_stop "$tmp" disk

# --- a flood: 50 forged reports, one victim in Reply-To ---
fp=$(http_sink_start "$tmp" fl)
fsp=$(smtp_sink_start "$tmp" flm)
fdb="$tmp/flood.db"
{ cat "$CPR_FIXTURES/conf/samples.conf"
  printf '[notify.fl]\ntype=webhook\nurl=http://127.0.0.1:%s/page\n' "$fp"
  printf '[ack]\nenabled=true\nfrom=problems@acmetrust.test\nsmtp_url=smtp://127.0.0.1:%s\n' "$fsp"
} >"$tmp/flood.conf"
mkdir "$tmp/flood"
i=0
while [ $i -lt 50 ]; do
    i=$((i + 1))
    # the first ten claim one sender; the others forge a new one each
    s=$i; [ $i -le 10 ] && s=0
    printf 'From: Sender %s <s%s@forger.example>\nReply-To: victim@victim.example\nTo: problems@acmetrust.test\nSubject: Certificate problem report: private key compromise\nMessage-ID: <flood%s@forger.example>\nDate: Mon, 12 May 2025 14:02:00 +0100\n\nHello,\n\nthe private key of the certificate with serial number 4f:2a:%02x:11:93:e0:7c issued by AcmeTrust TLS RSA CA 2024 for shop%s.flood.test was published on a paste site. Please revoke it.\n' \
        "$s" "$s" "$i" "$i" "$i" >"$tmp/flood/$(printf %02d $i).eml"
done
"$bin" --config "$tmp/flood.conf" --db "$fdb" ingest "$tmp/flood" >/dev/null 2>"$tmp/flood.err"
fq() { sqlite3 "$fdb" "$1"; }
summaries() { # the pages_held and acks_held of each summary row, in order
    fq "SELECT group_concat(h, ',') FROM (SELECT json_extract(payload, '$.pages_held') || ' ' || json_extract(payload, '$.acks_held') AS h FROM outbox WHERE kind = 'flood_summary' ORDER BY id)"
}
check "flood: 50 cases open" [ "$(fq 'SELECT count(*) FROM cases')" -eq 50 ]
check "flood: one sender gets 5 new-case pages, then they are held" \
    [ "$(fq "SELECT count(DISTINCT o.case_id) FROM outbox o JOIN messages m ON m.case_id = o.case_id WHERE o.kind = 'page' AND m.from_email = 's0@forger.example'")" -eq 5 ]
check "flood: 20 new-case pages in all" [ "$(fq "SELECT count(*) FROM outbox WHERE kind = 'page'")" -eq 20 ]
check "flood: 3 acknowledgements to the victim" [ "$(fq "SELECT count(*) FROM outbox WHERE kind = 'ack_mail'")" -eq 3 ]
check "flood: every page held back is on record" [ "$(fq "SELECT count(*) FROM events WHERE type = 'page_held'")" -eq 30 ]
check "flood: every ack held back is on record" [ "$(fq "SELECT count(*) FROM events WHERE type = 'ack_held'")" -eq 47 ]
check "flood: one summary page at once, at the first hold (an ack)" [ "$(summaries)" = "0 1" ]
"$bin" --config "$tmp/flood.conf" --db "$fdb" notify-run --once >/dev/null 2>&1
check "flood: the webhook got 20 new-case pages and the summary" \
    [ "$(sink_count "$tmp" fl /page)" -eq 21 ]
check "flood: the victim got 3 mails" [ "$(ls "$tmp/flm.mail"/*.eml | wc -l)" -eq 3 ]
check "flood: the audit chain still verifies" "$bin" --config "$tmp/flood.conf" --db "$fdb" audit verify
export CPR_INTAKE_NOW=$((CPR_INTAKE_NOW + 3700))
"$bin" --config "$tmp/flood.conf" --db "$fdb" notify-run --once >/dev/null 2>&1
check "flood: an hour later, one summary of the rest" [ "$(summaries)" = "0 1,30 46" ]
export CPR_INTAKE_NOW=$((CPR_INTAKE_NOW + 7300))
"$bin" --config "$tmp/flood.conf" --db "$fdb" notify-run --once >/dev/null 2>&1
check "flood: nothing more held, no further summary" [ "$(summaries)" = "0 1,30 46" ]
sink_stop "$tmp" fl
sink_stop "$tmp" flm

# --- the daemon is not dumpable: run as an ordinary user, its /proc files are root's ---
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$tmp"
    mkdir "$tmp/nobody"
    chown 65534:65534 "$tmp/nobody"
    ( umask 077; echo "imap-pw" >"$tmp/nobody/imap.secret" )
    chown 65534:65534 "$tmp/nobody/imap.secret"
    closed=$(sink_free_port)
    { cat "$CPR_FIXTURES/conf/samples.conf"
      printf '[imap]\nurl=imaps://127.0.0.1:%s\nfolders=INBOX\nuser=u\npassword_file=%s\n' \
          "$closed" "$tmp/nobody/imap.secret"; } >"$tmp/nobody.conf"
    chmod 644 "$tmp/nobody.conf"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$bin" --config "$tmp/nobody.conf" --db "$tmp/nobody/cases.db" run >"$tmp/nobody.log" 2>&1 &
    dpid=$!
    wait_for 20 grep -q 'event=connect_failed' "$tmp/nobody.log"
    check "daemon: running as another user, still up" kill -0 "$dpid"
    check "daemon: not dumpable (its /proc files belong to root, not to its user)" \
        [ "$(stat -c %u "/proc/$dpid/environ")" = 0 ]
    kill "$dpid"; wait "$dpid"
else
    ok "# SKIP daemon dumpable check needs root and setpriv"
fi

tap_done

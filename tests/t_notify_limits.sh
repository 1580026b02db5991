#!/bin/sh
# t_notify_limits.sh - intake and paging under a bad day (issue 17): HTTPS
# receivers that offer only TLS 1.0/1.1 are refused while TLS 1.2+ works; the
# daemon is not dumpable (no core file or ptrace with its secrets).
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
. "$CPR_TOP/tests/dovecot.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'for s in new old; do sink_stop "$tmp" $s; done; rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
A=1747054998 # aware_at of sample 001: 2025-05-12T13:03:18Z
export CPR_INTAKE_NOW=$((A + 60))

# --- HTTPS: TLS 1.2 at least ---
mkdir -p "$tmp/certs"
dovecot_make_certs "$tmp/certs" localhost 127.0.0.1 || { echo "Bail out! certtool failed"; exit 1; }
np=$(http_sink_start "$tmp" new 0 --tls "$tmp/certs/server.pem" "$tmp/certs/server.key")
op=$(http_sink_start "$tmp" old 0 --tls-old "$tmp/certs/server.pem" "$tmp/certs/server.key")
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
EOT
cpr ingest "$samples/001-kc-csr-proof.eml" >/dev/null
cpr notify-run --once >"$tmp/tls.out" 2>&1
check "HTTPS with TLS 1.2 or later: the page arrives" [ "$(sink_count "$tmp" new /hook)" -eq 1 ]
check "HTTPS with TLS 1.0/1.1 only: nothing delivered" [ "$(sink_count "$tmp" old /hook)" -eq 0 ]
check "HTTPS with TLS 1.0/1.1 only: the page stays pending with a TLS error" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target='old' AND delivered_at IS NULL AND last_error LIKE '%protocol version%'")" -eq 1 ]
sink_stop "$tmp" new
sink_stop "$tmp" old

# --- the daemon is not dumpable: run as an ordinary user, its /proc files are root's ---
wait_for() { # SECONDS COMMAND...: poll until COMMAND succeeds
    n=$(($1 * 20)); shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.05; n=$((n - 1)); done
    return 1
}
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

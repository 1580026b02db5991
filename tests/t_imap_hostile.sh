#!/bin/sh
# A hostile server (tests/hostile_imap_server.py) greets with `* OK
# [PERMANENTFLAGS (`, bytes that crash libetpan 1.9.4's greeting parser, as
# anyone on the network path could send them. The daemon must fail the
# connection cleanly, with a clear error, no crash and no sanitizer report:
# before TLS only our own strict reader sees the server's bytes, and libetpan
# parses nothing until the certificate is verified (agent/imap/imap_connect.c).
# No credential and no LOGOUT may reach the server.
# (iii) The same bytes, and a malformed PERMANENTFLAGS in a SELECT response,
# from a server whose certificate verifies: the response guard
# (agent/imap/imap_guard_stream.c) refuses them before libetpan parses them, the
# connection fails with event=bad_response, no crash.
. "$(dirname "$0")/fixtures/imap/lib.sh"

C="$T/c.conf"
DB="$T/store.db"
IMAP_USER=cpr
IMAP_PASSWORD_FILE="$T/imap.secret"
echo "hostile-test-password-$$" >"$IMAP_PASSWORD_FILE"
chmod 600 "$IMAP_PASSWORD_FILE"
mkdir -p "$T/certs"
# A certificate for 127.0.0.1 from a CA the daemon is never told about.
dovecot_make_certs "$T/certs" localhost 127.0.0.1 || { echo "Bail out! certtool failed"; exit 1; }

# hostile MODE: start the server, PORT and HLOG set
hostile() {
    HLOG="$T/$1.server.log"
    : >"$HLOG"
    rm -f "$T/$1.port"
    python3 "$CPR_TOP/tests/hostile_imap_server.py" "$1" "$T/$1.port" "$HLOG" \
        "$T/certs/server.pem" "$T/certs/server.key" &
    DAEMON_PIDS="$DAEMON_PIDS $!"
    HPID=$!
    wait_until 5 test -s "$T/$1.port" || { echo "Bail out! hostile server did not start"; exit 1; }
    PORT=$(cat "$T/$1.port")
}
stop_hostile() { kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null; }

no_crash() { # LOG: no sanitizer report, no crash signature
    ! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error|SEGV|Segmentation' "$1"
}
nothing_sent() { # SERVER-LOG: no command after STARTTLS, no credential
    ! grep -Eqi 'LOGIN|AUTHENTICATE|LOGOUT|CAPABILITY' "$1" &&
        ! grep -q "$(cat "$IMAP_PASSWORD_FILE")" "$1"
}

# run_once NAME URL: run --once against the hostile server, rc in RC
run_once() {
    imap_config "$C" "$2" "INBOX" "timeout_seconds=3"
    "$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/$1.log" 2>&1
    RC=$?
}

# --- (i) imap://: the crashing greeting in clear; the STARTTLS reply never comes ---
hostile starttls-close
run_once clear "imap://127.0.0.1:$PORT"
check "clear greeting: run --once fails" [ "$RC" -eq 1 ]
check "clear greeting: no crash, no sanitizer report" no_crash "$T/clear.log"
check "clear greeting: clear error" \
    grep -q "server closed the connection before the STARTTLS reply" "$T/clear.log"
check "clear greeting: the client only said STARTTLS" \
    sh -c "[ \"\$(grep -c '^clear: ' '$HLOG')\" = 1 ] && grep -q \"^clear: b'A0 STARTTLS\" '$HLOG'"
check "clear greeting: no credential sent" nothing_sent "$HLOG"
check "clear greeting: status shows the connection down" \
    [ -n "$(sql "$DB" "SELECT value FROM health WHERE key = 'imap.connection' AND value LIKE 'down:%STARTTLS%'")" ]

# the daemon keeps running and retries, rather than dying at every greeting
start_daemon "$T/clear-daemon.log" --config "$C" --db "$DB" run
wait_until 10 sh -c "[ \"\$(grep -c 'event=connect_failed' '$T/clear-daemon.log')\" -ge 2 ]"
check "clear greeting, daemon: retries with backoff" \
    [ "$(grep -c 'event=connect_failed' "$T/clear-daemon.log")" -ge 2 ]
check "clear greeting, daemon: still alive" kill -0 "$DAEMON_PID" 2>/dev/null
kill -TERM "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID"
check "clear greeting, daemon: exits 0 on SIGTERM" [ $? -eq 0 ]
check "clear greeting, daemon: no crash, no sanitizer report" no_crash "$T/clear-daemon.log"
stop_hostile

# --- (i) the crashing bytes injected in clear right after the STARTTLS OK ---
hostile starttls-inject
run_once inject "imap://127.0.0.1:$PORT"
check "injection after STARTTLS: run --once fails" [ "$RC" -eq 1 ]
check "injection after STARTTLS: no crash" no_crash "$T/inject.log"
check "injection after STARTTLS: refused" \
    grep -q "sent data in clear after its STARTTLS reply" "$T/inject.log"
check "injection after STARTTLS: nothing sent after STARTTLS" nothing_sent "$HLOG"
stop_hostile

# --- (i) STARTTLS accepted, then an untrusted certificate, the crash bytes over TLS ---
hostile starttls-tls
run_once starttls "imap://127.0.0.1:$PORT"
check "STARTTLS, untrusted certificate: run --once fails" [ "$RC" -eq 1 ]
check "STARTTLS, untrusted certificate: no crash" no_crash "$T/starttls.log"
check "STARTTLS, untrusted certificate: refused on the certificate" \
    grep -q "issuer is unknown" "$T/starttls.log"
check "STARTTLS, untrusted certificate: the handshake happened" grep -q "tls: handshake done" "$HLOG"
check "STARTTLS, untrusted certificate: not a byte over TLS" \
    sh -c "! grep -q \"^tls: b'\" '$HLOG'"
check "STARTTLS, untrusted certificate: no credential sent" nothing_sent "$HLOG"
stop_hostile

# --- (ii) imaps://: an untrusted certificate, the crashing greeting over TLS ---
hostile imaps
run_once imaps "imaps://127.0.0.1:$PORT"
check "imaps, untrusted certificate: run --once fails" [ "$RC" -eq 1 ]
check "imaps, untrusted certificate: no crash, no sanitizer report" no_crash "$T/imaps.log"
check "imaps, untrusted certificate: refused on the certificate" \
    grep -q "issuer is unknown" "$T/imaps.log"
check "imaps, untrusted certificate: the handshake happened, the greeting was sent" \
    grep -q "tls: handshake done" "$HLOG"
check "imaps, untrusted certificate: not a byte over TLS (no LOGOUT)" \
    sh -c "! grep -q \"^tls: b'\" '$HLOG'"
check "imaps, untrusted certificate: no credential sent" nothing_sent "$HLOG"
check "imaps, untrusted certificate: status shows the connection down" \
    [ -n "$(sql "$DB" "SELECT value FROM health WHERE key = 'imap.connection' AND value LIKE 'down:%issuer%'")" ]
stop_hostile

# --- (iii) a verified server: the crashing greeting, then a crashing SELECT ---
hostile imaps
imap_config "$C" "imaps://127.0.0.1:$PORT" "INBOX" "timeout_seconds=3" "ca_file=$T/certs/ca.pem"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/trusted-greeting.log" 2>&1
RC=$?
check "imaps, verified server, crashing greeting: run --once fails" [ "$RC" -eq 1 ]
check "imaps, verified server, crashing greeting: no crash, no sanitizer report" \
    no_crash "$T/trusted-greeting.log"
check "imaps, verified server, crashing greeting: refused by the response guard" \
    grep -q "event=bad_response.*malformed PERMANENTFLAGS list" "$T/trusted-greeting.log"
stop_hostile

hostile imaps-select
imap_config "$C" "imaps://127.0.0.1:$PORT" "INBOX" "timeout_seconds=3" "ca_file=$T/certs/ca.pem"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/trusted-select.log" 2>&1
RC=$?
check "imaps, verified server, crashing SELECT: run --once fails" [ "$RC" -eq 1 ]
check "imaps, verified server, crashing SELECT: no crash, no sanitizer report" \
    no_crash "$T/trusted-select.log"
check "imaps, verified server, crashing SELECT: logged in, then SELECT was sent" \
    grep -qi "SELECT" "$HLOG"
check "imaps, verified server, crashing SELECT: one clear line, no raw bytes" \
    grep -q "event=bad_response error=\"malformed PERMANENTFLAGS list: (.??\* OK" "$T/trusted-select.log"
check "imaps, verified server, crashing SELECT: a connection error (reconnect), not a crash" \
    grep -qi "bad response from the server: malformed PERMANENTFLAGS" "$T/trusted-select.log"
stop_hostile

# --- (iv) a verified server that speaks only TLS 1.0/1.1: refused before any credential ---
hostile imaps-tls11
imap_config "$C" "imaps://127.0.0.1:$PORT" "INBOX" "timeout_seconds=3" "ca_file=$T/certs/ca.pem"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/tls11.log" 2>&1
RC=$?
check "TLS 1.1 only: run --once fails" [ "$RC" -eq 1 ]
check "TLS 1.1 only: refused for its TLS version" grep -qi "TLS 1.2" "$T/tls11.log"
check "TLS 1.1 only: no credential sent" nothing_sent "$HLOG"
stop_hostile

tap_done

#!/bin/sh
# TLS and authentication safety against a real Dovecot: an untrusted certificate,
# a certificate for another host name and a server without STARTTLS are refused
# with a clear error, and no credential reaches the server (its log shows no auth
# attempt). STARTTLS works when offered, and logins happen over TLS only.
. "$(dirname "$0")/fixtures/imap/lib.sh"

C="$T/c.conf"
DB="$T/store.db"

no_auth_attempt() { # LOG: Dovecot saw connections but never an authentication
    grep -q "imap-login" "$1" &&
        ! grep -q "Login: user=" "$1" &&
        ! grep -qi "auth.*client in: AUTH" "$1" &&
        ! grep -q "auth failed" "$1"
}

# --- good server, untrusted certificate (no ca_file: the test CA is unknown) ---
imap_server good
imapctl gen INBOX 2 --prefix tls
: >"$DOVECOT_LOG"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/untrusted.log" 2>&1
rc=$?
check "untrusted certificate: run --once fails" [ "$rc" -ne 0 ]
check "untrusted certificate: clear error" grep -q "issuer is unknown" "$T/untrusted.log"
check "untrusted certificate: no auth attempt reached the server" no_auth_attempt "$DOVECOT_LOG"
check "untrusted certificate: not even LOGOUT sent over the unverified channel" \
    sh -c "! grep -q 'Aborted login by logging out' '$DOVECOT_LOG'"
check "untrusted certificate: nothing stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 0 ]
check "untrusted certificate: status shows the connection down" \
    [ -n "$(sql "$DB" "SELECT value FROM health WHERE key = 'imap.connection' AND value LIKE 'down:%issuer%'")" ]

# --- STARTTLS on the same server works, and the login is over TLS ---
: >"$DOVECOT_LOG"
imap_config "$C" "imap://127.0.0.1:$IMAP_PORT" "INBOX" "ca_file=$CA_FILE"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/starttls.log" 2>&1
check "STARTTLS: run --once succeeds" [ $? -eq 0 ]
check "STARTTLS: messages stored" [ "$(sql "$DB" 'SELECT count(*) FROM messages')" = 2 ]
check "STARTTLS: the login was over TLS" grep -q "Login: user=<cpr>, method=.*TLS" "$DOVECOT_LOG"
check "no login without TLS" sh -c "! grep 'Login: user=' '$DOVECOT_LOG' | grep -vq TLS"

# --- a certificate for another host name, from a trusted CA ---
DOVECOT_CERT_NAMES="wrong.example" imap_server wrongname
: >"$DOVECOT_LOG"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/wrongname.log" 2>&1
rc=$?
check "wrong host name: run --once fails" [ "$rc" -ne 0 ]
check "wrong host name: clear error" grep -q "name in the certificate does not match" "$T/wrongname.log"
check "wrong host name: no auth attempt reached the server" no_auth_attempt "$DOVECOT_LOG"
check "wrong host name: not even LOGOUT sent" sh -c "! grep -q 'Aborted login by logging out' '$DOVECOT_LOG'"
imap_config "$C" "imap://127.0.0.1:$IMAP_PORT" "INBOX" "ca_file=$CA_FILE"
: >"$DOVECOT_LOG"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/wrongname2.log" 2>&1
check "wrong host name after STARTTLS: refused" grep -q "name in the certificate does not match" "$T/wrongname2.log"
check "wrong host name after STARTTLS: no auth attempt" no_auth_attempt "$DOVECOT_LOG"

# --- a server with no TLS at all (no STARTTLS capability) ---
DOVECOT_SSL=no imap_server plain
: >"$DOVECOT_LOG"
imap_config "$C" "imap://127.0.0.1:$IMAP_PORT" "INBOX" "ca_file=$CA_FILE"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/plain.log" 2>&1
rc=$?
check "no STARTTLS: run --once fails" [ "$rc" -ne 0 ]
check "no STARTTLS: clear error" grep -q "does not offer STARTTLS" "$T/plain.log"
check "no STARTTLS: no auth attempt reached the server" no_auth_attempt "$DOVECOT_LOG"
check "no STARTTLS: the password never appears in any log" \
    sh -c "! grep -rq \"\$(cat '$IMAP_PASSWORD_FILE')\" '$T'/*.log '$DOVECOT_LOG'"

# --- the daemon (not --once) keeps retrying with backoff instead of giving up ---
start_daemon "$T/retry.log" --config "$C" --db "$DB" run
failed_ge() { [ "$(grep -c 'event=connect_failed' "$T/retry.log")" -ge "$1" ]; }
check "daemon retries a refused server" wait_until 10 failed_ge 2
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "daemon exits 0 on SIGTERM while backing off" [ $? -eq 0 ]
check "daemon never authenticated" no_auth_attempt "$DOVECOT_LOG"

# --- a server that accepts the connection and then says nothing: timeout ---
port=$(dovecot_free_port)
python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(5)
open(sys.argv[2], 'w').write('listening')
conns = []
end = time.time() + 30
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
" "$port" "$T/silent.ready" &
DAEMON_PIDS="$DAEMON_PIDS $!"
wait_until 10 test -s "$T/silent.ready"
imap_config "$C" "imaps://127.0.0.1:$port" "INBOX" "ca_file=$CA_FILE" "timeout_seconds=1"
t0=$(date +%s)
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/stall.log" 2>&1
rc=$?
check "silent server: run --once fails" [ "$rc" -ne 0 ]
check "silent server: gives up within the timeout" [ $(($(date +%s) - t0)) -le 4 ]

# --- control: the detector above does see a cleartext login when one happens ---
: >"$DOVECOT_LOG"
python3 -c "import imaplib,sys; m=imaplib.IMAP4('127.0.0.1', int(sys.argv[1])); m.login('cpr', open(sys.argv[2]).read().strip()); m.logout()" \
    "$IMAP_PORT" "$IMAP_PASSWORD_FILE" >/dev/null 2>&1
check "control: a cleartext login would have shown in the server log" \
    grep -q 'Login: user=<cpr>, method=PLAIN.*secured' "$DOVECOT_LOG"

tap_done

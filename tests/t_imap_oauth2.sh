#!/bin/sh
# XOAUTH2 with access tokens the daemon refreshes itself (issue 4 item 1, issue 5
# item 4, SPEC 2.6 and 5), against a REAL Dovecot whose passdb oauth2 checks
# every bearer token at the RFC 7662 introspection endpoint of
# tests/oauth2_server.py -- the same HTTPS server (test CA, loopback) that
# issues the tokens, rotates refresh tokens and can be told to fail.
#   (a) run --once logs in with XOAUTH2 using a token obtained by refresh;
#   (b) the rotated refresh token is stored atomically (new content, 0600, a
#       new inode, no temporary left) and is the one the next refresh uses;
#   (c) a token that expires during a long `run` is refreshed at the next
#       connection and intake continues; a cached token is reused while valid,
#       and a cached token the server refuses is refreshed once;
#   (d) invalid_grant: health shows "oauth2 refresh failed", notify-run pages,
#       the daemon keeps retrying the IMAP side without hammering the endpoint,
#       and recovers on SIGHUP once a new refresh token is in place;
#   (e) no refresh token, access token or client secret in any output.
. "$(dirname "$0")/fixtures/imap/lib.sh"
. "$CPR_TOP/tests/notify_sinks.sh"

# --- the authorization server: its own test CA, HTTPS on loopback ---
mkdir -p "$T/o2certs"
dovecot_make_certs "$T/o2certs" localhost 127.0.0.1 || { echo "Bail out! certtool failed"; exit 1; }
O2="$T/o2"
S="$T/secrets" # the daemon rewrites the refresh token here: a directory of its own
mkdir -p "$O2" "$S"
chmod 700 "$S"
RT="$S/refresh.token"
CS="$S/client.secret"
rand() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
old_umask=$(umask)
umask 077
RT0="rt-initial-$(rand)"
CSV="cs-$(rand)"
echo "$RT0" >"$RT"
echo "$CSV" >"$CS"
umask "$old_umask"
CLIENT_ID=cpr-intake-test

python3 "$CPR_TOP/tests/oauth2_server.py" --dir "$O2" --cert "$T/o2certs/server.pem" \
    --key "$T/o2certs/server.key" --client-id "$CLIENT_ID" --client-secret-file "$CS" \
    --refresh-token-file "$RT" --user cpr --expires-in 3600 >"$O2/port" 2>"$O2/server.err" &
DAEMON_PIDS="$DAEMON_PIDS $!"
wait_until 10 test -s "$O2/port" || { echo "Bail out! oauth2_server.py did not start"; exit 1; }
O2_PORT=$(cat "$O2/port")
touch "$O2/requests.log"

# --- Dovecot: XOAUTH2 checked by introspection at the same server ---
DOVECOT_OAUTH2_URL="https://127.0.0.1:$O2_PORT/introspect" DOVECOT_OAUTH2_CA="$T/o2certs/ca.pem" \
    imap_server dv
check "Dovecot offers AUTH=XOAUTH2" python3 -c "
import imaplib, ssl, sys
m = imaplib.IMAP4_SSL('127.0.0.1', $IMAPS_PORT, ssl_context=ssl.create_default_context(cafile='$CA_FILE'))
sys.exit(0 if 'AUTH=XOAUTH2' in m.capabilities else 1)"

# --- a sink for pages ---
hp=$(http_sink_start "$T" hook)
DAEMON_PIDS="$DAEMON_PIDS $(cat "$T/hook.pid")"

C="$T/c.conf"
DB="$T/store.db"
# oauth2 config: imap_config's password_file line dropped, the oauth2 keys added.
oauth2_config() { # EXTRA-LINE...
    imap_config "$C.tmp" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE" \
        "oauth2_refresh_token_file=$RT" "oauth2_token_url=https://127.0.0.1:$O2_PORT/token" \
        "oauth2_client_id=$CLIENT_ID" "oauth2_client_secret_file=$CS" \
        "oauth2_ca_file=$T/o2certs/ca.pem" "$@"
    grep -v '^password_file=' "$C.tmp" >"$C" && rm -f "$C.tmp"
}
oauth2_config
cat >>"$C" <<EOT

[notify.hook]
type=webhook
url=http://127.0.0.1:$hp/hook

[health]
connection_down_seconds=3600
heartbeat_seconds=3600
EOT

# counters over the server's request log
token_requests() { grep -c '"path": "/token"' "$O2/requests.log"; }
token_ok() { grep '"path": "/token"' "$O2/requests.log" | grep -c '"status": 200'; }
last_issued_refresh() {
    grep '"issued_refresh_sha256"' "$O2/requests.log" | tail -n 1 |
        python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["issued_refresh_sha256"])'
}
sha() { printf '%s' "$(cat "$1")" | sha256sum | cut -d' ' -f1; }
xoauth2_logins() { grep -c 'Login: user=<cpr>, method=XOAUTH2' "$DOVECOT_LOG"; }
stored() { sql "$DB" 'SELECT count(*) FROM messages'; }
ino() { stat -c %i "$1"; }
stored_is() { [ "$(stored)" = "$1" ]; }
connected_ge() { [ "$(grep -c 'event=connected' "$2")" -ge "$1" ]; }
# The newest access token the server issued has expired by the server's clock
# (logged "at" + "expires_in" is past: "at" is written after the grant).
last_token_expired() {
    python3 -c "
import json, sys, time
rows = [json.loads(l) for l in open('$O2/requests.log') if '\"expires_in\"' in l]
sys.exit(0 if rows and rows[-1]['at'] + rows[-1]['expires_in'] < time.time() else 1)"
}
failed_ge() { [ "$(grep -c 'event=connect_failed' "$2")" -ge "$1" ]; }

# ============ (a) run --once: XOAUTH2 with a token obtained by refresh ============
imapctl gen INBOX 3 --prefix oa
: >"$DOVECOT_LOG"
ino0=$(ino "$RT")
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run1.log" 2>&1
rc=$?
check "(a) run --once exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || { diag "$T/run1.log"; tail -n 30 "$DOVECOT_LOG" | sed 's/^/# /'; }
check "(a) 3 messages ingested" [ "$(stored)" = 3 ]
check "(a) exactly one token request, answered 200" [ "$(token_requests)" = 1 -a "$(token_ok)" = 1 ]
check "(a) the request: refresh_token grant, form-encoded, client id and secret right" \
    grep -q '"fields": \["client_id", "client_secret", "grant_type", "refresh_token"\], "content_type": "application/x-www-form-urlencoded", "mode": "ok", "grant_type": "refresh_token", "client_id_ok": true, "secret_ok": true, "refresh_ok": true' "$O2/requests.log"
check "(a) Dovecot logged in the user with XOAUTH2 over TLS" \
    grep -q 'Login: user=<cpr>, method=XOAUTH2, .*TLS' "$DOVECOT_LOG"
check "(a) Dovecot's passdb oauth2 introspected the token (active)" \
    grep -q '"path": "/introspect".*"active": true' "$O2/requests.log"
check "(a) no password login" sh -c "! grep -q 'method=PLAIN\|method=LOGIN' '$DOVECOT_LOG'"
check "(a) the daemon logged the refresh" grep -q 'event=oauth2_refreshed endpoint=https://127.0.0.1:.* expires_in=3600 rotated=yes' "$T/run1.log"

# ============ (b) the rotated refresh token, stored atomically ============
check "(b) refresh token file has new content" [ "$(cat "$RT")" != "$RT0" ]
check "(b) ... the token the server issued" [ "$(sha "$RT")" = "$(last_issued_refresh)" ]
check "(b) ... mode 0600" [ "$(stat -c %a "$RT")" = 600 ]
check "(b) ... replaced by rename (new inode)" [ "$(ino "$RT")" != "$ino0" ]
check "(b) ... no temporary file left in its directory" [ "$(ls -A "$S" | wc -l)" = 2 ]
check "(b) ... one line, newline-terminated" [ "$(wc -l <"$RT")" = 1 ]
RT1=$(cat "$RT")
imapctl gen INBOX 1 --prefix ob
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run2.log" 2>&1
rc=$?
check "(b) a second run --once refreshes with the stored (rotated) token" \
    [ "$rc" -eq 0 -a "$(token_ok)" = 2 ]
check "(b) ... the server accepted it (the initial one is dead by now)" \
    [ "$(grep '"path": "/token"' "$O2/requests.log" | tail -n 1 | grep -c '"refresh_ok": true')" = 1 ]
check "(b) ... and it rotated again" [ "$(cat "$RT")" != "$RT1" -a "$(sha "$RT")" = "$(last_issued_refresh)" ]
check "(b) ... the new message was ingested" [ "$(stored)" = 4 ]

# ============ (c) a long run: expiry, reuse, refusal ============
echo 6 >"$O2/expires_in" # short-lived access tokens from now on
: >"$DOVECOT_LOG"
t0=$(token_requests)
start_daemon "$T/daemon.log" --config "$C" --db "$DB" run
wait_until 20 grep -q 'event=connected' "$T/daemon.log"
check "(c) daemon connected after one refresh" [ "$(token_requests)" = $((t0 + 1)) ]
check "(c) ... for a short-lived token" grep -q 'expires_in=6 ' "$T/daemon.log"
imapctl gen INBOX 1 --prefix oc1
check "(c) a message appended while idling is stored" wait_until 10 stored_is 5
# the access token expires while the daemon idles
check "(c) the 6-second access token expires" wait_until 20 last_token_expired
imapctl gen INBOX 1 --prefix oc2
check "(c) the session outlives the token: intake continues" wait_until 10 stored_is 6
# The server ends the session after expiry (Exchange Online sends "BYE Session
# invalidated - AccessTokenExpired"): the daemon reconnects with a new token.
doveadm -c "$DOVECOT_DIR/dovecot.conf" kick cpr >/dev/null 2>&1
check "(c) kicked: the daemon reconnects" \
    wait_until 20 connected_ge 2 "$T/daemon.log"
check "(c) ... after refreshing the expired token (one more request)" [ "$(token_requests)" = $((t0 + 2)) ]
check "(c) ... Dovecot saw two XOAUTH2 logins" [ "$(xoauth2_logins)" = 2 ]
imapctl gen INBOX 1 --prefix oc3
check "(c) ... and a new message still arrives" wait_until 10 stored_is 7

# A valid cached token is reused on reconnect (no request); one the server
# refuses (revoked) is refreshed once and the login goes through.
echo 3600 >"$O2/expires_in"
# the 6-second token in hand expires: the next connection gets a long one
wait_until 20 last_token_expired
doveadm -c "$DOVECOT_DIR/dovecot.conf" kick cpr >/dev/null 2>&1
wait_until 30 connected_ge 3 "$T/daemon.log"
check "(c) reconnect after expiry: a long-lived token now" grep -q 'expires_in=3600 ' "$T/daemon.log"
t1=$(token_requests)
doveadm -c "$DOVECOT_DIR/dovecot.conf" kick cpr >/dev/null 2>&1
check "(c) reconnect with a valid cached token" \
    wait_until 30 connected_ge 4 "$T/daemon.log"
check "(c) ... made no token request" [ "$(token_requests)" = "$t1" ]
echo revoke >"$O2/revoke"
doveadm -c "$DOVECOT_DIR/dovecot.conf" kick cpr >/dev/null 2>&1
check "(c) revoked cached token: reconnects" \
    wait_until 30 connected_ge 5 "$T/daemon.log"
check "(c) ... after the server refused the cached token once" \
    grep -q 'event=xoauth2_refused token=cached action=refresh' "$T/daemon.log"
check "(c) ... and exactly one refresh" [ "$(token_requests)" = $((t1 + 1)) ]
imapctl gen INBOX 1 --prefix oc4
check "(c) ... intake continues" wait_until 10 stored_is 8
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "(c) daemon exits 0 on SIGTERM" [ $? -eq 0 ]
check "(c) the refresh token file is still the last issued one" [ "$(sha "$RT")" = "$(last_issued_refresh)" ]
check "(c) ... 0600, no temporary left" [ "$(stat -c %a "$RT")" = 600 -a "$(ls -A "$S" | wc -l)" = 2 ]

# ============ (d) invalid_grant: health, page, no hammering, recovery ============
echo invalid_grant >"$O2/mode"
t2=$(token_requests)
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/dead1.log" 2>&1
rc=$?
check "(d) run --once fails" [ "$rc" -ne 0 ]
check "(d) ... with a clear error" grep -q 'oauth2 refresh failed: the token endpoint refused it (HTTP 400, invalid_grant' "$T/dead1.log"
check "(d) ... after one token request" [ "$(token_requests)" = $((t2 + 1)) ]
"$CPR_INTAKE" --config "$C" --db "$DB" status --json >"$T/status.json" 2>"$T/status.err"
check "(d) status: connection down, last_error says oauth2 refresh failed" python3 -c "
import json, sys
s = json.load(open('$T/status.json'))
sys.exit(0 if str(s['connection']).startswith('down') and 'oauth2 refresh failed' in s['last_error'] else 1)"
"$CPR_INTAKE" --config "$C" --db "$DB" notify-run --once >"$T/notify1.log" 2>&1
check "(d) notify-run --once exits 0" [ $? -eq 0 ]
check "(d) ... and pages: intake_health, auth_failed, the refresh failure" python3 -c "
import json, sys
pages = [json.loads(json.loads(l)['body']) for l in open('$T/hook.log')]
ok = [p for p in pages if p.get('event') == 'intake_health' and p.get('condition') == 'auth_failed'
      and 'oauth2 refresh failed' in p.get('last_error', '')]
sys.exit(0 if len(ok) == 1 else 1)"

pages_before=$(wc -l <"$T/hook.log")
t3=$(token_requests)
start_daemon "$T/dead2.log" --config "$C" --db "$DB" run
wait_until 30 failed_ge 3 "$T/dead2.log"
fails=$(grep -c 'event=connect_failed' "$T/dead2.log")
check "(d) the daemon keeps retrying (connect_failed x$fails >= 3)" [ "$fails" -ge 3 ]
check "(d) ... but asked the token endpoint once: the dead refresh token is not re-sent" \
    [ "$(token_requests)" = $((t3 + 1)) ]
"$CPR_INTAKE" --config "$C" --db "$DB" status --json >"$T/status2.json" 2>&1
check "(d) ... status says why it is not retried" \
    grep -q 'not presented again for 900 s unless .*refresh.token changes' "$T/status2.json"
check "(d) ... no second page for the same condition" [ "$(wc -l <"$T/hook.log")" = "$pages_before" ]
# The operator re-consents: a new refresh token in the file, then reload.
NEWRT="rt-reconsent-$(rand)"
umask 077
echo "$NEWRT" >"$S/.new" && mv "$S/.new" "$RT"
umask "$old_umask"
echo "$NEWRT" >"$O2/grant"
echo ok >"$O2/mode"
imapctl gen INBOX 1 --prefix od
kill -HUP "$DAEMON_PID"
check "(d) after a new refresh token and SIGHUP: connected again" \
    wait_until 20 grep -q 'event=connected' "$T/dead2.log"
check "(d) ... the message that waited is stored" wait_until 10 stored_is 9
check "(d) ... the new token was used and rotated" \
    [ "$(sha "$RT")" = "$(last_issued_refresh)" -a "$(cat "$RT")" != "$NEWRT" ]
check "(d) ... and the all-clear page follows" \
    wait_until 20 grep -q 'intake_recovered' "$T/hook.log"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "(d) daemon exits 0 on SIGTERM" [ $? -eq 0 ]

# A 500 is a passing outage: CPR_ERROR_CONNECTION, no immediate auth page.
echo 500 >"$O2/mode"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/o500.log" 2>&1
check "(d) HTTP 500: run --once fails naming the endpoint, not as an auth failure" \
    grep -q "oauth2 endpoint https://127.0.0.1:$O2_PORT: answered HTTP 500" "$T/o500.log"
check "(d) ... the refresh token file is untouched" [ "$(sha "$RT")" = "$(last_issued_refresh)" ]
echo ok >"$O2/mode"

# ============ (e) no secret in any output ============
all_out="$T/run1.log $T/run2.log $T/daemon.log $T/dead1.log $T/dead2.log $T/o500.log \
$T/status.json $T/status.err $T/status2.json $T/notify1.log $T/hook.log"
no_secret_in() { # SECRET FILES...
    s=$1; shift
    ! grep -qF -- "$s" "$@"
}
leaks=0
n=0
for s in "$RT0" "$CSV" "$NEWRT" $(cat "$O2/issued.txt"); do
    n=$((n + 1))
    # shellcheck disable=SC2086
    no_secret_in "$s" $all_out || leaks=$((leaks + 1))
done
check "(e) none of $n secrets (client secret, every refresh and access token) in stdout/stderr, status or pages" \
    [ "$leaks" = 0 -a "$n" -ge 8 ]
sqlite3 "$DB" .dump >"$T/dump.sql"
leaks=0
for s in "$RT0" "$CSV" "$NEWRT" $(cat "$O2/issued.txt"); do
    no_secret_in "$s" "$T/dump.sql" || leaks=$((leaks + 1))
done
check "(e) ... nor in the database" [ "$leaks" = 0 ]
echo "x $CSV y" >"$T/control.txt"
check "(e) control: the same check does see a secret where one is" grep -qF -- "$CSV" "$T/control.txt"
tap_done

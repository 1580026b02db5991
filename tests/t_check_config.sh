#!/bin/sh
# t_check_config.sh - `check-config` (issue 18) against real servers on
# loopback: Dovecot (login, every folder EXAMINEd, nothing changed), the
# Bugzilla test server (GET /rest/whoami), the HTTP sink (a HEAD, never a
# POST: no page), the SMTP sink (EHLO, no mail). One line per check; exit 0
# when all pass, 1 naming what failed, 2 for an invalid configuration or a
# bad secret file. `--print` shows the effective configuration with defaults
# and no secret.
. "$(dirname "$0")/fixtures/imap/lib.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
SRV_PID=
trap 'sink_stop "$T" hook; sink_stop "$T" smtp; [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; imap_cleanup' EXIT

imap_server dv
imapctl append INBOX "$CPR_FIXTURES/samples/001-kc-csr-proof.eml"
imapctl append Lists/mdsp "$CPR_FIXTURES/samples/007-mdsp-acme-weak-rsa.eml"

# Bugzilla over HTTPS with a test CA
mkdir -p "$T/bz" "$T/certs"
dovecot_make_certs "$T/certs" localhost 127.0.0.1 || { echo "Bail out! certtool failed"; exit 1; }
key="bzkey-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$key" >"$T/bugzilla.key"
chmod 600 "$T/bugzilla.key"
python3 "$CPR_TOP/tests/bugzilla_server.py" --dir "$T/bz" --cert "$T/certs/server.pem" \
    --key "$T/certs/server.key" --api-key-file "$T/bugzilla.key" >"$T/bz/port" 2>"$T/bz/stderr" &
SRV_PID=$!
wait_until 10 test -s "$T/bz/port"
bzport=$(cat "$T/bz/port")
hookport=$(http_sink_start "$T" hook)
smtpport=$(smtp_sink_start "$T" smtp)
deadport=$(dovecot_free_port)

C="$T/good.conf"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Lists/mdsp" "ca_file=$CA_FILE"
cat >>"$C" <<EOT

[bugzilla]
url=https://127.0.0.1:$bzport
api_key_file=$T/bugzilla.key
ca_file=$T/certs/ca.pem

[notify.hook]
type=webhook
url=http://127.0.0.1:$hookport/hook

[notify.mail]
type=email
url=smtp://127.0.0.1:$smtpport
to=oncall@acmetrust.test
from=cpr@acmetrust.test
EOT
before=$(imapctl keyword INBOX '$CprIntake')
"$CPR_INTAKE" --config "$C" check-config >"$T/out" 2>"$T/err"
rc=$?
check "check-config: every connection passes, exit 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || { diag "$T/out"; diag "$T/err"; }
check "one line per check: imap login, both folders, bugzilla, hook, mail" sh -c "
    grep -q '^ok   imap: login as ' '$T/out' &&
    grep -q '^ok   imap folder INBOX: 1 messages' '$T/out' &&
    grep -q '^ok   imap folder Lists/mdsp: 1 messages' '$T/out' &&
    grep -q '^ok   bugzilla: GET https://127.0.0.1:$bzport/rest/whoami: ' '$T/out' &&
    grep -q '^ok   notify.hook: .*HEAD' '$T/out' &&
    grep -q '^ok   notify.mail: .*EHLO' '$T/out'"
check "no page was posted to the webhook" [ "$(sink_count "$T" hook)" = 0 ]
check "no mail went through the SMTP sink" [ -z "$(ls "$T/smtp.mail")" ]
check "Bugzilla saw only whoami" sh -c "! grep -v '/rest/whoami' '$T/bz/requests.log' 2>/dev/null | grep -q method"
check "IMAP messages untouched (no keyword set)" [ "$(imapctl keyword INBOX '$CprIntake')" = "$before" ]
check "no database created by check-config" [ ! -e "$T/store.db" ]
check "the key never printed" sh -c "! grep -q '$key' '$T/out' '$T/err'"

# a missing folder and a dead notify target: exit 1, each named
B="$T/bad.conf"
imap_config "$B" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX;Nope" "ca_file=$CA_FILE"
cat >>"$B" <<EOT

[notify.dead]
type=webhook
url=http://127.0.0.1:$deadport/x
EOT
"$CPR_INTAKE" --config "$B" check-config >"$T/out" 2>"$T/err"
check "a failed connection: exit 1" [ $? -eq 1 ]
check "the failed folder and target are named, the rest passes" sh -c "
    grep -q '^FAIL imap folder Nope' '$T/out' && grep -q '^ok   imap folder INBOX' '$T/out' &&
    grep -q '^FAIL notify.dead' '$T/out' &&
    grep -q 'failed: imap folder Nope, notify.dead' '$T/err'"

# a wrong password: the login fails
W="$T/wrong.conf"
printf 'not-the-password\n' >"$T/wrong.secret"; chmod 600 "$T/wrong.secret"
imap_config "$W" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE"
sed -i "s|^password_file=.*|password_file=$T/wrong.secret|" "$W"
"$CPR_INTAKE" --config "$W" check-config >"$T/out" 2>"$T/err"
check "a refused login: exit 1, imap named" sh -c "[ $? -eq 1 ] && grep -q '^FAIL imap: login' '$T/out'"

# invalid configurations: exit 2
printf '[ca]\nowner=X\nreport_addresses=a@b.test\ncolour=blue\n' >"$T/invalid.conf"
"$CPR_INTAKE" --config "$T/invalid.conf" check-config >/dev/null 2>"$T/err"
check "an unknown key: exit 2 naming it" sh -c "[ $? -eq 2 ] && grep -q '\[ca\] colour: unknown key' '$T/err'"
chmod 644 "$T/bugzilla.key"
"$CPR_INTAKE" --config "$C" check-config >"$T/out" 2>"$T/err"
check "a group-readable secret file: exit 2" sh -c "[ $? -eq 2 ] && grep -q 'api_key_file' '$T/err'"
chmod 600 "$T/bugzilla.key"

# --print: every key with its effective value, secrets by path only
"$CPR_INTAKE" --config "$C" check-config --print >"$T/print" 2>"$T/err"
check "--print exits 0" [ $? -eq 0 ]
check "--print shows defaults (keyword, idle, product, escalate_at, health)" sh -c "
    grep -qx 'keyword=\$CprIntake' '$T/print' && grep -qx 'idle_seconds=1500' '$T/print' &&
    grep -qx 'product=CA Program' '$T/print' && grep -qx 'escalate_at=50;75;90;100' '$T/print' &&
    grep -qx 'connection_down_seconds=900' '$T/print' && grep -qx 'processed=keyword' '$T/print'"
check "--print names secret files, never their content" sh -c "
    grep -qx 'api_key_file=$T/bugzilla.key' '$T/print' && ! grep -q '$key' '$T/print' &&
    ! grep -q \"\$(cat '$IMAP_PASSWORD_FILE')\" '$T/print'"
check "--print output is itself a valid configuration" sh -c "
    '$CPR_INTAKE' --config '$T/print' check-config --print >/dev/null"
"$CPR_INTAKE" --config "$CPR_FIXTURES/conf/samples.conf" check-config --print >"$T/print2" 2>&1
check "--print of a configuration without [imap] and [bugzilla] is valid too" sh -c "
    '$CPR_INTAKE' --config '$T/print2' check-config --print >/dev/null &&
    grep -qx 'path=/var/lib/cpr-intake/cpr-intake.db' '$T/print2'"
tap_done

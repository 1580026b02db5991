#!/bin/sh
# t_harness.sh - the test harness itself: run-tests.sh runs several tests at
# once, so a port dovecot_free_port handed out can be taken by another test
# before Dovecot binds it. dovecot_start must then try again with new ports,
# a few times, and give up with Dovecot's own message after that.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/dovecot.sh"
if [ "$(id -u)" != 0 ] || ! command -v dovecot >/dev/null; then
    skip "dovecot_start retries a taken port: needs root and dovecot"
    tap_done
    exit
fi
tmp=$(mktemp -d)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$tmp/taken" &
holder=$!
trap 'kill $holder 2>/dev/null; dovecot_stop "$tmp/dv" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
i=0
while [ ! -s "$tmp/taken" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
taken=$(cat "$tmp/taken")

# The first IMAP port asked for is the taken one (the counter is a file: each
# call runs in a command substitution's subshell); later ones are free.
real_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
dovecot_free_port() {
    echo x >>"$tmp/asked"
    if [ "$(wc -l <"$tmp/asked")" -eq 1 ]; then echo "$taken"; else real_free_port; fi
}
dovecot_start "$tmp/dv" >"$tmp/start.out" 2>&1
check "Dovecot starts although its first port was taken" [ $? -eq 0 ]
. "$tmp/dv/env"
check "on new ports (imap $IMAP_PORT, not $taken)" [ "$IMAP_PORT" != "$taken" ]
check "ports were asked for twice (2 a try)" [ "$(wc -l <"$tmp/asked")" -eq 4 ]
dovecot_stop "$tmp/dv" >/dev/null 2>&1

# The IMAP port always taken (the IMAPS one free): four tries, then
# Dovecot's own message, and the counter is back at 0 for the next start.
dovecot_free_port() {
    echo x >>"$tmp/asked"
    if [ $(($(wc -l <"$tmp/asked") % 2)) -eq 1 ]; then echo "$taken"; else real_free_port; fi
}
: >"$tmp/asked"
dovecot_start "$tmp/dv2" >"$tmp/start2.out" 2>&1
check "a port that stays taken fails the start" [ $? -ne 0 ]
check "after four tries" [ "$(wc -l <"$tmp/asked")" -eq 8 ]
check "with Dovecot's reason" grep -q "in use" "$tmp/start2.out"
check "and the retry count starts afresh" [ "${dovecot_start_tries:-0}" -eq 0 ]
tap_done

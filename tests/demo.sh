#!/bin/sh
# demo.sh - `make demo`: the IMAP listener end to end on this machine.
# Starts a throwaway Dovecot on 127.0.0.1 with a test CA, loads the sample mail
# into INBOX, Lists/mdsp, Lists/ccadb and Bugzilla, runs `cpr-intake run` against
# it, delivers one more report while the daemon idles, prints the cases, the
# deadlines and a redacted draft, and stops everything it started.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CPR_INTAKE_BIN:-$top/bin/cpr-intake}
. "$top/tests/dovecot.sh"
[ -x "$bin" ] || { echo "demo: $bin is missing; run make first" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/cpr-demo.XXXXXX")
chmod 755 "$T"
daemon=""
cleanup() {
    if [ -n "$daemon" ]; then kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; fi
    dovecot_stop "$T/dovecot"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

say() { printf '\n=== %s\n' "$*"; }
imapctl() { python3 "$top/tests/fixtures/imap/imapctl.py" "$T/dovecot/env" "$@"; }
cli() { "$bin" --config "$T/cpr-intake.conf" "$@"; }
count() { sqlite3 -batch -noheader -cmd ".timeout 5000" "$T/cpr-intake.db" "SELECT count(*) FROM messages" 2>/dev/null || echo 0; }

say "Starting Dovecot on 127.0.0.1 (test CA, TLS required)"
dovecot_start "$T/dovecot" || exit 1
. "$T/dovecot/env"

say "Loading the sample mail (received two hours ago, while no daemon was running)"
when=$(($(date +%s) - 7200))
n=0
for f in "$top"/tests/fixtures/samples/*.eml; do
    case "$(basename "$f")" in
    007-*) folder=Lists/mdsp ;;
    008-*) folder=Lists/ccadb ;;
    009-*) folder=Bugzilla ;;
    *) folder=INBOX ;;
    esac
    imapctl append "$folder" --date "$when" "$f" || exit 1
    echo "  $folder <- $(basename "$f")"
    n=$((n + 1))
done

say "Writing the configuration from conf/cpr-intake.conf"
sed -e "s|^url=.*|url=imaps://127.0.0.1:$IMAPS_PORT|" \
    -e "s|^user=.*|user=$IMAP_USER|" \
    -e "s|^password_file=.*|password_file=$IMAP_PASSWORD_FILE|" \
    -e "s|^#ca_file=.*|ca_file=$CA_FILE|" \
    -e "s|^#*path=.*|path=$T/cpr-intake.db|" \
    "$top/conf/cpr-intake.conf" >"$T/cpr-intake.conf"
grep -A8 '^\[imap\]' "$T/cpr-intake.conf" | sed 's/^/  /'

say "Running the daemon: cpr-intake run (log in $T/daemon.log while it runs)"
"$bin" --config "$T/cpr-intake.conf" run >"$T/daemon.log" 2>&1 &
daemon=$!
i=0
while [ "$(count)" -lt "$n" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
echo "  caught up: $(count) of $n messages stored"
# until the daemon idles (Dovecot's process title says IDLE)
i=0
while ! dovecot_idling "$DOVECOT_DIR" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

say "Delivering one more report while the daemon idles"
before=$(count)
imapctl append INBOX "$top/tests/fixtures/imap/late-report.eml" || exit 1
t0=$(date +%s%N)
i=0
while [ "$(count)" -le "$before" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
echo "  stored $((($(date +%s%N) - t0) / 1000000)) ms after the APPEND returned (Dovecot batches IDLE notices for ~0.5 s)"

say "Daemon log"
sed 's/^/  /' "$T/daemon.log"

say "cpr-intake list"
cli list
say "cpr-intake deadlines"
cli deadlines
say "Each case: its BR 4.9.1.1 reason, incident state and clocks (cpr-intake show)"
for id in $(cli list --json | python3 -c 'import json,sys; print(" ".join(str(c["case_id"]) for c in json.load(sys.stdin)))'); do
    cli show "$id" | sed -n '1p;/^reason/p;/^incident/p;/^linked/p;/^clocks/,/^events/p' | grep -v '^events' | sed 's/^/  /'
done
if "$bin" --help 2>&1 | grep -q '^ *draft'; then
    case_id=$(cli list --json | python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin) if x.get("kind")=="cpr"]; print(c[-1]["case_id"] if c else "")')
    if [ -n "$case_id" ]; then
        say "cpr-intake draft $case_id (redacted Preliminary Incident Report)"
        cli draft "$case_id"
        say "cpr-intake draft $case_id --report reporter-mail --format eml (BR 4.9.5 report to the reporter)"
        cli draft "$case_id" --report reporter-mail --format eml
    fi
fi
say "cpr-intake status"
cli status

say "Stopping the daemon (SIGTERM) and Dovecot"
kill -TERM "$daemon"
wait "$daemon"
echo "  daemon exited with status $?"
daemon=""

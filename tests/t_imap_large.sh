#!/bin/sh
# t_imap_large.sh - issue 16: large bodies over IMAP in bounded memory.
# (i) A server whose RFC822.SIZE lies (tests/hostile_imap_server.py
# imaps-sizes): a 2.3 MB message announced as 300 bytes, a 1 KB one announced
# as 5 MB, one announced 100 bytes short. Every body is fetched by
# BODY.PEEK[]<offset.length> ranges of at most 1 MB; each message is stored
# byte for byte, its true length being what arrived, and the mismatch is
# logged. (ii) A 30 MB report on a real Dovecot, fetched by the release
# build: peak RSS (getrusage(RUSAGE_CHILDREN)) under 64 MB, bytes equal.
. "$(dirname "$0")/fixtures/imap/lib.sh"

C="$T/c.conf"
DB="$T/store.db"
IMAP_USER=cpr
IMAP_PASSWORD_FILE="$T/imap.secret"
echo "large-test-password-$$" >"$IMAP_PASSWORD_FILE"
chmod 600 "$IMAP_PASSWORD_FILE"
mkdir -p "$T/certs"
dovecot_make_certs "$T/certs" localhost 127.0.0.1 || { echo "Bail out! certtool failed"; exit 1; }

# --- (i) sizes that lie ---
HLOG="$T/sizes.log"
python3 "$CPR_TOP/tests/hostile_imap_server.py" imaps-sizes "$T/sizes.port" "$HLOG" \
    "$T/certs/server.pem" "$T/certs/server.key" &
DAEMON_PIDS="$DAEMON_PIDS $!"
wait_until 5 test -s "$T/sizes.port" || { echo "Bail out! hostile server did not start"; exit 1; }
imap_config "$C" "imaps://127.0.0.1:$(cat "$T/sizes.port")" "INBOX" "ca_file=$T/certs/ca.pem"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/sizes.run.log" 2>&1
check "lying sizes: run --once exits 0" [ $? -eq 0 ]
grep -q "Sanitizer\|runtime error" "$T/sizes.run.log" && diag "$T/sizes.run.log"
check "lying sizes: all four messages stored" \
    [ "$(sql "$DB" "SELECT count(*) FROM messages WHERE message_id LIKE 'size-%'")" = 4 ]
same=0
for uid in 1 2 3 4; do
    rm -f "$T/got.eml"
    sql "$DB" "SELECT writefile('$T/got.eml', r.raw) FROM messages m JOIN message_raw r
               ON r.message_row = m.id WHERE m.message_id = 'size-$uid@reporter.example'" >/dev/null
    cmp -s "$HLOG.uid$uid.eml" "$T/got.eml" && same=$((same + 1))
done
check "lying sizes: each stored byte for byte, whatever its announced size" [ "$same" = 4 ]
check "lying sizes: the mismatches are logged (uids 1, 2, 4), not the honest one" sh -c "
    grep -q 'event=size_mismatch folder=INBOX uid=1 announced=300 received=2340132' '$T/sizes.run.log' &&
    grep -q 'event=size_mismatch folder=INBOX uid=2 announced=5000000 received=1172' '$T/sizes.run.log' &&
    grep -q 'event=size_mismatch folder=INBOX uid=4 announced=656 received=756' '$T/sizes.run.log' &&
    ! grep -q 'event=size_mismatch folder=INBOX uid=3' '$T/sizes.run.log'"
check "lying sizes: every body asked for as a range of at most 1 MB" python3 - "$HLOG" <<'PY'
import re, sys
bodies = [l for l in open(sys.argv[1]) if l.startswith("fetch:") and "BODY.PEEK[]" in l.upper()]
ranges = [re.search(r"BODY\.PEEK\[\]<(\d+)\.(\d+)>", l, re.I) for l in bodies]
assert bodies and all(ranges), bodies
assert max(int(r.group(2)) for r in ranges) <= 1048576, ranges
# the 2.3 MB message came in several ranges, continuing where the batch left it
assert len([r for r in ranges if int(r.group(1)) > 0]) >= 2, bodies
PY
check "lying sizes: all four marked on the server" python3 - "$HLOG" <<'PY'
import re, sys
marked = set()
for l in open(sys.argv[1]):
    m = re.search(r"UID STORE ([0-9:,]+) \+FLAGS", l)
    for part in (m.group(1).split(",") if m else []):
        lo, _, hi = part.partition(":")
        marked.update(range(int(lo), int(hi or lo) + 1))
assert marked == {1, 2, 3, 4}, marked
PY
kill $(echo "$DAEMON_PIDS" | awk '{print $NF}') 2>/dev/null

# --- (ii) 30 MB on Dovecot, release build, peak RSS ---
imap_server dv
python3 "$CPR_TOP/tests/large_message.py" "$T/large.eml" 30
imapctl append INBOX "$T/large.eml" >/dev/null || { echo "Bail out! APPEND failed"; exit 1; }
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE"
set -- $(python3 "$CPR_TOP/tests/peak_rss.py" "$T/large.run.log" \
    "$CPR_TOP/bin/cpr-intake" --config "$C" --db "$T/large.db" run --once)
rss=$1 rc=$2
echo "# IMAP intake of $(wc -c <"$T/large.eml") bytes: peak RSS $((rss / 1024)) MB, exit $rc"
check "30 MB over IMAP: run --once exits 0" [ "$rc" -eq 0 ]
check "30 MB over IMAP: peak RSS $((rss / 1024)) MB under 64 MB" \
    test "$rss" -gt 0 -a "$rss" -lt $((64 * 1024))
sql "$T/large.db" "SELECT writefile('$T/large.got', raw) FROM message_raw" >/dev/null
check "30 MB over IMAP: stored byte for byte" cmp -s "$T/large.eml" "$T/large.got"
check "30 MB over IMAP: fetched in 1 MB ranges" \
    grep -q "event=ranged_fetch folder=INBOX uid=1 bytes=$(wc -c <"$T/large.eml") ranges=31" \
    "$T/large.run.log"
tap_done

#!/bin/sh
# t_imap_flaky.sh - issue 17 item 5: a flaky link still makes progress. A
# loopback proxy (tests/cut_proxy.py) in front of the test Dovecot cuts every
# connection after 600 KB. Behind it: 30 reports of about 40 KB (a batch of
# them is more than 600 KB) and three larger than 600 KB (0.7, 1.3 and 2 MB).
# run --once is repeated until every message is stored, at most three times:
# a batch cut mid-transfer is retried smaller, a large message resumes by
# partial ranges where the cut left it, and every message is stored byte for
# byte and marked on the server.
. "$(dirname "$0")/fixtures/imap/lib.sh"

imap_server dv
mkdir -p "$T/mail"
python3 - "$T/mail" <<'PY'
import os, sys
def mail(name, kb):
    head = ("From: Flaky Reporter <%s@reporter.example>\r\nTo: problems@acmetrust.test\r\n"
            "Subject: Certificate problem report %s\r\nMessage-ID: <%s@reporter.example>\r\n"
            "\r\nThe certificate for host.%s.example is used for phishing.\r\n" % ((name,) * 4))
    lines, i = [], 0
    while len(head) + 60 * len(lines) < kb * 1024:
        lines.append("%-8s padding line %08d, to make this report long enough.\r\n" % (name[:8], i))
        i += 1
    with open(os.path.join(sys.argv[1], name + ".eml"), "wb") as f:
        f.write((head + "".join(lines)).encode())
for i in range(30):
    mail("small%02d" % i, 40)
for name, kb in (("large-a", 700), ("large-b", 1300), ("large-c", 2000)):
    mail(name, kb)
PY
m="$T/mail"
imapctl append INBOX "$m"/small0?.eml "$m"/small1[0-4].eml "$m/large-a.eml" \
    "$m"/small1[5-9].eml "$m"/small2[0-4].eml "$m/large-b.eml" "$m"/small2[5-9].eml \
    "$m/large-c.eml" || { echo "Bail out! APPEND failed"; exit 1; }
total=$(ls "$m" | wc -l)

PLOG="$T/proxy.log"
# TLS passes through untouched; only the server's bytes are counted
python3 "$CPR_TOP/tests/cut_proxy.py" "$T/proxy.port" "$PLOG" --upstream "127.0.0.1:$IMAPS_PORT" \
    --cut-after-bytes $((600 * 1024)) &
DAEMON_PIDS="$DAEMON_PIDS $!"
wait_until 5 test -s "$T/proxy.port" || { echo "Bail out! proxy did not start"; exit 1; }
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$(cat "$T/proxy.port")" "INBOX" "ca_file=$CA_FILE"

stored() { sql "$DB" "SELECT count(*) FROM messages" 2>/dev/null || echo 0; }
runs=0
while [ "$(stored)" -lt "$total" ] && [ "$runs" -lt 3 ]; do
    runs=$((runs + 1))
    "$CPR_INTAKE" --config "$C" --db "$DB" run --once >>"$T/run.log" 2>&1
    echo "# run $runs: exit $?, $(stored) of $total stored"
done
check "every message stored within $runs run(s) of run --once (at most 3)" \
    [ "$(stored)" -eq "$total" ]
check "the proxy cut connections after 600 KB" \
    [ "$(grep -c "after-bytes: $((600 * 1024))$" "$PLOG")" -ge 3 ]
check "a transfer cut made the fetches smaller" grep -q "event=fetch_smaller" "$T/run.log"
check "a large message resumed where the cut left it" grep -q "event=fetch_resumed offset=" "$T/run.log"
same=0
for f in "$m"/*.eml; do
    id=$(basename "$f" .eml)
    rm -f "$T/got.eml"
    sql "$DB" "SELECT writefile('$T/got.eml', r.raw) FROM messages m JOIN message_raw r
               ON r.message_row = m.id WHERE m.message_id = '$id@reporter.example'" >/dev/null
    cmp -s "$f" "$T/got.eml" && same=$((same + 1))
done
check "each message stored byte for byte ($same of $total)" [ "$same" -eq "$total" ]
check "each message marked on the server" [ "$(imapctl keyword INBOX '$CprIntake')" -eq "$total" ]
check "no sanitizer report" sh -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' '$T/run.log'"
echo "# $(grep -c '^open ' "$PLOG") connections through the proxy"
tap_done

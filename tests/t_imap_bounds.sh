#!/bin/sh
# A message larger than bounds.max_message_bytes (40 MB) is never fetched whole:
# its first bytes are stored and quarantined, it stays unmarked on the server for
# a person, and the message behind it is ingested normally.
. "$(dirname "$0")/fixtures/imap/lib.sh"

imap_server dv
python3 - "$DOVECOT_DIR/env" "$CPR_FIXTURES/imap/imapctl.py" <<'PY' || { echo "Bail out! APPEND failed"; exit 1; }
import importlib.util, sys
spec = importlib.util.spec_from_file_location("imapctl", sys.argv[2])
ctl = importlib.util.module_from_spec(spec); spec.loader.exec_module(ctl)
m = ctl.connect(ctl.load_env(sys.argv[1]))
head = (b"From: a@example.org\r\nTo: problems@acmetrust.test\r\nSubject: huge\r\n"
        b"Message-ID: <huge@example.org>\r\n\r\n")
m.append("INBOX", None, None, head + (b"x" * 998 + b"\r\n") * 42000)
m.append("INBOX", None, None, ctl.synthetic("behind", 0, 1767225600))
m.logout()
PY
C="$T/c.conf"
DB="$T/store.db"
imap_config "$C" "imaps://127.0.0.1:$IMAPS_PORT" "INBOX" "ca_file=$CA_FILE"
"$CPR_INTAKE" --config "$C" --db "$DB" run --once >"$T/run.log" 2>&1
check "run --once exits 0" [ $? -eq 0 ]
check "oversized message logged" grep -q "event=message_too_large folder=INBOX uid=1" "$T/run.log"
check "oversized message stored truncated to the limit + 1 and quarantined" \
    [ "$(sql "$DB" "SELECT size || '/' || quarantined FROM messages WHERE message_id = 'huge@example.org'")" = "41943041/1" ]
check "the message behind it is ingested" \
    [ "$(sql "$DB" "SELECT count(*) FROM messages WHERE message_id = 'behind-0@test.example.org'")" = 1 ]
check "oversized message left unmarked on the server" [ "$(imapctl keyword INBOX '$CprIntake')" = 1 ]
check "last UID past both" [ "$(sql "$DB" "SELECT last_uid FROM folders WHERE folder = 'INBOX'")" = 2 ]
tap_done

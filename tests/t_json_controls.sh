#!/bin/sh
# t_json_controls.sh - every control character (0x00-0x1F, 0x7F) in a subject,
# a note or a name still gives valid JSON: `show --json`, `audit export
# --format json`, and the webhook and PagerDuty page bodies, each parsed by
# python3's strict json module. json-glib 1.6.6 writes 0x1F and 0x7F raw
# (issue 14, finding 1).
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" a; rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
export CPR_INTAKE_NOW=1749000000 # 2025-06-04T01:20:00Z

hp=$(http_sink_start "$tmp" a)
( umask 077; echo "pd-routing-key-controls" >"$tmp/pd.key" )
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[notify.hook]
type=webhook
url=http://127.0.0.1:$hp/hook
[notify.pd]
type=pagerduty
url=http://127.0.0.1:$hp/pd
routing_key_file=$tmp/pd.key
EOT
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }

# Every control character but NUL as raw bytes (argv cannot carry NUL), and
# all of them, NUL included, as a Q-encoded subject.
ctl=$(python3 -c 'import sys; sys.stdout.write("<" + "".join(map(chr, list(range(1, 32)) + [127])) + ">")')
q=$(python3 -c 'print("".join("=%02X" % c for c in list(range(0, 32)) + [127]))')
cat >"$tmp/ctl.eml" <<EOT
Received: from mx.acmetrust.test by imap.acmetrust.test; Wed, 04 Jun 2025 00:10:00 +0000
Date: Wed, 04 Jun 2025 00:09:00 +0000
Message-ID: <controls-1@reporter.example>
From: Quill Ashdown <quill@reporter.example>
To: problems@acmetrust.test
Subject: =?UTF-8?Q?key_compromise_ctl${q}end?=
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The private key of the certificate for shop.tern-gallery.test was published.
Serial 0a:1b:2c:3d:4e:5f:60:71. Please revoke it.
EOT

cpr ingest "$tmp/ctl.eml" >"$tmp/ingest.json" 2>"$tmp/ingest.err"
check "ingest of the message with control characters" [ -s "$tmp/ingest.json" ]
cpr event 1 note --note "$ctl" >/dev/null 2>"$tmp/event.err"
check "event note with every control character recorded" [ $? -eq 0 ]
cpr event 1 acknowledged --by "$ctl" >/dev/null 2>>"$tmp/event.err"
check "event acknowledged by a name with every control character" [ $? -eq 0 ]
cpr notify-run --once >"$tmp/notify.out" 2>"$tmp/notify.err"

# python3 json.loads is strict: a raw control character inside a string fails.
valid_json() { # FILE WHAT-MUST-BE-IN-IT(python expr over d and ctl)
    python3 - "$1" "$2" "$ctl" <<'PY'
import json, sys
path, expr, ctl = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.loads(open(path, encoding="utf-8").read())
assert eval(expr), (expr, d)
PY
}
cpr show 1 --json >"$tmp/show.json"
check "show --json is valid JSON carrying the note's control characters" \
    valid_json "$tmp/show.json" 'any(e["type"] == "note" and json.loads(e["details"])["note"] == ctl for e in d["events"])'
check "show --json keeps the subject's control characters in the title" \
    valid_json "$tmp/show.json" '"\x1e\x1f\x7fend" in d["title"] and any(e["actor"] == ctl for e in d["events"])'
check "show --json writes 0x1F as \\u001f" grep -q '\\u001f' "$tmp/show.json"
cpr audit export --format json >"$tmp/export.json"
check "audit export --format json is valid JSON with the note" \
    valid_json "$tmp/export.json" 'any(e["type"] == "note" and e["details"]["note"] == ctl for e in d) and any(e["actor"] == ctl for e in d)'
python3 - "$tmp/a.log" "$tmp" <<'PY'
import json, sys
log, tmp = sys.argv[1:3]
n = {}
for line in open(log):
    r = json.loads(line)
    n[r["path"]] = n.get(r["path"], 0) + 1
    open("%s/body%s-%d.json" % (tmp, r["path"].replace("/", "-"), n[r["path"]]), "w").write(r["body"])
PY
check "the webhook got the new-case page" [ -s "$tmp/body-hook-1.json" ]
check "webhook page body is valid JSON with the subject's control characters" \
    valid_json "$tmp/body-hook-1.json" '"\x1f\x7fend" in d["title"]'
check "PagerDuty trigger body is valid JSON with the subject's control characters" \
    valid_json "$tmp/body-pd-1.json" '"\x1f\x7fend" in d["payload"]["custom_details"]["title"]'
check "webhook acknowledge body is valid JSON with the name's control characters" \
    valid_json "$tmp/body-hook-2.json" 'd["by"] == ctl'
check "PagerDuty acknowledge body is valid JSON" \
    valid_json "$tmp/body-pd-2.json" 'd["event_action"] == "acknowledge"'
tap_done

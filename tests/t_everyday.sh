#!/bin/sh
# t_everyday.sh - the everyday commands as operators use them (issue 18):
# read-only commands read no secret file and never create a database (exit 3;
# status answers "down": the daemon never ran); what is created is 0600; consent keeps every
# grant and revocation (also across the schema upgrade); quarantined mail is
# listed, shown and exported without SQL; show gives subject, senders, notes
# and lateness; list sorts and marks what is overdue, in colour only on a
# terminal without NO_COLOR.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1750000000 # 2025-06-15T15:06:40Z
unset NO_COLOR
db="$tmp/cases.db"
q() { sqlite3 "$db" "$1"; }

# A configuration whose secret files a read-only command must not touch: one
# group-readable (refused when checked), the others missing.
printf 'hunter2\n' >"$tmp/imap.secret"
chmod 644 "$tmp/imap.secret"
conf="$tmp/cpr.conf"
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT

[imap]
url=imaps://127.0.0.1:1
user=cpr
password_file=$tmp/imap.secret

[bugzilla]
url=https://127.0.0.1:1
api_key_file=$tmp/missing/bugzilla.key

[notify.pd]
type=pagerduty
routing_key_file=$tmp/missing/pagerduty.key

[drafts]
template_dir=$CPR_TOP/conf/templates
EOT
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }

# --- a missing database is an error, never created by looking ---
for cmd in "list" "show 1" "deadlines" "audit verify" "audit export" "audit report" \
    "consent list" "quarantine list" "draft 1" "event 1 note"; do
    # shellcheck disable=SC2086
    cpr $cmd >/dev/null 2>"$tmp/err"
    rc=$?
    check "$cmd on a missing database: exit 3, nothing created" \
        sh -c "[ $rc -eq 3 ] && [ ! -e '$db' ] && grep -q '$db' '$tmp/err'"
done
cpr status --json >"$tmp/status.json" 2>/dev/null
rc=$?
check "status without a database: down (never ran), exit 2, nothing created" sh -c "
    [ $rc -eq 2 ] && [ ! -e '$db' ] && grep -q '\"state\" : \"down\"' '$tmp/status.json'"

# --- created 0600 ---
(umask 022 && cpr ingest "$samples"/*.eml >/dev/null 2>"$tmp/ingest.err")
check "ingest creates the database 0600 (umask 022)" [ "$(stat -c %a "$db")" = 600 ]

# --- read-only commands read no secret file ---
cpr status >/dev/null 2>"$tmp/err"
rc=$?
check "status reads no secret file (its monitoring verdict, no error)" sh -c "
    [ $rc -le 2 ] && ! grep -q secret '$tmp/err'"
for cmd in "list" "list --json" "show 1" "show 1 --json" "deadlines" "audit verify" \
    "audit export" "audit report" "consent list" "quarantine list" "draft 1"; do
    # shellcheck disable=SC2086
    cpr $cmd >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || sed 's/^/# /' "$tmp/err"
    check "$cmd reads no secret file (exit 0)" [ $rc -eq 0 ]
done
cpr run --once >/dev/null 2>"$tmp/err"
check "run checks its secrets first: exit 2 naming the file" sh -c "
    [ $? -eq 2 ] && grep -q 'password_file: .*accessible by group or others' '$tmp/err'"
cpr notify-run --once >/dev/null 2>"$tmp/err"
check "notify-run checks its secrets: exit 2" sh -c "[ $? -eq 2 ] && grep -q 'secret file' '$tmp/err'"
cpr file 1 >/dev/null 2>"$tmp/err"
check "file checks its secrets: exit 2" sh -c "[ $? -eq 2 ] && grep -q 'secret file' '$tmp/err'"

# --- consent keeps its history ---
cpr consent grant Rafferty@tidepool-sec.example --name "R. N.-B." --evidence "mail of 2025-05-13" >/dev/null
cpr consent grant rafferty@tidepool-sec.example --name "Rafferty Nakagawa-Bell" --evidence "call on 2025-06-01" >/dev/null
cpr consent revoke rafferty@tidepool-sec.example --by compliance >/dev/null
cpr consent grant rafferty@tidepool-sec.example --evidence "ticket 7" >/dev/null
cpr consent list --all --json >"$tmp/hist.json"
check "consent list --all --json: every grant and revocation, with evidence" python3 - "$tmp/hist.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
got = [(r["action"], r["evidence"], r["name"]) for r in h]
assert got == [("grant", "mail of 2025-05-13", "R. N.-B."),
               ("grant", "call on 2025-06-01", "Rafferty Nakagawa-Bell"),
               ("revoke", None, None), ("grant", "ticket 7", None)], got
assert all(r["email"] == "rafferty@tidepool-sec.example" for r in h)
assert h[2]["by"] == "compliance" and h[0]["by"], h
assert all(r["at"] == "2025-06-15T15:06:40Z" for r in h)
PY
cpr consent list --all >"$tmp/hist.txt"
check "consent list --all (text) shows the first evidence" grep -q "grant .*mail of 2025-05-13" "$tmp/hist.txt"
cpr consent list --json >"$tmp/cur.json"
check "consent list: the current state only" python3 -c "
import json; c = json.load(open('$tmp/cur.json'))
assert len(c) == 1 and c[0]['evidence'] == 'ticket 7' and c[0]['active'], c"

# the upgrade from schema 2 carries the old rows over
cp "$CPR_FIXTURES/migration/v2.db" "$tmp/v2.db"
sqlite3 "$tmp/v2.db" "INSERT INTO consent VALUES ('ana@reporter.example', 'Ana', 'old mail', 1700000000, NULL);
    INSERT INTO consent VALUES ('bo@reporter.example', NULL, 'older mail', 1690000000, 1695000000);"
"$bin" --config "$conf" --db "$tmp/v2.db" consent list --all --json >"$tmp/v2.json" 2>"$tmp/err"
check "a schema-2 database: consent rows become history" python3 - "$tmp/v2.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
got = [(r["email"], r["action"], r["evidence"], r["at"], r["by"]) for r in h]
assert got == [("ana@reporter.example", "grant", "old mail", "2023-11-14T22:13:20Z", None),
               ("bo@reporter.example", "grant", "older mail", "2023-07-22T04:26:40Z", None),
               ("bo@reporter.example", "revoke", None, "2023-09-18T01:20:00Z", None)], got
PY
check "the upgraded database is at the current schema" \
    [ "$(sqlite3 "$tmp/v2.db" 'PRAGMA user_version')" = "$(sqlite3 "$db" 'PRAGMA user_version')" ]
"$bin" --config "$conf" --db "$tmp/v2.db" consent grant ana@reporter.example --evidence "new call" >/dev/null
check "a grant after the upgrade keeps the old evidence" [ "$(sqlite3 "$tmp/v2.db" \
    "SELECT group_concat(evidence, '|') FROM consent_history WHERE email = 'ana@reporter.example' ORDER BY id")" = "old mail|new call" ]

# --- quarantine list|show|export ---
printf 'this is not a mail message\nonly words\n' >"$tmp/junk.eml"
cpr ingest "$tmp/junk.eml" >/dev/null 2>&1
qid=$(q "SELECT id FROM messages WHERE quarantined = 1 AND source LIKE '%junk.eml'")
cpr quarantine list >"$tmp/ql.txt"
check "quarantine list names the message and its problem" grep -q "^$qid .*junk.eml .*not a mail message" "$tmp/ql.txt"
cpr quarantine list --json >"$tmp/ql.json"
check "quarantine list --json" python3 -c "
import json; l = json.load(open('$tmp/ql.json'))
m = [x for x in l if x['id'] == $qid][0]
assert m['source'].endswith('junk.eml') and m['parse_problems'] and m['size'] == $(wc -c <"$tmp/junk.eml"), m"
cpr quarantine show "$qid" --json >"$tmp/qs.json"
check "quarantine show --json" python3 -c "
import json; m = json.load(open('$tmp/qs.json')); assert m['id'] == $qid and m['sha256'], m"
cpr quarantine show "$qid" | grep -q "^problems: .*not a mail message"
check "quarantine show (text)" [ $? -eq 0 ]
cpr quarantine export "$qid" >"$tmp/exp.eml"
check "quarantine export: the raw bytes to stdout" cmp -s "$tmp/exp.eml" "$tmp/junk.eml"
(umask 022 && cpr quarantine export "$qid" --output "$tmp/exp2.eml")
check "quarantine export --output: the same bytes, mode 0600" sh -c "
    cmp -s '$tmp/exp2.eml' '$tmp/junk.eml' && [ \$(stat -c %a '$tmp/exp2.eml') = 600 ]"
cpr quarantine export "$qid" --output "$tmp/exp2.eml" 2>/dev/null
check "quarantine export never overwrites a file" [ $? -eq 1 ]
cpr quarantine show 1 >/dev/null 2>&1
check "quarantine show of a message not quarantined: exit 1" [ $? -eq 1 ]
cpr quarantine show x >/dev/null 2>&1
check "quarantine show with a bad id: exit 2" [ $? -eq 2 ]

# --- show: subject, senders, notes, lateness ---
# case 1: the preliminary report sent 3 h after its due time (met_late)
due=$(q "SELECT due_at FROM clocks WHERE case_id = 1 AND clock = 'cpr_preliminary_report'")
at=$(date -u -d "@$((due + 10800))" +%Y-%m-%dT%H:%M:%SZ)
cpr event 1 preliminary_report_sent --at "$at" --note "sent to the reporter by mail" >/dev/null
cpr show 1 --json >"$tmp/show.json"
check "show --json: subject, from, note, late_seconds" python3 - "$tmp/show.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
m = s["messages"][0]
assert m["subject"].startswith("Certificate problem report"), m
assert m["from"] == "Rafferty Nakagawa-Bell <rafferty@tidepool-sec.example>", m
assert "reply_to" in m
notes = [e["note"] for e in s["events"] if e["type"] == "preliminary_report_sent"]
assert notes == ["sent to the reporter by mail"], notes
c = {k["clock"]: k for k in s["clocks"]}
assert c["cpr_preliminary_report"]["status"] == "met_late", c
assert c["cpr_preliminary_report"]["late_seconds"] == 10800, c
assert c["revocation"]["status"] == "missed" and c["revocation"]["late_seconds"] > 0, c
PY
cpr show 1 >"$tmp/show.txt"
check "show (text): subject, sender, note and how late" sh -c "
    grep -q '^subject   Certificate problem report' '$tmp/show.txt' &&
    grep -q 'from: Rafferty Nakagawa-Bell <rafferty@tidepool-sec.example>' '$tmp/show.txt' &&
    grep -q 'note: sent to the reporter by mail' '$tmp/show.txt' &&
    grep -q 'cpr_preliminary_report .* met_late .*(late 3h 0m)' '$tmp/show.txt'"
rt=$(grep -l '^Reply-To:' "$samples"/*.eml | head -1)
if [ -n "$rt" ]; then
    rc_id=$(q "SELECT case_id FROM messages WHERE source = '$rt'")
    cpr show "$rc_id" --json | grep -q '"reply_to" : "[^"]'
    check "show --json gives Reply-To when the mail has one" [ $? -eq 0 ]
fi

# --- list: --sort, overdue marked, colour only on a terminal ---
for e in subscriber_notified revoked; do cpr event 1 "$e" >/dev/null; done
cpr list --sort deadline --json >"$tmp/ld.json"
cpr list --json >"$tmp/la.json"
check "list --sort deadline: soonest next deadline first, none last" python3 - "$tmp/ld.json" "$tmp/la.json" <<'PY'
import json, sys
d, a = (json.load(open(p)) for p in sys.argv[1:3])
dues = [c["next_deadline"]["due_at"] for c in d if c["next_deadline"]]
assert dues == sorted(dues), dues
assert d[-1]["next_deadline"] is None and d[-1]["case_id"] == 1, d[-1]
assert [c["case_id"] for c in a][0] == 1            # by aware_at, case 1 is first
assert all(c["overdue"] == (c["next_deadline"] is not None and c["next_deadline"]["status"] == "missed") for c in d)
assert any(c["overdue"] for c in d)
PY
cpr list --sort reference | awk 'NR > 1 { print $2 }' >"$tmp/refs"
check "list --sort reference" sh -c "sort -c '$tmp/refs'"
cpr list --sort colour >/dev/null 2>&1
check "list --sort with an unknown key: exit 2" [ $? -eq 2 ]
cpr list >"$tmp/plain.txt"
check "list marks overdue deadlines; no colour when piped" sh -c "
    grep -q '(MISSED)' '$tmp/plain.txt' && ! grep -q \"\$(printf '\\033')\" '$tmp/plain.txt'"
script -qec "'$bin' --config '$conf' --db '$db' list" /dev/null >"$tmp/tty.txt" 2>&1
check "list on a terminal: overdue rows in colour" grep -q "$(printf '\033')\[1;31m" "$tmp/tty.txt"
NO_COLOR=1 script -qec "'$bin' --config '$conf' --db '$db' list" /dev/null >"$tmp/nocolor.txt" 2>&1
check "list on a terminal with NO_COLOR: no colour" sh -c "
    grep -q '(MISSED)' '$tmp/nocolor.txt' && ! grep -q \"\$(printf '\\033')\" '$tmp/nocolor.txt'"
tap_done

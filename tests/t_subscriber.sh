#!/bin/sh
# t_subscriber.sh - the Subscriber's address from a Subscriber's own report
# (issue 12, SPEC 2.5): taken at intake only when the rule of selfreport.h
# holds, audited with its provenance, overridden by `case subscriber`; never
# from a third party. Certificate types in drafts from the policy OIDs; a
# database of schema version 7 upgraded.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
fx="$CPR_FIXTURES/subscriber"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap "rm -rf $tmp" EXIT
export CPR_INTAKE_NOW=1795421000   # 2026-11-23T09:23:20Z
db="$tmp/cases.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
case_of() { q "SELECT case_id FROM messages WHERE source LIKE '%/$1'"; }

cpr ingest "$fx/own-report.eml" >/dev/null 2>"$tmp/err"
own=$(case_of own-report.eml)
check "the Subscriber's own report opens a case" [ -n "$own" ]
check "its sender is recorded as the Subscriber, from the report" \
    [ "$(q "SELECT email || '|' || name || '|' || source || '|' || (message_row IS NOT NULL) FROM case_subscribers WHERE case_id = $own")" = 'security@brightwater-kiln.example|Mirela Okonkwo-Strand|report|1' ]
check "audited with its provenance: source, message, domain and the words" python3 - "$db" "$own" <<'PY'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT actor, details FROM events WHERE case_id = ? AND type = 'subscriber_recorded'",
                   (sys.argv[2],)).fetchall()
assert len(rows) == 1, rows
actor, d = rows[0][0], json.loads(rows[0][1])
assert actor == 'intake' and d['source'] == 'report' and d['email'] == 'security@brightwater-kiln.example', d
assert d['domain'] == 'brightwater-kiln.example' and d['phrase'].lower().startswith('revoke our'), d
row = con.execute("SELECT id FROM messages WHERE case_id = ?", (sys.argv[2],)).fetchone()[0]
assert d['message_row'] == str(row), (d, row)
PY

cpr draft "$own" --report subscriber-mail --format eml >"$tmp/s.eml" 2>"$tmp/err"
check "the subscriber mail is drafted, addressed to the Subscriber who reported it" python3 - "$tmp/s.eml" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
assert [a.addr_spec for a in m['To'].addresses] == ['security@brightwater-kiln.example'], m['To']
assert m['To'].addresses[0].display_name == 'Mirela Okonkwo-Strand', m['To']
body = m.get_content()
assert body.startswith('Dear Mirela Okonkwo-Strand,'), body[:60]
assert '4c1a7e2b9d03f6a5' in body and 'f29aff6723a6e612a363e926e5f8b8cc97043bb0180503353d6aa7deda7797e5' in body
assert 'DV TLS' in body, body
PY

# --- certificate types from the policy OIDs, never from O= ---
cpr draft "$own" --report full >"$tmp/full.md" 2>"$tmp/err"
check "the Full report gives the type from the policy OIDs" sh -c "
    grep -q '^- \*\*Certificate types (from the certificates. policy OIDs):\*\* DV TLS: 1$' '$tmp/full.md' &&
    grep -q '^  - Serial \`4c1a7e2b9d03f6a5\`: DV TLS, issued by CN=AcmeTrust TLS RSA CA 2024' '$tmp/full.md'"
cpr draft "$own" >"$tmp/pre.md" 2>"$tmp/err"
check "the preliminary report gives it next to the certificate" \
    grep -q 'Serial `4c1a7e2b9d03f6a5`, SHA-256 `f29aff67[0-9a-f]*`, type DV TLS: https://crt.sh/?sha256=f29aff67' "$tmp/pre.md"
check "the report names no Subscriber: they did not consent" \
    sh -c "! grep -qiE 'Okonkwo|Mirela|security@' '$tmp/pre.md' '$tmp/full.md'"

# certificates of other types, and one with only the CA's own policy: said so
mk() { # mk FILE MSGID CERT...
    out=$1 id=$2; shift 2
    { printf 'From: Oriel Fenwick <oriel@fenwick-lab.test>\nTo: problems@acmetrust.test\n'
      printf 'Subject: misissued certificates\nMessage-ID: <%s@fenwick-lab.test>\nMIME-Version: 1.0\n' "$id"
      printf 'Content-Type: text/plain; charset=utf-8\n\nThese certificates were misissued:\n\n'
      for c in "$@"; do cat "$CPR_FIXTURES/certs/$c"; echo; done; } >"$out"
}
mk "$tmp/types.eml" types policy-ov.pem policy-ev.pem policy-smime.pem policy-own.pem
cpr ingest "$tmp/types.eml" >/dev/null 2>"$tmp/err"
tc=$(q "SELECT case_id FROM messages WHERE message_id = 'types@fenwick-lab.test'")
cpr draft "$tc" --report full >"$tmp/types.md" 2>"$tmp/err"
check "each type from its OIDs; a CA's own policy only is unknown, not guessed" python3 - "$tmp/types.md" <<'PY'
import re, sys
md = open(sys.argv[1]).read()
line = re.search(r'^- \*\*Certificate types \(from .*?:\*\* (.*)$', md, re.M).group(1)
parts = dict(p.rsplit(': ', 1) for p in line.split('; '))
assert parts == {'OV TLS': '1', 'EV TLS': '1', 'S/MIME Individual-validated Strict': '1',
                 'unknown (no CA/Browser Forum policy OID)': '1'}, parts
assert 'Policy Fixture Traders' not in md and 'Policy Fixture Bank' not in md
PY

# --- no automatic Subscriber from anyone else ---
for f in third-party.eml own-report-reply-elsewhere.eml own-report-other-domain.eml own-report-no-claim.eml; do
    cpr ingest "$fx/$f" >/dev/null 2>"$tmp/err"
done
tp=$(case_of third-party.eml)
check "a third party's report about the same certificate joins the case" [ "$tp" = "$own" ]
check "and changes nothing about its Subscriber" \
    [ "$(q "SELECT count(*) || '|' || email FROM case_subscribers WHERE case_id = $own")" = '1|security@brightwater-kiln.example' ]
check "one subscriber_recorded event only" \
    [ "$(q "SELECT count(*) FROM events WHERE case_id = $own AND type = 'subscriber_recorded'")" -eq 1 ]
# each alone, on a database of its own: no Subscriber is taken
for f in third-party.eml own-report-reply-elsewhere.eml own-report-other-domain.eml own-report-no-claim.eml; do
    "$bin" --config "$conf" --db "$tmp/$f.db" ingest "$fx/$f" >/dev/null 2>"$tmp/err"
    check "$f opens a case and records no Subscriber" sh -c "
        [ \"\$(sqlite3 '$tmp/$f.db' 'SELECT count(*) FROM cases')\" -eq 1 ] &&
        [ \"\$(sqlite3 '$tmp/$f.db' 'SELECT count(*) FROM case_subscribers')\" -eq 0 ] &&
        [ \"\$(sqlite3 '$tmp/$f.db' \"SELECT count(*) FROM events WHERE type = 'subscriber_recorded'\")\" -eq 0 ]"
    "$bin" --config "$conf" --db "$tmp/$f.db" draft 1 --report subscriber-mail >"$tmp/out" 2>"$tmp/err"
    check "$f: the Subscriber mail exits 2 naming case subscriber" \
        sh -c "[ $? -eq 2 ] && grep -q 'case subscriber CPR-' '$tmp/err' && [ ! -s '$tmp/out' ]"
done

# --- case subscriber overrides, audited; a later own report does not ---
cpr case subscriber "$own" pki-admin@brightwater-kiln.example --name "Kiln PKI Desk" --by alice >/dev/null 2>"$tmp/err"
check "case subscriber replaces the address taken from the report" \
    [ "$(q "SELECT email || '|' || name || '|' || source || '|' || coalesce(message_row, 'null') FROM case_subscribers WHERE case_id = $own")" = 'pki-admin@brightwater-kiln.example|Kiln PKI Desk|set|null' ]
check "audited as set by the operator" \
    [ "$(q "SELECT actor || '|' || json_extract(details, '\$.source') FROM events WHERE case_id = $own AND type = 'subscriber_recorded' ORDER BY id DESC LIMIT 1")" = 'alice|set' ]
sed -e 's/kiln-revoke-1@/kiln-revoke-9@/' -e 's/security@brightwater/ops@brightwater/' "$fx/own-report.eml" >"$tmp/again.eml"
cpr ingest "$tmp/again.eml" >/dev/null 2>"$tmp/err"
check "a later own report leaves the operator's choice" \
    [ "$(q "SELECT email || '|' || source FROM case_subscribers WHERE case_id = $own")" = 'pki-admin@brightwater-kiln.example|set' ]
cpr draft "$own" --report subscriber-mail --format eml >"$tmp/s2.eml" 2>"$tmp/err"
check "the Subscriber mail follows the override" sh -c "
    grep -q '^To: Kiln PKI Desk <pki-admin@brightwater-kiln.example>' '$tmp/s2.eml' &&
    grep -q '^Dear Kiln PKI Desk,' '$tmp/s2.eml' && ! grep -qi 'okonkwo' '$tmp/s2.eml'"

# --- a database of schema version 7 (tests/fixtures/migration/README.md) ---
cp "$CPR_FIXTURES/migration/v7.db" "$tmp/v7.db"
v7() { "$bin" --config "$conf" --db "$tmp/v7.db" "$@"; }
v7 draft 2 --report full >"$tmp/v7full.md" 2>"$tmp/err"
check "version 7 database: upgraded to 8, its Subscriber kept" sh -c "
    [ \"\$(sqlite3 '$tmp/v7.db' 'PRAGMA user_version')\" -ge 8 ] &&
    [ \"\$(sqlite3 '$tmp/v7.db' \"SELECT email || '|' || name || '|' || coalesce(source, 'null') FROM case_subscribers WHERE case_id = 2\")\" = 'ops@example.test|Example Ops|null' ] &&
    [ \"\$(sqlite3 '$tmp/v7.db' 'SELECT count(*) FROM cases')\" -eq 8 ]"
check "a certificate stored before policies were read: its type from the stored mail" \
    grep -q 'Certificate types (from the certificates. policy OIDs):\*\* DV TLS: 1$' "$tmp/v7full.md"
check "... and nothing was written to the database for it" \
    [ "$(sqlite3 "$tmp/v7.db" 'SELECT count(*) FROM certificates WHERE policy_oids IS NULL')" -eq 1 ]
cp "$tmp/v7.db" "$tmp/v7cut.db"
sqlite3 "$tmp/v7cut.db" "UPDATE message_raw SET raw = CAST('Subject: cut' AS BLOB) WHERE message_row = (SELECT message_row FROM certificates LIMIT 1)"
"$bin" --config "$conf" --db "$tmp/v7cut.db" draft 2 --report full >"$tmp/v7cut.md" 2>"$tmp/err"
check "when the stored mail no longer gives it, the type is unknown, said so" \
    grep -q 'Certificate types (from the certificates. policy OIDs):\*\* unknown (stored before cpr-intake read certificate policies): 1' "$tmp/v7cut.md"
v7 draft 2 --report subscriber-mail >/dev/null 2>"$tmp/err"
check "its recorded Subscriber still gets the mail" [ $? -eq 0 ]
v7 ingest "$fx/own-report.eml" >/dev/null 2>"$tmp/err"
check "new intake on it stores policies and takes a Subscriber's own report" sh -c "
    [ \"\$(sqlite3 '$tmp/v7.db' \"SELECT policy_oids FROM certificates WHERE serial = '4c1a7e2b9d03f6a5'\")\" = '[\"2.23.140.1.2.1\"]' ] &&
    [ \"\$(sqlite3 '$tmp/v7.db' \"SELECT source FROM case_subscribers WHERE email = 'security@brightwater-kiln.example'\")\" = report ]"
tap_done

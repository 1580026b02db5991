#!/bin/sh
# t_classify.sh - issue 11 end to end: `classify [--explain]` on the samples
# without a database; a bad or newer rules file named by [classify] rules= is a
# start-up error naming file and line; hostile inputs (a 1 MB line of hex,
# 100,000 serial-like tokens) are stored, open their case and cap the
# identifiers with identifiers_truncated and a parse problem; show --json
# carries messages[].rules; a database of the previous schema migrates.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1794000000

# --- classify: every sample, no database touched ---
"$bin" --config "$conf" --db "$tmp/never.db" classify "$samples"/*.eml >"$tmp/cls.out" 2>"$tmp/cls.err"
check "classify exits 0 on the samples" [ $? -eq 0 ]
check "one line per sample" [ "$(grep -c ': kind=' "$tmp/cls.out")" -eq 12 ]
check "classify created no database" [ ! -e "$tmp/never.db" ]
check "classify agrees with the manifest on kind and problem" python3 -c "
import json,sys
m={e['file']:e for e in json.load(open('$samples/manifest.json'))}
for line in open('$tmp/cls.out'):
    f,rest=line.split(': ',1)
    kv=dict(x.split('=',1) for x in rest.split())
    e=m[f.rsplit('/',1)[-1]]
    assert kv['kind']==e['kind'], (f, kv, e['kind'])
    assert kv['problem']==(e['problem'] or 'null'), (f, kv, e['problem'])
    assert kv['rules'], f
"
"$bin" --config "$conf" classify --explain "$samples/001-kc-csr-proof.eml" >"$tmp/explain.out" 2>&1
check "--explain names the deciding rules and patterns" sh -c "
grep -q '^  rule kind:report' '$tmp/explain.out' &&
grep -q '^  rule kc_key_compromise: key_compromise, weight 3, BR 4.9.1.1 #3: ' '$tmp/explain.out' &&
grep -q '^  serials: 685192f131280555404e8d8fed6066dcf3a8' '$tmp/explain.out'"
"$bin" --config "$conf" classify --explain "$samples"/*.eml >"$tmp/explain-all.out" 2>&1
check "--explain on each sample prints the kind rule and a problem rule that decided it" python3 -c "
import json, re
m = {e['file']: e for e in json.load(open('$samples/manifest.json'))}
blocks = re.split(r'^(?=\S.*: kind=)', open('$tmp/explain-all.out').read(), flags=re.M)
blocks = [b for b in blocks if b.strip()]
assert len(blocks) == len(m), len(blocks)
for b in blocks:
    f = b.split(': ', 1)[0].rsplit('/', 1)[-1]
    rules = [r.rstrip(':') for r in re.findall(r'^  rule (\S+)', b, flags=re.M)]
    assert any(r.startswith('kind:') for r in rules), (f, rules)
    if m[f].get('opens_case'):
        assert len(rules) >= 2, (f, rules)
"
"$bin" --config "$conf" classify >/dev/null 2>&1
check "classify without a file is a usage error" [ $? -eq 2 ]

# --- [classify] rules=: a CA's copy; bad ones are start-up errors ---
cp "$CPR_TOP/conf/rules.conf" "$tmp/rules.conf"
{ cat "$conf"; printf '[classify]\nrules=%s\n' "$tmp/rules.conf"; } >"$tmp/own.conf"
"$bin" --config "$tmp/own.conf" classify "$samples/001-kc-csr-proof.eml" >"$tmp/own.out" 2>&1
check "a CA's own copy of the rules is used" grep -q 'kind=cpr problem=key_compromise' "$tmp/own.out"
printf '[phrase evil]\nproblem=misuse\npattern=(a+)+$\n' >>"$tmp/rules.conf"
line=$(grep -n '^pattern=(a+)+\$' "$tmp/rules.conf" | cut -d: -f1)
"$bin" --config "$tmp/own.conf" classify "$samples/001-kc-csr-proof.eml" >"$tmp/bad.out" 2>&1
rc=$?
check "a nested quantifier is a start-up error (exit 2)" [ "$rc" -eq 2 ]
check "the error names file, line and pattern" grep -qF "$tmp/rules.conf:$line: [phrase evil] pattern: pattern \"(a+)+\$\" refused" "$tmp/bad.out"
sed 's/^version=1\.0$/version=2.0/' "$CPR_TOP/conf/rules.conf" >"$tmp/rules.conf"
"$bin" --config "$tmp/own.conf" --db "$tmp/x.db" list >"$tmp/v2.out" 2>&1
check "a newer major rules version is a start-up error" sh -c "[ $? -eq 2 ] && grep -q 'version 2.0 is not supported' '$tmp/v2.out'"

# --- hostile inputs ---
python3 - "$tmp" <<'EOF'
import sys, random
tmp = sys.argv[1]
head = ("From: Flood Tester <flood@outside.example>\nTo: problems@acmetrust.test\n"
        "Subject: %s\nDate: Tue, 03 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@outside.example>\n\n")
r = random.Random(11)
with open(tmp + '/hexline.eml', 'w') as f:
    f.write(head % ('misissued certificates, serials below', 'hexline'))
    f.write('Serial: 0a0b0c0d0e0f1011\n\nSerials:\n\n' + ''.join(r.choice('0123456789abcdef') for _ in range(1 << 20)) + '\n')
with open(tmp + '/flood.eml', 'w') as f:
    f.write(head % ('misissued certificates, 100000 serials', 'flood'))
    f.write('Affected serial numbers:\n\n')
    for i in range(100000):
        f.write('%032x\n' % (0x10000000000000000000000000000000 + i))
EOF
"$bin" --config "$conf" --db "$tmp/hostile.db" ingest --json "$tmp/hexline.eml" "$tmp/flood.eml" >"$tmp/hostile.out" 2>"$tmp/hostile.err"
check "hostile messages are stored (one JSON line each)" [ "$(wc -l <"$tmp/hostile.out")" -eq 2 ]
check "the 1 MB hex line yields no identifier of its own; the report opens its case" python3 -c "
import json
o=json.loads(open('$tmp/hostile.out').readline())
assert o['serials']==['0a0b0c0d0e0f1011'] and o['sha256']==[], o['serials'][:3]
assert o['case_id'] is not None and o['identifiers_truncated'] is False, o
"
check "100,000 serials: case opens, identifiers capped, truncation recorded" python3 -c "
import json
o=json.loads(open('$tmp/hostile.out').readlines()[1])
assert o['case_id'] is not None, o['case_id']
assert o['identifiers_truncated'] is True
assert len(o['serials'])==2000, len(o['serials'])
assert any('identifiers truncated' in p for p in o['parse_problems']), o['parse_problems']
"
check "both hostile messages are in the messages table" [ "$(sqlite3 "$tmp/hostile.db" 'SELECT count(*) FROM messages')" -eq 2 ]

# --- show --json carries the rules of each message ---
"$bin" --config "$conf" --db "$tmp/show.db" ingest "$samples/001-kc-csr-proof.eml" >/dev/null 2>&1
"$bin" --config "$conf" --db "$tmp/show.db" show 1 --json >"$tmp/show.json" 2>&1
check "show --json messages[].rules" python3 -c "
import json
m=json.load(open('$tmp/show.json'))['messages'][0]
assert 'kind:report' in m['rules'] and 'kc_key_compromise' in m['rules'], m
"

# --- a database of the previous schema gains messages.rules ---
v=$(sqlite3 "$tmp/show.db" 'PRAGMA user_version')
# (issue 11's step is 5 -> 6; the later ones are undone first: 6 -> 7,
# consent history; 7 -> 8, certificate policies and the Subscriber's source;
# 8 -> 9, the raw message in its own table; 9 -> 10, the held-events index)
sqlite3 "$tmp/show.db" "DROP INDEX events_held; DROP INDEX outbox_kind_created;
    UPDATE messages SET raw = (SELECT raw FROM message_raw WHERE message_row = messages.id); DROP TABLE message_raw;
    ALTER TABLE certificates DROP COLUMN policy_oids; DROP TABLE case_subscribers;
    CREATE TABLE case_subscribers (case_id INTEGER PRIMARY KEY REFERENCES cases(id), email TEXT NOT NULL,
    name TEXT, recorded_at INTEGER NOT NULL);
    DROP TABLE consent_history; ALTER TABLE messages DROP COLUMN rules; DROP TABLE triage_reviews; PRAGMA user_version=5;"
"$bin" --config "$conf" --db "$tmp/show.db" ingest --json "$samples/003-misissuance-pem-attachment.eml" >"$tmp/mig.out" 2>&1
check "the previous schema migrates and ingest goes on" sh -c "
[ \"\$(sqlite3 '$tmp/show.db' 'PRAGMA user_version')\" -eq $v ] &&
sqlite3 '$tmp/show.db' \"SELECT rules FROM messages WHERE source LIKE '%003-%'\" | grep -q 'kind:report'"
"$bin" --config "$conf" --db "$tmp/show.db" show 1 --json >"$tmp/show2.json" 2>&1
check "old rows show an empty rules list" python3 -c "
import json
m=json.load(open('$tmp/show2.json'))['messages'][0]
assert m['rules']==[], m
"
tap_done

#!/bin/sh
# t_drafts.sh - `draft` and `consent` end to end: every sample case drafts in
# both formats without any reporter secret; consent grant names the reporter,
# revoke redacts again, both audited; the leak check fails closed with exit
# status 1 and an error naming the case, not the identifier; hostile mail
# stays inert; bad command lines are refused.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1750000000   # 2025-06-15T15:06:40Z
db="$tmp/cases.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }

cpr ingest "$samples"/*.eml >/dev/null 2>"$tmp/ingest.err"
check "samples ingested" [ "$(q 'SELECT count(*) FROM cases')" -eq 8 ]

# --- every case, both formats: no secret, every serial and fingerprint ---
for c in $(q 'SELECT id FROM cases ORDER BY id'); do
    cpr draft "$c" >"$tmp/d$c.md" 2>"$tmp/d$c.err" &&
        cpr draft "$c" --format bugzilla-json >"$tmp/d$c.json" 2>>"$tmp/d$c.err"
    check "case $c: both drafts made" [ $? -eq 0 ]
done
check "no draft holds a secret of its case; every serial and sha256 is there" python3 - "$tmp" "$samples" "$db" <<'EOF'
import json, sqlite3, sys, unicodedata, re
tmp, samples, db = sys.argv[1:4]
def fold(s):
    s = unicodedata.normalize('NFKD', s)
    s = ''.join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    return re.sub(r'[\s\-\u2010\u2011]+', ' ', s)
def word_in(hay, needle):
    return re.search(r'(?<!\w)' + re.escape(fold(needle)) + r'(?!\w)', fold(hay)) is not None
manifest = {m['file']: m for m in json.load(open(samples + '/manifest.json'))}
con = sqlite3.connect(db)
bad = []
for case_id, source in con.execute('SELECT case_id, source FROM messages WHERE case_id IS NOT NULL'):
    m = manifest[source.rsplit('/', 1)[-1]]
    md = open(f'{tmp}/d{case_id}.md', encoding='utf-8').read()
    bug = json.load(open(f'{tmp}/d{case_id}.json', encoding='utf-8'))
    texts = {'markdown': md, 'json': '\n'.join(v for v in bug.values() if isinstance(v, str))}
    for what, text in texts.items():
        for n in m['secret_names']:
            if word_in(text, n): bad.append((case_id, what, 'name', n))
        for e in m['secret_emails']:
            if fold(e) in fold(text): bad.append((case_id, what, 'email', e))
        for s in m['serials'] + m['sha256']:
            if s not in text: bad.append((case_id, what, 'missing', s))
    assert bug['description'] == md.rstrip('\n') or bug['description'] == md, case_id
if bad:
    print(bad); sys.exit(1)
EOF
check "markdown: the CCADB 3.2 headings, in order" python3 -c "
import re,sys
md=open('$tmp/d1.md').read()
h=[l for l in md.splitlines() if re.match(r'\s*#', l)]
assert h==['## Preliminary Incident Report','### Summary'], h
i=[md.index(x) for x in ('- **Incident description:**','- **Relevant policies:**','- **Source of incident disclosure:** Third Party Reported')]
assert i==sorted(i), i
"
check "bug JSON: product, component, version, type, summary" python3 -c "
import json
b=json.load(open('$tmp/d1.json'))
assert b['product']=='CA Program' and b['component']=='CA Certificate Compliance', b
assert b['version']=='other' and b['type']=='task', b
assert b['summary']=='Acme Trust Services: Key compromise reported for 1 certificate', b['summary']
assert b['whiteboard'].startswith('[ca-compliance]'), b['whiteboard']
"
check "a draft names nobody without consent" grep -q "It was reported by a community member" "$tmp/d1.md"

# --- consent ---
cpr consent grant rafferty@tidepool-sec.example --name "Rafferty Nakagawa-Bell" \
    --evidence "email of 2025-05-13 <ok-to-name@tidepool-sec.example>" >"$tmp/out" 2>&1
check "consent grant succeeds" [ $? -eq 0 ]
cpr draft 1 >"$tmp/named.md"
check "with consent the draft names the reporter" grep -q "It was reported by Rafferty Nakagawa-Bell" "$tmp/named.md"
cpr draft 1 --format bugzilla-json >"$tmp/named.json"
check "... in the bug too" grep -q "Rafferty Nakagawa-Bell" "$tmp/named.json"
cpr consent list --json >"$tmp/list.json"
check "consent list --json shows it active" python3 -c "
import json
d=json.load(open('$tmp/list.json'))
assert len(d)==1 and d[0]['email']=='rafferty@tidepool-sec.example' and d[0]['active'] is True, d
assert d[0]['revoked_at'] is None and d[0]['granted_at']=='2025-06-15T15:06:40Z', d
"
check "consent list (text) works" sh -c "'$bin' --config '$conf' --db '$db' consent list | grep -q 'rafferty@tidepool-sec.example *active'"
cpr consent revoke rafferty@tidepool-sec.example >/dev/null
check "consent revoke succeeds" [ $? -eq 0 ]
cpr draft 1 >"$tmp/again.md"
check "after revocation the reporter is redacted again" sh -c "! grep -qi 'rafferty\|nakagawa' '$tmp/again.md' && grep -q 'a community member' '$tmp/again.md'"
check "grant and revoke are audited" [ "$(q "SELECT group_concat(type) FROM events WHERE type LIKE 'consent_%' ORDER BY id")" = "consent_granted,consent_revoked" ]
cpr consent revoke rafferty@tidepool-sec.example 2>"$tmp/err"
check "revoking again is an error" sh -c "[ $? -eq 2 ] && grep -q 'no consent in force' '$tmp/err'"
cpr consent revoke nobody@nowhere.example 2>"$tmp/err"
check "revoking an unknown address is an error" [ $? -eq 2 ]
cpr consent grant someone@example.org 2>"$tmp/err"
check "grant without --evidence is refused" sh -c "[ $? -eq 2 ] && grep -q 'evidence' '$tmp/err'"
cpr consent grant not-an-address --evidence x 2>"$tmp/err"
check "grant of a malformed address is refused" sh -c "[ $? -eq 2 ] && grep -q 'not an email address' '$tmp/err'"
cpr consent frobnicate 2>/dev/null
check "unknown consent subcommand: usage error" [ $? -eq 2 ]

# --- fail closed ---
# The reporter of case 8 consents under a name that shares a token with the
# colleague in Cc, who has not consented: the draft must not go out.
cpr consent grant leocadia@wynstanley.example --name "Leocadia Ferris" --evidence "call" >/dev/null
before=$(q "SELECT count(*) FROM events WHERE type='leak_blocked'")
cpr draft 8 >"$tmp/leak.out" 2>"$tmp/leak.err"
check "a leak exits 1" [ $? -eq 1 ]
check "... prints nothing on stdout" [ ! -s "$tmp/leak.out" ]
check "... names the case and the output" sh -c "grep -q 'CPR-2025-0008' '$tmp/leak.err' && grep -q 'markdown' '$tmp/leak.err'"
check "... but not the identifier" sh -c "! grep -qi 'ferris\|idris\|kolawole\|leocadia' '$tmp/leak.err'"
check "... and is audited without the identifier" [ "$(q "SELECT count(*) FROM events WHERE type='leak_blocked' AND case_id=8 AND details NOT LIKE '%Ferris%'")" -eq $((before + 1)) ]
cpr draft 8 --format bugzilla-json >/dev/null 2>&1
check "the bug JSON is refused too" [ $? -eq 1 ]
cpr audit verify >/dev/null 2>&1
check "audit verify still passes" [ $? -eq 0 ]

# --- hostile mail ---
cpr ingest "$CPR_FIXTURES/mail-hostile/hostile-markdown.eml" >/dev/null 2>&1
hc=$(q "SELECT case_id FROM messages WHERE message_id='hostile-markdown-0001@hexfield.example'")
cpr draft "$hc" >"$tmp/h.md" && cpr draft "$hc" --format bugzilla-json >"$tmp/h.json"
check "hostile mail: drafts are made" [ $? -eq 0 ]
check "hostile mail adds no heading, comment end, fence, HTML or link" python3 -c "
import re
md=open('$tmp/h.md').read()
assert 'Everything is fine' in md
h=[l for l in md.splitlines() if re.match(r'\s*#', l)]
assert h==['## Preliminary Incident Report','### Summary'], h
for bad in ('-->','<!--','\`\`\`','<script','<img','](http://evil)'):
    assert bad not in md, bad
"
check "hostile mail: the bug JSON is valid" python3 -c "
import json
b=json.load(open('$tmp/h.json'))
assert 'Everything is fine' in b['description'] and '<script' not in b['summary']
"

# --- command line errors ---
cpr draft 999 2>"$tmp/err"
check "draft of an unknown case exits 2" [ $? -eq 2 ]
cpr draft 1 --format pdf 2>"$tmp/err"
check "an unknown format is refused" sh -c "[ $? -eq 2 ] && grep -q 'markdown or bugzilla-json' '$tmp/err'"
cpr draft 2>/dev/null
check "draft without a case is a usage error" [ $? -eq 2 ]

# --- template selection from the configuration ---
sed 's/^\[ca\]$/[drafts]\ntemplate_version=2.1\n[ca]/' "$conf" >"$tmp/v21.conf"
"$bin" --config "$tmp/v21.conf" --db "$db" draft 1 >"$tmp/v21.md" 2>"$tmp/err"
check "template_version=2.1 gives the 2.1 template" grep -q 'When is the Full Incident Report expected by?\*\*: 2025-05-26' "$tmp/v21.md"
CPR_INTAKE_NOW=1776643201 "$bin" --config "$tmp/v21.conf" --db "$db" draft 1 >/dev/null 2>"$tmp/err"
check "2.1 is refused 30 days after 3.2 took effect" sh -c "[ $? -eq 2 ] && grep -q 'superseded by version 3.2 (effective 2026-03-20)' '$tmp/err'"

tap_done

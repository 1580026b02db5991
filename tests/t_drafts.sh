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
assert b['summary']=='Acme Trust Services: Private key of a certificate reported as compromised', b['summary']
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
cpr draft "$hc" --with-excerpt >"$tmp/h.md" &&
    cpr draft "$hc" --format bugzilla-json --with-excerpt >"$tmp/h.json"
check "hostile mail: drafts are made" [ $? -eq 0 ]
check "hostile mail adds no heading, comment end, fence, HTML or link" python3 -c "
import re
md=open('$tmp/h.md').read()
assert 'Everything is fine' in md
h=[l for l in md.splitlines() if re.match(r'\s*#', l)]
assert h==['## Preliminary Incident Report','### Summary'], h
for bad in ('-->','<!--','\`\`\`','<script','<img','](http://evil)','https://leak','<https:'):
    assert bad not in md, bad
assert 'ca-compliance-team' in md and re.search(r'(?<!\\\\)@(ca-compliance|everyone)', md) is None
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
check "an unknown format is refused" sh -c "[ $? -eq 2 ] && grep -q 'markdown, bugzilla-json or eml' '$tmp/err'"
cpr draft 1 --report summary 2>"$tmp/err"
check "an unknown report is refused" sh -c "[ $? -eq 2 ] && grep -q 'expected preliminary, full' '$tmp/err'"
for pair in "preliminary eml" "full eml" "delayed-revocation eml" "reporter-mail bugzilla-json" \
            "subscriber-mail bugzilla-json"; do
    set -- $pair
    cpr draft 1 --report "$1" --format "$2" >"$tmp/out" 2>"$tmp/err"
    check "--report $1 --format $2 exits 2 and prints nothing" \
        sh -c "[ $? -eq 2 ] && [ ! -s '$tmp/out' ] && grep -q 'has no --format $2' '$tmp/err'"
done
{ cat "$conf"; printf '[drafts]\ntemplate_version=2.1\n'; } >"$tmp/only21.conf"
for kind in full closure delayed-revocation reporter-mail; do
    "$bin" --config "$tmp/only21.conf" --db "$db" draft 1 --report $kind >"$tmp/out" 2>"$tmp/err"
    check "--report $kind with template_version 2.1 exits 2 naming the versions that have one" \
        sh -c "[ $? -eq 2 ] && [ ! -s '$tmp/out' ] && grep -q 'no $kind report template for the CCADB Incident Reporting Guidelines version 2.1' '$tmp/err' && grep -q 'versions with one: 3.2' '$tmp/err'"
done

# --- the BR version cited, titles without counts ---
grep -q 'TLS Baseline Requirements (BR (version not configured)) section' "$tmp/d1.md"
check "without [drafts] br_version the policies say the version is not configured" [ $? -eq 0 ]
{ cat "$conf"; printf '[drafts]\nbr_version=2.2.6\n'; } >"$tmp/br.conf"
"$bin" --config "$tmp/br.conf" --db "$db" draft 1 >"$tmp/br.md" 2>"$tmp/err"
check "[drafts] br_version is the version the policies cite" \
    grep -q 'TLS Baseline Requirements (BR v2.2.6) section 4.9.1.1' "$tmp/br.md"
check "no bug summary is a count" python3 -c "
import json, re, sys
for c in range(1, 9):
    pass
b = json.load(open('$tmp/d6.json'))
assert not re.search(r'\\d+ certificates?', b['summary']), b['summary']
"

# --- the incident state, in one line, for any case ---
check "an undetermined case says so" grep -q -- '- \*\*Incident:\*\* Not yet determined.' "$tmp/d1.md"
cpr case incident 1 no --rationale "the Subscriber asked for revocation; no CA failure" >/dev/null 2>"$tmp/err"
cpr draft 1 >"$tmp/noinc.md" 2>>"$tmp/err"
check "a case that is not an incident says so in one line, with its rationale" \
    grep -q -- '- \*\*Incident:\*\* No: this case is not an incident (the Subscriber asked for revocation; no CA failure).' "$tmp/noinc.md"
check "the policies come from the case's reason and name the rule broken" \
    grep -q 'section 4.9.1.1, reason 3 (the private key was compromised: revocation within 24 hours, CRLReason keyCompromise; reason inferred from the report); BR section 6.1.1.3' "$tmp/noinc.md"

# --- the BR 4.9.5 mail to the reporter ---
cpr draft 1 --report reporter-mail --format eml >"$tmp/r.eml" 2>"$tmp/err"
check "reporter mail as one RFC 5322 message to the reporter" python3 - "$tmp/r.eml" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
assert m['To'].addresses[0].addr_spec == 'rafferty@tidepool-sec.example', m['To']
assert m['From'].addresses[0].addr_spec == 'problems@acmetrust.test', m['From']
assert 'CPR-2025-0001' in m['Subject'] and m['Date'] and m['Message-ID'], dict(m)
assert m.get_content_type() == 'text/plain' and m.get_content_charset() == 'utf-8'
body = m.get_content()
assert body.startswith('Dear Rafferty Nakagawa-Bell,'), body[:80]
assert '685192f131280555404e8d8fed6066dcf3a8' in body and 'section 4.9.5' in body
PY
cpr draft 1 --report reporter-mail >"$tmp/r.md"
check "reporter mail as markdown prints the body only" \
    sh -c "head -1 '$tmp/r.md' | grep -q '^Dear Rafferty Nakagawa-Bell,$' && ! grep -q '^Subject:' '$tmp/r.md'"
cpr draft 1 --report subscriber-mail >"$tmp/out" 2>"$tmp/err"
check "without a Subscriber address the Subscriber mail exits 2 naming case subscriber" \
    sh -c "[ $? -eq 2 ] && grep -q 'case subscriber CPR-2025-0001 EMAIL' '$tmp/err' && [ ! -s '$tmp/out' ]"
cpr case subscriber 1 "not an address" >/dev/null 2>"$tmp/err"
check "case subscriber refuses what is not an address" [ $? -eq 2 ]
cpr case subscriber CPR-2025-0001 Ops@Larkspur-Candles.test --name "Larkspur Candles Ops" >"$tmp/out" 2>"$tmp/err"
check "case subscriber records the address, audited" sh -c "[ $? -eq 0 ] && \
    [ \"\$(sqlite3 '$db' \"SELECT email || '|' || name FROM case_subscribers WHERE case_id = 1\")\" = 'ops@larkspur-candles.test|Larkspur Candles Ops' ] && \
    [ \"\$(sqlite3 '$db' \"SELECT count(*) FROM events WHERE case_id = 1 AND type = 'subscriber_recorded'\")\" -eq 1 ]"
cpr draft 1 --report subscriber-mail --format eml >"$tmp/s.eml" 2>"$tmp/err"
check "the Subscriber mail goes to the recorded Subscriber and names no reporter" python3 - "$tmp/s.eml" <<'PY'
import email, re, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
assert m['To'].addresses[0].addr_spec == 'ops@larkspur-candles.test', m['To']
assert 'CPR-2025-0001' in m['Subject'], m['Subject']
body = m.get_content()
assert body.startswith('Dear Larkspur Candles Ops,'), body[:60]
assert not re.search(r'(?i)rafferty|nakagawa|tidepool', open(sys.argv[1]).read())
assert '685192f131280555404e8d8fed6066dcf3a8' in body
PY
cp "$CPR_FIXTURES/migration/v2.db" "$tmp/v2.db"
"$bin" --config "$conf" --db "$tmp/v2.db" case subscriber 1 ops@example.test >/dev/null 2>"$tmp/err"
check "a database made by an earlier version takes a Subscriber after its upgrade" \
    [ "$(sqlite3 "$tmp/v2.db" 'SELECT email FROM case_subscribers WHERE case_id = 1')" = ops@example.test ]

# --- every report kind: golden output, exact headings, for every case ---
golden="$CPR_FIXTURES/drafts-golden"
gc=$(q "SELECT case_id FROM messages WHERE source LIKE '%003-misissuance-pem-attachment.eml'")
cpr case subscriber "$gc" webmaster@saltcellar-bistro.test --name "Saltcellar Bistro Webmaster" \
    --by alice >/dev/null 2>"$tmp/err"
for kind in preliminary full closure delayed-revocation reporter-mail subscriber-mail; do
    cpr draft "$gc" --report $kind >"$tmp/g-$kind.md" 2>"$tmp/err"
    check "$kind report of the sample case matches its golden file" \
        cmp -s "$golden/$kind.md" "$tmp/g-$kind.md"
    [ -n "$CPR_UPDATE_GOLDEN" ] && cp "$tmp/g-$kind.md" "$golden/$kind.md"
    check "$kind report: its headings are exactly its 3.2 template's" python3 - "$tmp/g-$kind.md" \
        "$CPR_TOP/conf/templates/ccadb-$kind-3.2.md" <<'PY'
import re, sys
out, tpl = open(sys.argv[1]).read(), open(sys.argv[2]).read().split('\n---\n', 1)[1]
h = lambda t: [l for l in t.splitlines() if re.match(r'#+ ', l)]
assert h(out) == h(tpl), (h(out), h(tpl))
PY
done
check "the Full report has the IRG 3.2 headings in order" python3 -c "
import re
h=[l for l in open('$tmp/g-full.md').read().splitlines() if l.startswith('#')]
assert h==['## Full Incident Report','### Summary','### Impact','### Timeline','### Related Incidents','### Root Cause Analysis','### Lessons Learned','### Action Items','### Appendix'], h
"
check "the Full report's Appendix has one crt.sh line per SHA-256 of the case" python3 - "$tmp/g-full.md" "$db" "$gc" <<'PY'
import sqlite3, sys
md, db, case = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
app = md.split('### Appendix', 1)[1].strip().splitlines()
shas = {r[0] for r in sqlite3.connect(db).execute(
    "SELECT i.value FROM identifiers i JOIN messages m ON m.id = i.message_row "
    "WHERE m.case_id = ? AND i.type = 'sha256'", (case,))}
assert shas and sorted(app) == sorted('https://crt.sh/?sha256=' + s.lower() for s in shas), (app, shas)
PY
check "the delayed-revocation report gives the four counts and the MRSP 6.1.3 rationale" sh -c "
grep -q '^- \*\*Revoked:\*\* ' '$tmp/g-delayed-revocation.md' &&
grep -q '^- \*\*Not yet revoked:\*\* ' '$tmp/g-delayed-revocation.md' &&
grep -q '^- \*\*Planned for revocation but expired first:\*\* ' '$tmp/g-delayed-revocation.md' &&
grep -q '^- \*\*Expected completion:\*\* ' '$tmp/g-delayed-revocation.md' &&
grep -q 'MRSP 6.1.3' '$tmp/g-delayed-revocation.md'"
cpr draft "$gc" --report full --format bugzilla-json >"$tmp/full.json"
cpr draft "$gc" --report delayed-revocation --format bugzilla-json >"$tmp/delayed.json"
check "full report as a bug comment; delayed revocation as a new bug" python3 -c "
import json
c=json.load(open('$tmp/full.json')); assert list(c)==['comment'] and c['comment'].startswith('## Full Incident Report'), c
d=json.load(open('$tmp/delayed.json'))
assert d['summary']=='Acme Trust Services: Delayed revocation of certificates', d['summary']
assert '[leaf-revocation-delay]' in d['whiteboard'] and d['description'].startswith('## Incident Report: Delayed Revocation'), d
"
allk=0
# (case 8 is the one whose drafts the leak check withholds, above)
for c in $(q 'SELECT id FROM cases WHERE id <> 8 ORDER BY id'); do
    for kind in preliminary full closure delayed-revocation; do
        for fmt in markdown bugzilla-json; do
            cpr draft "$c" --report $kind --format $fmt >/dev/null 2>"$tmp/err" || { echo "# $c $kind $fmt: $(cat "$tmp/err")"; allk=$((allk + 1)); }
        done
    done
done
check "every report kind drafts for every case, whatever its incident state" [ "$allk" -eq 0 ]

for kind in full closure delayed-revocation; do
    cpr draft "$hc" --report $kind --with-excerpt >"$tmp/h-$kind.md"
    check "hostile mail changes no structure of the $kind report" python3 - "$tmp/h-$kind.md" \
        "$CPR_TOP/conf/templates/ccadb-$kind-3.2.md" <<'PY'
import re, sys
out, tpl = open(sys.argv[1]).read(), open(sys.argv[2]).read().split('\n---\n', 1)[1]
h = lambda t: [l for l in t.splitlines() if re.match(r'\s*#', l)]
assert 'Everything is fine' in out
assert h(out) == h(tpl), (h(out), h(tpl))
for bad in ('-->', '<!--', '```', '<script', '<img', '](http://evil)', 'https://leak', '<https:'):
    assert bad not in out, bad
assert 'ca-compliance-team' in out and re.search(r'(?<!\\)@(ca-compliance|everyone)', out) is None
PY
done
# the bugs too, and the mails (which carry no prose at all)
for kind in preliminary full closure delayed-revocation; do
    cpr draft "$hc" --report $kind --format bugzilla-json --with-excerpt >"$tmp/hj-$kind.json"
    check "hostile mail changes no structure of the $kind bug JSON" python3 - "$tmp/hj-$kind.json" \
        "$CPR_TOP/conf/templates/ccadb-$kind-3.2.md" <<'PY'
import json, re, sys
b, tpl = json.load(open(sys.argv[1])), open(sys.argv[2]).read().split('\n---\n', 1)[1]
md = b.get('description', b.get('comment'))
h = lambda t: [l for l in t.splitlines() if re.match(r'\s*#', l)]
assert 'Everything is fine' in md
assert h(md) == h(tpl), (h(md), h(tpl))
for bad in ('-->', '<!--', '```', '<script', '<img', '](http://evil)', 'https://leak', '<https:'):
    assert bad not in md, bad
assert re.search(r'(?<!\\)@(ca-compliance|everyone)', md) is None
assert '<script' not in b.get('summary', '')
PY
done
cpr case subscriber "$hc" ops@hexfield-hosting.test >/dev/null 2>"$tmp/err"
for kind in reporter-mail subscriber-mail; do
    cpr draft "$hc" --report $kind --format eml >"$tmp/hm-$kind.eml" 2>"$tmp/err"
    check "hostile mail: the $kind carries none of the reporter's text" sh -c "[ $? -eq 0 ] && \
        ! grep -qE 'Everything is fine|ca-compliance|leak.mirrorpit|<script|Impact' '$tmp/hm-$kind.eml'"
done

# --- [bugzilla] op_sys and platform, sent when set ---
{ cat "$conf"; printf '[bugzilla]\nurl=https://127.0.0.1:9\nop_sys=Unspecified\nplatform=Unspecified\n'; } >"$tmp/os.conf"
"$bin" --config "$tmp/os.conf" --db "$db" draft 1 --format bugzilla-json >"$tmp/os.json" 2>"$tmp/err"
check "op_sys and platform are in the bug when configured, absent otherwise" python3 -c "
import json
b=json.load(open('$tmp/os.json')); assert b['op_sys']=='Unspecified' and b['platform']=='Unspecified', b
d=json.load(open('$tmp/d1.json')); assert 'op_sys' not in d and 'platform' not in d, d
"

# --- no reporter prose unless asked for ---
cpr draft "$hc" >"$tmp/plain.md"
check "without --with-excerpt no word of the report is in the draft" \
    sh -c "! grep -q 'Everything is fine' '$tmp/plain.md' && ! grep -q 'Excerpt of the report' '$tmp/plain.md'"
cpr draft 2>/dev/null
check "draft without a case is a usage error" [ $? -eq 2 ]

# --- template selection from the configuration ---
sed 's/^\[ca\]$/[drafts]\ntemplate_version=2.1\n[ca]/' "$conf" >"$tmp/v21.conf"
"$bin" --config "$tmp/v21.conf" --db "$db" draft 1 >"$tmp/v21.md" 2>"$tmp/err"
check "template_version=2.1 gives the 2.1 template" grep -q 'When is the Full Incident Report expected by?\*\*: 2025-05-26' "$tmp/v21.md"
CPR_INTAKE_NOW=1776643201 "$bin" --config "$tmp/v21.conf" --db "$db" draft 1 >/dev/null 2>"$tmp/err"
check "2.1 is refused 30 days after 3.2 took effect" sh -c "[ $? -eq 2 ] && grep -q 'superseded by version 3.2 (effective 2026-03-20)' '$tmp/err'"

tap_done

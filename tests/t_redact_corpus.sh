#!/bin/sh
# t_redact_corpus.sh - the redaction corpus (tests/fixtures/redact-corpus, one
# case per message, people named in headers, prose, signatures, quotes,
# forwarded blocks, Bugzilla field tables, two scripts, short forms, the CA's
# own staff) drafted in every report format, with and without the excerpt:
# no X-Test-Secret of a message appears in any draft of its case, and every
# serial of the case is there.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
corpus="$CPR_FIXTURES/redact-corpus"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1794000000   # 2026-11-06T22:40:00Z
db="$tmp/cases.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }

n=$(ls "$corpus"/*.eml | wc -l)
check "the corpus has at least 40 cases" [ "$n" -ge 40 ]
cpr ingest "$corpus"/*.eml >/dev/null 2>"$tmp/ingest.err"
check "one case per corpus message" [ "$(q 'SELECT count(*) FROM cases')" -eq "$n" ]

fails=0
for c in $(q 'SELECT id FROM cases ORDER BY id'); do
    for fmt in markdown bugzilla-json; do
        for ex in "" --with-excerpt; do
            out="$tmp/d$c.$fmt${ex:+.excerpt}"
            if ! cpr draft "$c" --format "$fmt" $ex >"$out" 2>"$out.err"; then
                echo "# case $c $fmt $ex: $(cat "$out.err")"
                fails=$((fails + 1))
            fi
        done
    done
done
for c in $(q 'SELECT id FROM cases ORDER BY id'); do
    for kind in full closure delayed-revocation; do
        for fmt in markdown bugzilla-json; do
            out="$tmp/d$c.$kind.$fmt"
            if ! cpr draft "$c" --report $kind --format "$fmt" >"$out" 2>"$out.err"; then
                echo "# case $c $kind $fmt: $(cat "$out.err")"
                fails=$((fails + 1))
            fi
        done
    done
done
check "every case drafts every report kind in every format, with and without the excerpt" [ "$fails" -eq 0 ]

# the BR 4.9.5 mail to the reporter: refused only for machines, lists and the CA
mfails=0
for c in $(q 'SELECT id FROM cases ORDER BY id'); do
    for fmt in markdown eml; do
        out="$tmp/m$c.$fmt"
        cpr draft "$c" --report reporter-mail --format "$fmt" >"$out" 2>"$out.err"
        rc=$?
        if [ $rc -ne 0 ]; then
            rm -f "$out"
            # refused for a machine, or fail closed: a name the reporter shares
            # with someone else on the case cannot be told apart
            if grep -q "reporter-mail not emitted" "$out.err" && [ $rc -eq 1 ]; then
                echo "$c" >>"$tmp/failclosed"
            elif ! grep -q "no reporter mail is drafted" "$out.err"; then
                echo "# case $c $fmt: $(cat "$out.err")"
                mfails=$((mfails + 1))
            fi
        fi
    done
done
check "a reporter mail is made, refused for a machine, or withheld by the leak check" [ "$mfails" -eq 0 ]
# the BR 4.9.5 mail to a Subscriber (a third party to every reporter here)
sfails=0
for c in $(q 'SELECT id FROM cases ORDER BY id'); do
    cpr case subscriber "$c" "webmaster@holder-$c.test" --name "Holder $c Webmaster" >/dev/null 2>&1 &&
        cpr draft "$c" --report subscriber-mail --format eml >"$tmp/s$c.eml" 2>"$tmp/s$c.err" ||
        { echo "# case $c subscriber-mail: $(cat "$tmp/s$c.err")"; sfails=$((sfails + 1)); }
done
check "every case drafts its Subscriber mail" [ "$sfails" -eq 0 ]
closed=$(sort -u "$tmp/failclosed" 2>/dev/null | wc -l)
echo "# reporter mails withheld by the leak check: $closed"
m36=$(q "SELECT case_id FROM messages WHERE message_id LIKE 'corpus-36-%'")
check "the bugzilla-daemon report gets no reporter mail; at most 3 others are withheld" \
    sh -c "[ $(ls "$tmp"/m*.eml | wc -l) -ge $((n - 1 - 3)) ] && [ ! -e '$tmp/m$m36.eml' ]"

check "no draft names a person of its case; every serial is there" python3 - "$tmp" "$corpus" "$db" <<'PY'
import email, glob, json, os, re, sqlite3, sys, unicodedata
from email import policy
tmp, corpus, db = sys.argv[1:4]
def fold(s):
    s = unicodedata.normalize('NFKD', s)
    s = ''.join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    return re.sub(r'[\s\-\u2010\u2011]+', ' ', s)
def word_in(hay, needle):
    return re.search(r'(?<!\w)' + re.escape(fold(needle)) + r'(?!\w)', fold(hay)) is not None
con = sqlite3.connect(db)
bad, checked = [], 0
for case_id, source in con.execute('SELECT case_id, source FROM messages WHERE case_id IS NOT NULL'):
    with open(source, 'rb') as f:
        m = email.message_from_binary_file(f, policy=policy.default)
    secrets = [str(v) for v in m.get_all('X-Test-Secret', [])]
    keep = [str(v) for v in m.get_all('X-Test-Keep', [])]
    for path in glob.glob(f'{tmp}/d{case_id}.*'):
        if path.endswith('.err'):
            continue
        text = open(path, encoding='utf-8').read()
        if 'bugzilla-json' in path:
            bug = json.loads(text)
            text = text + '\n' + '\n'.join(v for v in bug.values() if isinstance(v, str))
        checked += 1
        for s in secrets:
            if word_in(text, s) or ('@' in s and fold(s) in fold(text)):
                bad.append((os.path.basename(source), os.path.basename(path), s))
        for k in keep:
            if k not in text and '.closure.' not in path:
                bad.append((os.path.basename(source), os.path.basename(path), 'missing ' + k))
# reporter mails: the recipient's own name and address only in To: and the
# salutation; nobody else's anywhere
mails = 0
for case_id, source in con.execute('SELECT case_id, source FROM messages WHERE case_id IS NOT NULL'):
    with open(source, 'rb') as f:
        m = email.message_from_binary_file(f, policy=policy.default)
    secrets = [str(v) for v in m.get_all('X-Test-Secret', [])]
    for path in glob.glob(f'{tmp}/m{case_id}.*'):
        if path.endswith('.err'):
            continue
        mails += 1
        text = open(path, encoding='utf-8').read()
        if path.endswith('.eml'):
            msg = email.message_from_string(text, policy=policy.default)
            to = msg['To'].addresses[0]
            assert msg['Subject'].startswith('['), path
            rest = '\n'.join(l for l in text.splitlines() if not l.startswith('To:'))
            rest = email.message_from_string(rest, policy=policy.default)
            text = '\n'.join(f'{k}: {v}' for k, v in rest.items()) + '\n' + rest.get_content()
        lines = text.splitlines()
        body = '\n'.join(l for l in lines if not (l.startswith('Dear ') and l.endswith(',')))
        for s in secrets:
            if word_in(body, s) or ('@' in s and fold(s) in fold(body)):
                bad.append((os.path.basename(source), os.path.basename(path), s))
# Subscriber mails: the Subscriber is no reporter, so no reporter's name or
# address anywhere, salutation and headers included
for case_id, source in con.execute('SELECT case_id, source FROM messages WHERE case_id IS NOT NULL'):
    with open(source, 'rb') as f:
        m = email.message_from_binary_file(f, policy=policy.default)
    secrets = [str(v) for v in m.get_all('X-Test-Secret', [])]
    path = f'{tmp}/s{case_id}.eml'
    if not os.path.exists(path):
        continue
    mails += 1
    text = open(path, encoding='utf-8').read()
    msg = email.message_from_string(text, policy=policy.default)
    if msg['To'].addresses[0].addr_spec != f'webmaster@holder-{case_id}.test':
        bad.append((os.path.basename(source), path, 'recipient', str(msg['To'])))
    whole = text + '\n' + msg.get_content()
    for s in secrets:
        if word_in(whole, s) or ('@' in s and fold(s) in fold(whole)):
            bad.append((os.path.basename(source), os.path.basename(path), s))
print('# reporter and Subscriber mails checked:', mails)
if mails < 76 + 40:
    bad.append(('mails', mails))
for b in bad:
    print('#', *b)
print('# drafts checked:', checked)
sys.exit(1 if bad or checked < 400 else 0)
PY
tap_done

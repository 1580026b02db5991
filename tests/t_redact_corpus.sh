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
check "every case drafts in every format, with and without the excerpt" [ "$fails" -eq 0 ]

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
            if k not in text:
                bad.append((os.path.basename(source), os.path.basename(path), 'missing ' + k))
for b in bad:
    print('#', *b)
print('# drafts checked:', checked)
sys.exit(1 if bad or checked < 160 else 0)
PY
tap_done

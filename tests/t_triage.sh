#!/bin/sh
# t_triage.sh - nothing dropped silently (issue 11): mail to a report address
# that opened no case is listed by `list --triage` until `triage done` records
# a review (audited); `case open MESSAGE_ID` makes one a case with the
# message's own aware_at. Mail not sent to a report address is not listed.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
corpus="$CPR_FIXTURES/corpus/mail"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1794000000
db="$tmp/t.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }

cpr ingest --json "$corpus"/n001-cert-cc.eml "$corpus"/n016-thanks.eml "$corpus"/n014-ooo.eml \
    "$corpus"/n008-other-list.eml "$corpus"/n007-standards.eml "$corpus"/r004-openssl-text.eml \
    >"$tmp/in.out" 2>"$tmp/in.err"
check "ingest exits 0" [ $? -eq 0 ]
mid() { python3 -c "
import json,sys
for l in open('$tmp/in.out'):
    o=json.loads(l)
    if o['source'].endswith('$1'): print(o['message_id'])"; }
cert_cc=$(mid n001-cert-cc.eml); thanks=$(mid n016-thanks.eml); ooo=$(mid n014-ooo.eml)
other_list=$(mid n008-other-list.eml); standards=$(mid n007-standards.eml); report=$(mid r004-openssl-text.eml)
check "six message ids" [ "$(printf '%s\n' "$cert_cc" "$thanks" "$ooo" "$other_list" "$standards" "$report" | grep -c .)" -eq 6 ]

cpr list --triage --json >"$tmp/tri.json" 2>"$tmp/tri.err"
check "list --triage --json exits 0" [ $? -eq 0 ]
check "mail to the report address that opened no case is listed, nothing else" python3 -c "
import json
ids=[o['message_id'] for o in json.load(open('$tmp/tri.json'))]
assert sorted(ids)==sorted(['$cert_cc','$thanks','$ooo','$other_list']), ids
o=json.load(open('$tmp/tri.json'))[0]
for k in ('message_id','aware_at','kind','subject','from','source','rules'): assert k in o, k
"
cpr list --triage >"$tmp/tri.txt"
check "the text form has one line each" [ "$(wc -l <"$tmp/tri.txt")" -eq 4 ]

cpr triage done "<$thanks>" "$ooo" --note "nothing to do" --by alice >"$tmp/done.out" 2>&1
check "triage done exits 0" [ $? -eq 0 ]
cpr list --triage --json >"$tmp/tri2.json"
check "reviewed mail leaves the list" python3 -c "
import json
ids=[o['message_id'] for o in json.load(open('$tmp/tri2.json'))]
assert sorted(ids)==sorted(['$cert_cc','$other_list']), ids
"
check "each review is an audit event with who and the note" [ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE type='triage_done' AND actor='alice' AND details LIKE '%nothing to do%'")" -eq 2 ]
cpr triage done "$other_list" "no-such-id@nowhere.example" >"$tmp/bad.out" 2>&1
check "an unknown Message-ID fails and records nothing" sh -c "[ $? -eq 1 ] && [ \"\$(sqlite3 '$db' 'SELECT count(*) FROM triage_reviews')\" -eq 2 ]"

aware=$(python3 -c "
import json
for l in open('$tmp/in.out'):
    o=json.loads(l)
    if o['message_id']=='$cert_cc': print(o['aware_at'])")
cpr case open "$cert_cc" --by bob >"$tmp/open.out" 2>&1
check "case open exits 0" [ $? -eq 0 ]
ref=$(sed -n 's/^\(CPR-[0-9]*-[0-9]*\) opened.*/\1/p' "$tmp/open.out")
check "case open names the new case" [ -n "$ref" ]
cpr show "$ref" --json >"$tmp/show.json" 2>&1
check "the case has the message's own aware_at and the message" python3 -c "
import json
c=json.load(open('$tmp/show.json'))
assert c['aware_at']=='$aware', (c['aware_at'], '$aware')
assert [m['message_id'] for m in c['messages']]==['$cert_cc'], c['messages']
assert any(k['clock']=='cpr_preliminary_report' for k in c['clocks']), c['clocks']
"
cpr list --triage --json >"$tmp/tri3.json"
check "an opened message leaves the triage list" python3 -c "
import json
ids=[o['message_id'] for o in json.load(open('$tmp/tri3.json'))]
assert ids==['$other_list'], ids
"
cpr case open "$cert_cc" >"$tmp/again.out" 2>&1
check "case open twice is refused" [ $? -eq 1 ]
cpr case open "$report" >"$tmp/rep.out" 2>&1
check "a message already in a case is refused" [ $? -eq 1 ]
cpr draft "$ref" >/dev/null 2>"$tmp/draft.err" && cpr draft "$ref" --format bugzilla-json >/dev/null 2>>"$tmp/draft.err"
check "the opened case drafts in both formats" [ $? -eq 0 ]
cpr audit verify >"$tmp/verify.out" 2>&1
check "the audit chain verifies" [ $? -eq 0 ]
tap_done

#!/bin/sh
# t_obligations.sh - what a case owes, through the CLI (issue 10, SPEC 2.3):
# each 24-hour BR 4.9.1.1 reason recognised from a report written the way
# people write; a key compromise handled in time is no incident and misses
# nothing; `case incident no` withdraws met and unmet incident clocks; two
# questions on a bug the CA filed outside this tool, answered one at a time; a
# list post that only mentions the CA opens nothing; a missed revocation opens
# exactly one delayed-revocation case however often the sweep runs; bad input
# exits 2 and changes nothing; a database of the previous version migrates.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
fx="$CPR_FIXTURES/obligations"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
ts() { date -u -d "$1" +%s; }
events() { q "SELECT count(*) FROM events"; }
case_of() { # message-id -> case id
    q "SELECT case_id FROM messages WHERE message_id = '$1'"
}

export CPR_INTAKE_NOW=$(ts 2026-11-02T16:00:00Z)
cpr ingest --json "$fx"/r1-subscriber-request.eml "$fx"/r2-unauthorized.eml \
    "$fx"/r3-key-compromise.eml "$fx"/r4-weak-key.eml "$fx"/r5-caa.eml \
    "$fx"/r12-misissuance.eml >"$tmp/ingest.out"
check "six reports ingested, six cases" [ "$(q 'SELECT count(*) FROM cases')" -eq 6 ]
check "ingest --json gives the reason row of each message" python3 -c "
import json
rows=[json.loads(l)['reason'] for l in open('$tmp/ingest.out')]
assert rows==[1,2,3,4,5,12], rows
"

# --- each 24-hour reason, from the report's own words ---
for pair in "rev-req-2026-11-02@hollowbrook-dairy.test 1 subscriber_request unspecified" \
            "8812.unauth@kettlewick.test 2 unauthorized privilegeWithdrawn" \
            "kw-20261102-7731@keywatch.test 3 key_compromise keyCompromise" \
            "fermat-scan-55@cryptolab.test 4 weak_key keyCompromise" \
            "caa-ignored-1@brightwater-labs.test 5 validation_unreliable superseded"; do
    set -- $pair
    id=$(case_of "$1")
    cpr show "$id" --json >"$tmp/show.json"
    check "reason #$2 ($3) recognised: 24 h revocation, its CRLReason" python3 -c "
import json
d=json.load(open('$tmp/show.json'))
r=d['revocation_reason']
assert r=={'number':$2,'name':'$3','window_hours':24,'crl_reason':'$4','source':'inferred'}, r
c={k['clock']:k for k in d['clocks']}
rev=c['revocation']
assert rev['rule']=='BR 4.9.1.1 #$2, 24 h', rev
from datetime import datetime
f=lambda s: datetime.fromisoformat(s.replace('Z','+00:00')).timestamp()
assert f(rev['due_at'])-f(d['aware_at'])==86400, rev
assert c['cpr_preliminary_report']['status']=='open' and c['subscriber_preliminary_report']['status']=='open'
"
done
check "an automated key-leak report is a CPR, not an auto-reply" \
    [ "$(q "SELECT kind FROM messages WHERE message_id='kw-20261102-7731@keywatch.test'")" = cpr ]
check "rows 4 and 5 (CA failures) start the incident clocks provisionally; 1-3 do not" [ \
    "$(q "SELECT group_concat(c.revocation_reason) FROM cases c JOIN clocks k ON k.case_id=c.id AND k.clock='incident_disclosure' ORDER BY c.revocation_reason")" = "4,5,12" ]
mis=$(case_of lint-2026-11-03-a@lintwatch.test)
check "misissuance (#12): 5 days, paging at 24 h" [ \
    "$(q "SELECT ((due_at - starts_at) / 3600) || ' ' || ((page_at - starts_at) / 3600) FROM clocks WHERE case_id = $mis AND clock = 'revocation'")" = "120 24" ]

# --- a key compromise handled in time: no incident clock, nothing missed ---
kc=$(case_of kw-20261102-7731@keywatch.test)
# recorded as they happen (the time of recording is the pinned clock)
at() { CPR_INTAKE_NOW=$(ts "$1") cpr event "$kc" "$2" --at "$1" >/dev/null; }
at 2026-11-02T16:02:00Z preliminary_report_sent &&
at 2026-11-02T16:05:00Z subscriber_notified &&
at 2026-11-03T07:00:00Z revoked &&
at 2026-11-03T08:00:00Z closed
check "events on the key compromise recorded" [ $? -eq 0 ]
export CPR_INTAKE_NOW=$(ts 2026-11-06T00:00:00Z)
cpr audit report --json --since 2026-11-02T11:00:00Z --until 2026-11-02T12:00:00Z >"$tmp/report.json"
check "audit report: the key compromise met every clock, 0 missed, no incident clock" python3 -c "
import json
d=json.load(open('$tmp/report.json'))
by={c['clock']:c for c in d['clocks']}
assert set(by)=={'cpr_preliminary_report','subscriber_preliminary_report','revocation'}, by
for c in by.values():
    assert c['count']==1 and c['met']==1 and c['missed']==0 and c['met_late']==0, c
    assert c['met']+c['met_backfilled']+c['met_late']+c['missed']+c['withdrawn']+c['open']==c['count']
"
cpr audit report --format json --since 2026-11-02T11:00:00Z --until 2026-11-02T12:00:00Z >"$tmp/report2.json"
check "--json and --format json are the same report" cmp -s "$tmp/report.json" "$tmp/report2.json"

# --- back-filled: an event written days after the time it claims ---
wk=$(case_of fermat-scan-55@cryptolab.test)
cpr event "$wk" preliminary_report_sent --at 2026-11-02T20:00:00Z >/dev/null
cpr show "$wk" --json >"$tmp/wk.json"
check "a back-filled event is marked (recorded_at, backfilled) and its clock met, flagged, never missed" python3 -c "
import json
d=json.load(open('$tmp/wk.json'))
e=[x for x in d['events'] if x['type']=='preliminary_report_sent'][0]
assert e['at']=='2026-11-02T20:00:00Z' and e['recorded_at']=='2026-11-06T00:00:00Z' and e['backfilled'] is True, e
c=[k for k in d['clocks'] if k['clock']=='cpr_preliminary_report'][0]
assert c['status']=='met' and c['backfilled'] is True, c
o=[x for x in d['events'] if x['type']=='case_opened'][0]
assert o['backfilled'] is False and o['recorded_at'] is not None, o
"
cpr audit report --json --since 2026-11-02T13:00:00Z --until 2026-11-02T14:00:00Z >"$tmp/wkr.json"
check "audit report counts it in met_backfilled, not met and not missed" python3 -c "
import json
d=json.load(open('$tmp/wkr.json'))
c=[x for x in d['clocks'] if x['clock']=='cpr_preliminary_report'][0]
assert c['met_backfilled']==1 and c['met']==0 and c['missed']==0, c
"

# --- case incident no: withdraws met and unmet incident clocks ---
cpr event "$mis" disclosed --at 2026-11-03T20:00:00Z >/dev/null
before=$(events)
cpr case incident "$mis" no 2>"$tmp/err"
check "case incident no without --rationale exits 2, nothing changed" \
    sh -c "[ $? -eq 2 ] && grep -q rationale '$tmp/err' && [ $(events) -eq $before ]"
cpr case incident "$mis" no --rationale "the linter rule was wrong: the dNSName has no trailing dot" >/dev/null
cpr show "$mis" --json >"$tmp/mis.json"
check "incident no: disclosure (met), full report and updates withdrawn; met_at kept" python3 -c "
import json
d=json.load(open('$tmp/mis.json'))
assert d['incident']=='no' and d['incident_rationale'].startswith('the linter'), d['incident']
c={k['clock']:k for k in d['clocks']}
for k in ('incident_disclosure','full_report','bug_update'):
    assert c[k]['status']=='withdrawn', c[k]
assert c['incident_disclosure']['met_at']=='2026-11-03T20:00:00Z', c['incident_disclosure']
assert c['revocation']['status']=='open'
assert any(e['type']=='incident_decided' for e in d['events'])
"
cpr deadlines --json >"$tmp/dl.json"
check "deadlines never lists a withdrawn clock" python3 -c "
import json
d=json.load(open('$tmp/dl.json'))
assert not [x for x in d if x['case_id']==$mis and x['clock'] in ('incident_disclosure','full_report','bug_update')], d
assert all(x['status'] in ('open','missed') for x in d)
"

# --- a bug the CA filed outside this tool; two questions ---
cpr ingest --json "$fx"/bug-comment0.eml >"$tmp/bug0.out"
bug=$(q "SELECT id FROM cases WHERE bug_id=1990011")
check "a bug whose summary starts with the owner opens one case carrying its bug_id" python3 -c "
import json
o=json.loads(open('$tmp/bug0.out').readline())
assert o['kind']=='bugzilla' and o['new_case'] and o['case_id']==int('$bug'), o
"
check "comment 0 by the CA records bug_filed at the comment's time" \
    [ "$(q "SELECT at FROM events WHERE case_id=$bug AND type='bug_filed'")" = "$(ts 2026-11-05T09:00:40Z)" ]
cpr ingest --json "$fx"/bug-q2.eml "$fx"/bug-q2-again.eml "$fx"/bug-q3.eml >"$tmp/bugq.out"
check "every later notification joins that case" python3 -c "
import json
for l in open('$tmp/bugq.out'):
    o=json.loads(l); assert o['case_id']==int('$bug') and not o['new_case'], o
"
cpr show "$bug" --json >"$tmp/bug.json"
check "two questions, two clocks, each due 7 days after its comment (the repeat counted once)" python3 -c "
import json
d=json.load(open('$tmp/bug.json'))
assert d['bug_id']==1990011, d['bug_id']
qs=sorted((k['ref'],k['due_at']) for k in d['clocks'] if k['clock']=='question_response')
assert qs==[(2,'2026-11-12T12:00:00Z'),(3,'2026-11-12T18:30:00Z')], qs
"
before=$(events)
cpr event "$bug" question_answered 2>"$tmp/err"
check "question_answered without --ref while two are open exits 2, naming them" \
    sh -c "[ $? -eq 2 ] && grep -q '2, 3' '$tmp/err' && [ $(events) -eq $before ]"
cpr event "$bug" question_answered --ref 9 2>"$tmp/err"
check "--ref naming no open question exits 2, nothing changed" \
    sh -c "[ $? -eq 2 ] && grep -q 'no open question with --ref 9' '$tmp/err' && [ $(events) -eq $before ]"
cpr event "$bug" question_answered --ref 2 >/dev/null
cpr show "$bug" --json >"$tmp/bug.json"
check "answering one question leaves the other open" python3 -c "
import json
d=json.load(open('$tmp/bug.json'))
st={k['ref']:k['status'] for k in d['clocks'] if k['clock']=='question_response'}
assert st=={2:'met',3:'open'}, st
"
before=$(events)
cpr case link-bug "$kc" 1990011 2>"$tmp/err"
check "linking a bug already linked elsewhere exits 2, naming the case" \
    sh -c "[ $? -eq 2 ] && grep -q 'already linked to CPR-' '$tmp/err' && [ $(events) -eq $before ]"

# --- a list post that only mentions the CA ---
cpr ingest --json "$fx"/list-mention.eml >"$tmp/list.out"
check "a list post naming the CA without a problem opens no case" python3 -c "
import json
o=json.loads(open('$tmp/list.out').readline())
assert o['kind']=='list_post' and o['case_id'] is None and not o['new_case'], o
"

# --- reasons set by a person ---
r1=$(case_of rev-req-2026-11-02@hollowbrook-dairy.test)
before=$(events)
cpr case reason "$r1" teapot 2>"$tmp/err"
check "an unknown reason exits 2 naming the expected values, nothing changed" \
    sh -c "[ $? -eq 2 ] && grep -q '5 validation_unreliable' '$tmp/err' && [ $(events) -eq $before ]"
cpr case reason "$r1" 12 --note "the subscriber also reports a wrong SAN" >/dev/null
check "case reason: set, the revocation clock follows, audited with old and new due" python3 -c "
import json,subprocess
d=json.loads(subprocess.check_output(['$bin','--config','$conf','--db','$db','show','$r1','--json']))
assert d['revocation_reason']['number']==12 and d['revocation_reason']['source']=='set'
e=[json.loads(x['details']) for x in d['events'] if x['type']=='reason_changed'][-1]
assert e['old_reason']=='subscriber_request' and e['reason']=='misissuance', e
assert e['old_due_at']=='2026-11-03T08:15:00Z' and e['new_due_at']=='2026-11-07T08:15:00Z', e
"

# --- revocation_delayed before the deadline, then the sweep ---
cpr event "$mis" revocation_delayed --note "subscriber is a hospital" >"$tmp/delayed.out"
check "revocation_delayed opens the linked delayed-revocation case at once" \
    grep -q 'delayed-revocation case CPR-2026-' "$tmp/delayed.out"
cpr notify-run --once >/dev/null 2>&1
cpr notify-run --once >/dev/null 2>&1
check "the sweep runs without notify targets and opens one delayed case per missed revocation" [ \
    "$(q "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM cases WHERE kind='delayed_revocation' GROUP BY linked_case_id)")" = "1,1,1,1" ]
r2=$(case_of 8812.unauth@kettlewick.test)
d2=$(q "SELECT id FROM cases WHERE linked_case_id=$r2")
cpr show "$d2" --json >"$tmp/d2.json"
check "the delayed case: an incident from the missed deadline, its own clocks, no revocation" python3 -c "
import json
d=json.load(open('$tmp/d2.json'))
assert d['kind']=='delayed_revocation' and d['incident']=='yes', d
assert [l['case_id'] for l in d['linked_cases']]==[int('$r2')], d['linked_cases']
c={k['clock']:k for k in d['clocks']}
assert set(c)=={'incident_disclosure','bug_update'}, c
assert c['incident_disclosure']['starts_at']=='2026-11-03T09:40:12Z', c
assert c['incident_disclosure']['due_at']=='2026-11-06T09:40:12Z', c
assert c['bug_update']['due_at']=='2026-11-10T09:40:12Z', c
"
check "the revoked key compromise opened no delayed case" \
    [ "$(q "SELECT count(*) FROM cases WHERE linked_case_id=$kc")" -eq 0 ]
check "each missed clock recorded once however often the sweep runs" [ \
    "$(q "SELECT count(*) FROM (SELECT case_id, json_extract(details,'$.clock') c, count(*) n FROM events WHERE type='clock_missed' GROUP BY 1, 2 HAVING n > 1)")" -eq 0 ]
check "a missed preliminary report made its case an incident (audited)" [ \
    "$(q "SELECT incident FROM cases WHERE id=$r2")" = yes ]
check "the audit chain is intact" cpr audit verify

# --- a database made by the previous version ---
cp "$CPR_FIXTURES/migration/v2.db" "$tmp/old.db"
old() { "$bin" --config "$conf" --db "$tmp/old.db" "$@"; }
ev_before=$(sqlite3 "$tmp/old.db" "SELECT count(*) FROM events")
export CPR_INTAKE_NOW=1749000000
old show 1 --json >"$tmp/m1.json"
check "migration: schema 3, every case kept, every old event kept and still chained" sh -c \
    "[ $(sqlite3 "$tmp/old.db" 'PRAGMA user_version') -ge 3 ] && [ $(sqlite3 "$tmp/old.db" 'SELECT count(*) FROM cases') -eq 8 ] && [ $(sqlite3 "$tmp/old.db" "SELECT count(*) FROM events WHERE id <= $ev_before") -eq $ev_before ]"
check "migration: audit verify passes on the migrated chain" old audit verify
check "migration: an old case gets a reason, undetermined incident, and the subscriber clock met by the old report" python3 -c "
import json
d=json.load(open('$tmp/m1.json'))
assert d['revocation_reason']['number']==3 and d['incident']=='undetermined', d
c={k['clock']:k for k in d['clocks']}
assert c['subscriber_preliminary_report']['met_at']=='2025-05-12T20:00:00Z', c
assert any(e['type']=='subscriber_notified' and e['by']=='migration' and 'migrated' in e['details'] for e in d['events'])
assert any(e['type']=='clocks_migrated' for e in d['events'])
"
old notify-run --once >/dev/null 2>&1
check "migration: deadlines passed before the upgrade open nothing and page no one" sh -c \
    "[ $(sqlite3 "$tmp/old.db" "SELECT count(*) FROM cases WHERE kind='delayed_revocation'") -eq 0 ] && [ $(sqlite3 "$tmp/old.db" "SELECT count(*) FROM events WHERE type IN ('clock_missed','incident_declared')") -eq 0 ] && [ $(sqlite3 "$tmp/old.db" "SELECT count(*) FROM events WHERE type='escalation_fired' AND json_extract(details, '$.due_at') < '2025-06-04T01:20:00Z'") -eq 0 ] && [ $(sqlite3 "$tmp/old.db" 'SELECT count(*) FROM clock_misses WHERE premigration=1') -gt 0 ]"
old list --triage --json >"$tmp/triage.json"
check "migration: the deadlines passed before the upgrade are listed for a person (list --triage)" python3 -c "
import json
d=[x for x in json.load(open('$tmp/triage.json')) if x.get('item')=='deadline_passed_before_upgrade']
assert len(d)==int('$(sqlite3 "$tmp/old.db" 'SELECT count(*) FROM clock_misses WHERE premigration=1')') and d, d
assert {'case_reference','clock','due_at'} <= set(d[0]), d[0]
"
check "migration: clocks still running page as usual" [ \
    "$(sqlite3 "$tmp/old.db" "SELECT count(*) FROM events WHERE type='escalation_fired'")" -gt 0 ]
tap_done

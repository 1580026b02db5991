#!/bin/sh
# t_notify.sh - paging on-call end to end against loopback sinks started here:
# exactly one page per target for a new CPR; a receiver answering 500, and one
# that is down, get the page once they recover, exactly once, without holding
# up the others; escalation points on a clock driven by CPR_INTAKE_NOW (no
# sleeping), with catch-up sending only the latest point; meeting a clock
# stops its pages and resolves it; `event acknowledged` is a PagerDuty
# acknowledge; pages carry no reporter name or address (manifest secrets).
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" a; sink_stop "$tmp" b; sink_stop "$tmp" c; sink_stop "$tmp" m; rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
A=1747054998 # aware_at of sample 001: 2025-05-12T13:03:18Z
H=3600

hp=$(http_sink_start "$tmp" a)
fp=$(http_sink_start "$tmp" b)
sp=$(smtp_sink_start "$tmp" m)
down_port=$(sink_free_port)
( umask 077; echo "pd-routing-key-t-notify" >"$tmp/pd.key" )
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[notify.hook]
type=webhook
url=http://127.0.0.1:$hp/hook
[notify.chat]
type=slack
url=http://127.0.0.1:$hp/slack
[notify.pd]
type=pagerduty
url=http://127.0.0.1:$hp/pd
routing_key_file=$tmp/pd.key
[notify.mail]
type=email
url=smtp://127.0.0.1:$sp
to=oncall@acmetrust.test
from=cpr-intake@acmetrust.test
[notify.flaky]
type=webhook
url=http://127.0.0.1:$fp/flaky
[notify.later]
type=webhook
url=http://127.0.0.1:$down_port/later
EOT
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
at() { CPR_INTAKE_NOW=$1; export CPR_INTAKE_NOW; }
run() { cpr notify-run --once >>"$tmp/run.out" 2>>"$tmp/run.err"; }
bodies() { # NAME PATH: the JSON bodies a sink received on PATH, one a line
    python3 -c "
import json,sys
for l in open('$tmp/$1.log'):
    r=json.loads(l)
    if r['path']=='$2': print(r['body'])"
}

# --- a new CPR: one page per target ---
echo 500 >"$tmp/b.status"
at $((A + 60))
cpr ingest "$samples/001-kc-csr-proof.eml" >/dev/null
check "the new case enqueued one page per target, in the ingest transaction" \
    [ "$(q "SELECT count(*) FROM outbox WHERE kind='page' AND case_id=1")" -eq 6 ]
run
check "webhook got exactly one page" [ "$(sink_count "$tmp" a /hook)" -eq 1 ]
check "slack got exactly one page" [ "$(sink_count "$tmp" a /slack)" -eq 1 ]
check "pagerduty got exactly one event" [ "$(sink_count "$tmp" a /pd)" -eq 1 ]
check "on-call got exactly one mail" [ "$(ls "$tmp/m.mail"/*.eml | wc -l)" -eq 1 ]
check "the failing receiver was tried once and got 500" [ "$(sink_count "$tmp" b /flaky 500)" -eq 1 ]
check "the page for the down receiver is pending, with its error" \
    [ "$(q "SELECT count(*) FROM outbox WHERE target='later' AND delivered_at IS NULL AND failed_at IS NULL AND last_error IS NOT NULL")" -eq 1 ]
bodies a /pd >"$tmp/pd.json"
check "pagerduty: trigger with the routing key and a per case+clock dedup_key" python3 -c "
import json
d=json.loads(open('$tmp/pd.json').readline())
assert d['event_action']=='trigger' and d['routing_key']=='pd-routing-key-t-notify', d
assert d['dedup_key']=='cpr-intake/CPR-2025-0001/cpr_preliminary_report', d
assert d['payload']['severity']=='critical' and d['payload']['source']=='cpr-intake'
"
bodies a /hook >"$tmp/hook.json"
check "webhook: the documented document" python3 -c "
import json
d=json.loads(open('$tmp/hook.json').readline())
for k in ('event','summary','case_id','reference','kind','problem','clock','due_at','seconds_left','time_left','show','dedup_key'):
    assert k in d, k
assert d['event']=='new_case' and d['reference']=='CPR-2025-0001' and d['due_at']=='2025-05-13T13:03:18Z', d
assert d['show']=='cpr-intake show CPR-2025-0001'
"
check "webhook requests carry an Idempotency-Key" python3 -c "
import json
rs=[json.loads(l) for l in open('$tmp/a.log')]
assert all(r['headers'].get('Idempotency-Key') for r in rs if r['path'] in ('/hook','/pd','/slack')), rs
assert [r['headers']['Idempotency-Key'] for r in rs if r['path']=='/hook']==['new_case:1']
"
check "slack: incoming-webhook {\"text\": ...}" python3 -c "
import json
d=json.loads(open('$tmp/a.log').read().split('\n')[0])
bs=[json.loads(json.loads(l)['body']) for l in open('$tmp/a.log') if json.loads(l)['path']=='/slack']
assert list(bs[0].keys())==['text'] and 'CPR-2025-0001' in bs[0]['text']
"
check "the on-call mail names the case and its deadline" \
    grep -q 'cpr_preliminary_report' "$tmp/m.mail/1.eml"

# --- nothing twice; the failing receivers wait for their backoff ---
run
check "a second run at the same time delivers nothing again" \
    [ "$(sink_count "$tmp" a)" -eq 3 ] && [ "$(sink_count "$tmp" b)" -eq 1 ]

# --- recovery: the 500 receiver answers again, the down one comes up ---
rm -f "$tmp/b.status"
http_sink_start "$tmp" c "$down_port" >/dev/null
at $((A + 2 * H))
run
check "the receiver that answered 500 got the page once it recovered, once" \
    [ "$(sink_count "$tmp" b /flaky 202)" -eq 1 ]
check "the receiver that was down got the page once it came up, once" \
    [ "$(sink_count "$tmp" c /later)" -eq 1 ]
check "the other targets got nothing more" [ "$(sink_count "$tmp" a)" -eq 3 ]
check "every page row is delivered" \
    [ "$(q "SELECT count(*) FROM outbox WHERE kind='page' AND delivered_at IS NOT NULL")" -eq 6 ]
check "deliveries are in the audit trail" \
    [ "$(q "SELECT count(*) FROM events WHERE type='notification_delivered' AND case_id=1")" -eq 6 ]
at $((A + 3 * H))
run
check "and nobody got it twice" \
    [ "$(sink_count "$tmp" b /flaky 202)" -eq 1 ] && [ "$(sink_count "$tmp" c /later)" -eq 1 ]

# --- escalation points, driven by CPR_INTAKE_NOW ---
at $((A + 12 * H - 60))
run
check "no escalation before 50% of the window" [ "$(q 'SELECT count(*) FROM escalations')" -eq 0 ]
at $((A + 12 * H))
run
check "at 50%: the three 24h clocks page once each (a key compromise: no incident clock)" \
    [ "$(q "SELECT group_concat(clock || '@' || point, ',') FROM (SELECT * FROM escalations ORDER BY clock)")" = "cpr_preliminary_report@50,revocation@50,subscriber_preliminary_report@50" ]
check "each escalation reached every target once (webhook)" \
    [ "$(bodies a /hook | grep -c '"event":"escalation"')" -eq 3 ]
run
check "a second tick at the same time pages nothing more" \
    [ "$(bodies a /hook | grep -c '"event":"escalation"')" -eq 3 ]

# meeting a clock stops its pages and resolves its incident
at $((A + 13 * H))
cpr event 1 preliminary_report_sent --at "2025-05-13T02:00:00Z" --by alice >/dev/null
at $((A + 18 * H))
run
check "at 75%: only the unmet clocks page" \
    [ "$(q "SELECT group_concat(clock || '@' || point, ',') FROM (SELECT * FROM escalations WHERE point=75 ORDER BY clock)")" = "revocation@75,subscriber_preliminary_report@75" ]
bodies a /pd >"$tmp/pd.json"
check "pagerduty: resolve for cpr_preliminary_report" python3 -c "
import json
ds=[json.loads(l) for l in open('$tmp/pd.json')]
assert any(d['event_action']=='resolve' and d['dedup_key'].endswith('/cpr_preliminary_report') for d in ds), ds
"

# acknowledged: PagerDuty acknowledge of the open page, clocks keep running
cpr event 1 acknowledged --by bob >/dev/null
run
bodies a /pd >"$tmp/pd.json"
check "event acknowledged --by: PagerDuty acknowledge of the open incident" python3 -c "
import json
ds=[json.loads(l) for l in open('$tmp/pd.json')]
acks=[d for d in ds if d['event_action']=='acknowledge']
assert sorted(d['dedup_key'] for d in acks)==['cpr-intake/CPR-2025-0001/revocation','cpr-intake/CPR-2025-0001/subscriber_preliminary_report'], acks
"
check "acknowledging does not stop the clock" \
    [ "$(q "SELECT met_at IS NULL FROM clocks WHERE case_id=1 AND clock='revocation'")" -eq 1 ]

# catch-up after downtime: one page per clock, the latest point only
at $((A + 80 * H))
run
check "after downtime: revocation pages once, overdue (not 90 then 100)" \
    [ "$(q "SELECT group_concat(point, ',') FROM (SELECT point FROM escalations WHERE clock='revocation' ORDER BY point)")" = "50,75,100" ]
check "a missed BR 4.9.5 deadline declares the incident once, aware at that due time" \
    [ "$(q "SELECT incident || ' ' || incident_aware_at FROM cases WHERE id=1")" = "yes $((A + 24 * H))" ]
check "after downtime: the new incident_disclosure clock pages once (75%, not 50 then 75)" \
    [ "$(q "SELECT group_concat(point, ',') FROM escalations WHERE case_id=1 AND clock='incident_disclosure'")" = "75" ]
check "the missed revocation opened one delayed-revocation case, paged" \
    [ "$(q "SELECT count(*) FROM cases WHERE kind='delayed_revocation' AND linked_case_id=1")" -eq 1 ]
check "each missed clock is recorded once" \
    [ "$(q "SELECT count(*) FROM events WHERE case_id=1 AND type='clock_missed'")" -eq 2 ]
run
check "a second sweep opens nothing more and records nothing twice" \
    [ "$(q "SELECT count(*) FROM cases WHERE kind='delayed_revocation'")" -eq 1 ] && \
    [ "$(q "SELECT count(*) FROM events WHERE case_id=1 AND type='clock_missed'")" -eq 2 ]
check "the met clock never paged again" \
    [ "$(q "SELECT count(*) FROM escalations WHERE clock='cpr_preliminary_report'")" -eq 1 ]

# --- privacy: no page carries a reporter's name or address ---
cat "$tmp/a.log" "$tmp/b.log" "$tmp/c.log" "$tmp/m.mail"/*.eml >"$tmp/all-pages"
check "pages carry no reporter name or address of sample 001" python3 -c "
import json
m=json.load(open('$samples/manifest.json'))
s=[x for x in m if x['file'].startswith('001')][0]
text=open('$tmp/all-pages').read().lower()
for secret in s['secret_names']+s['secret_emails']:
    assert secret.lower() not in text, secret
"
# --- evidence: the markdown timeline and the response-time report ---
cpr audit export --case 1 --format markdown >"$tmp/timeline.md" 2>"$tmp/md.err"
check "audit export --format markdown: a timeline in UTC at minute granularity" python3 -c "
t=open('$tmp/timeline.md').read()
assert '### Timeline: CPR-2025-0001' in t, t
assert '| 2025-05-12 13:03 UTC | Report received by the CA' in t, t
assert 'Preliminary report sent to the reporter and the Subscriber, by alice' in t, t
assert 'On-call acknowledged the report, by bob' in t, t
assert '| 2025-05-12 13:04 UTC | On-call notified \\(page\\): chat, hook, mail, pd |' in t, t
assert '| 2025-05-12 15:03 UTC | On-call notified \\(page\\): flaky, later |' in t, t
assert ':14Z' not in t and ':18 UTC' not in t
"
check "the markdown timeline names no reporter" python3 -c "
import json
m=json.load(open('$samples/manifest.json'))
s=[x for x in m if x['file'].startswith('001')][0]
t=open('$tmp/timeline.md').read().lower()
for secret in s['secret_names']+s['secret_emails']:
    assert secret.lower() not in t, secret
"
cpr audit report --json >"$tmp/report.json"
check "audit report --json: per clock count, met, missed, median, p90" python3 -c "
import json
d=json.load(open('$tmp/report.json'))
c={x['clock']:x for x in d['clocks']}
p=c['cpr_preliminary_report']
assert (p['count'],p['met'],p['missed'],p['median_seconds'],p['p90_seconds'])==(1,1,0,46602,46602), p
r=c['revocation']
assert (r['count'],r['met'],r['missed'],r['median_seconds'])==(1,0,1,None), r
"
check "status shows an empty backlog" sh -c "'$bin' --config '$conf' --db '$db' status --json | grep -q '\"outbox_backlog\" : 0'"
check "audit verify holds after all of it" sh -c "'$bin' --config '$conf' --db '$db' audit verify >/dev/null"
check "no sanitizer reports" sh -c "! grep -q 'Sanitizer' '$tmp/run.err'"
tap_done

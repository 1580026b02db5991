#!/bin/sh
# t_query_plans.sh - issue 16: no statement on the path of a message or of a
# notify tick walks a table that grows with the mail. The test build prints,
# with CPR_INTAKE_SQL_PLANS set, every plan step of a newly prepared statement
# that is a full SCAN, a MULTI-INDEX OR, or an index searched by a type alone
# (agent/store.c, plan_check). Ingest of every fixture mail with a page target
# configured (so every new case builds its redacted page), a notify tick, and
# `show` and `draft` of a case run so; each printed statement must be on the
# allow-list below, with the reason it is bounded. A walk like the one that once took 63 % of a
# 10,000-message ingest (docs/bench.md) fails here, printed.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/plans.db"
# A webhook nobody listens on: pages are built and queued at intake, and the
# tick's delivery fails and is retried later, which is all this test needs.
conf="$tmp/plans.conf"
cat "$CPR_FIXTURES/conf/samples.conf" - >"$conf" <<'EOT'

[notify.hook]
type=webhook
url=http://127.0.0.1:9/hook
EOT

CPR_INTAKE_SQL_PLANS=1 CPR_INTAKE_NOW=1796000000 "$bin" --config "$conf" --db "$db" ingest \
    "$CPR_FIXTURES"/samples/*.eml "$CPR_FIXTURES"/corpus/mail/* "$CPR_FIXTURES"/corpus-blind/mail/* \
    >/dev/null 2>"$tmp/ingest.err"
check "ingest of every fixture mail ran (stored $(sqlite3 "$db" 'SELECT count(*) FROM messages') messages)" \
    [ "$(sqlite3 "$db" 'SELECT count(*) FROM messages')" -gt 100 ]
CPR_INTAKE_SQL_PLANS=1 CPR_INTAKE_NOW=1796900000 "$bin" --config "$conf" --db "$db" notify-run --once \
    >/dev/null 2>"$tmp/notify.err"
check "pages were built and queued for the new cases" \
    [ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE kind = 'page'")" -gt 0 ]
case_id=$(sqlite3 "$db" 'SELECT min(case_id) FROM messages WHERE case_id IS NOT NULL')
CPR_INTAKE_SQL_PLANS=1 CPR_INTAKE_NOW=1796900000 "$bin" --config "$conf" --db "$db" show "$case_id" \
    >/dev/null 2>"$tmp/show.err"
CPR_INTAKE_SQL_PLANS=1 CPR_INTAKE_NOW=1796900000 "$bin" --config "$conf" --db "$db" draft "$case_id" \
    >"$tmp/draft.md" 2>"$tmp/draft.err"
check "show and draft of case $case_id ran" test -s "$tmp/draft.md"
grep -h '^sqlplan: ' "$tmp/ingest.err" "$tmp/notify.err" "$tmp/show.err" "$tmp/draft.err" |
    sort -u >"$tmp/plans"
check "the plan check printed what it saw (it is on in the test build)" test -s "$tmp/plans"

# statement (its start), the plan step allowed, and why it is bounded
cat >"$tmp/allowed" <<'ALLOW'
WITH m AS (SELECT id FROM messages WHERE case_id = ?1)|SCAN m|the case's own messages (a CTE)
WITH m AS (SELECT id FROM messages WHERE case_id = ?1)|SCAN c|the certificates of those messages (a CTE)
SELECT id, hash FROM events ORDER BY id DESC LIMIT 1|SCAN events|the last row of the chain: one step back from the end
SELECT coalesce(min(id), 0) FROM ( SELECT c.id AS id FROM identifiers i|SCAN json_each VIRTUAL TABLE INDEX 1:|the message's own identifiers, bound as a JSON list
SELECT case_id FROM clocks_upgrade_pending|SCAN clocks_upgrade_pending|emptied by the upgrade pass after a migration
SELECT k.case_id, k.clock, k.ref, k.due_at, k.rule,|SCAN k|the sweep reads every open clock of open cases, by design; bounded by open work, once a tick
SELECT k.case_id, k.clock, k.starts_at, k.due_at,|SCAN k|escalation reads every open clock of open cases, by design; bounded by open work, once a tick
SELECT DISTINCT target FROM outbox INDEXED BY outbox_pending|SCAN outbox USING INDEX outbox_pending|the partial index of pending rows only
SELECT email FROM consent WHERE revoked_at IS NULL ORDER BY email|SCAN consent USING INDEX sqlite_autoindex_consent_1|the reporters who consented to be named: grows with consents, not mail
SELECT id, reference, kind FROM cases WHERE linked_case_id = ?1 OR id = (SELECT linked_case_id|SCAN cases|show: once per command, over cases, not messages
SELECT count(DISTINCT j.value) FROM events e, json_each(e.details, '$.message_rows') j|SCAN j VIRTUAL TABLE INDEX 3:|the triage digest, once per digest period (hours), over its own message rows
SELECT count(DISTINCT j.value) FROM events e, json_each(e.details, '$.message_rows') j|SEARCH e USING AUTOMATIC PARTIAL COVERING INDEX (type=?)|the triage digest, once per digest period (hours): a walk of the chain it accepts
ALLOW
python3 - "$tmp/plans" "$tmp/allowed" >"$tmp/unexpected" <<'PY'
import sys
allowed = [l.rstrip("\n").split("|", 2) for l in open(sys.argv[2]) if l.strip()]
for line in open(sys.argv[1]):
    detail, _, sql = line[len("sqlplan: "):].rstrip("\n").partition(" | ")
    if not any(sql.startswith(a[0]) and detail == a[1] for a in allowed):
        print("%s | %s" % (detail, sql[:160]))
PY
sed 's/^/# walks: /' "$tmp/unexpected"
check "no statement walks a table that grows with the mail, beyond the allow-list" test ! -s "$tmp/unexpected"
tap_done

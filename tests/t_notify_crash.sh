#!/bin/sh
# t_notify_crash.sh - a worker killed (SIGKILL) between the commit of a page
# and its delivery delivers it after restart, exactly once; killed after the
# request but before recording it, the retry carries the same Idempotency-Key
# and PagerDuty dedup_key, so the receiver can tell it is the same page. The
# kill comes from the fault point CPR_INTAKE_FAULT (agent/notify/notify.c), which
# raises SIGKILL at an exact line.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" a; rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
A=1747054998
hp=$(http_sink_start "$tmp" a)
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[notify.hook]
type=webhook
url=http://127.0.0.1:$hp/hook
EOT
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
export CPR_INTAKE_NOW=$((A + 60))

cpr ingest "$samples/001-kc-csr-proof.eml" >/dev/null
CPR_INTAKE_FAULT=notify-after-claim cpr notify-run --once >/dev/null 2>&1
rc=$?
check "the worker was killed between commit and delivery (SIGKILL)" [ "$rc" -eq 137 ]
check "nothing reached the receiver" [ "$(sink_count "$tmp" a)" -eq 0 ]
check "the page survived, claimed once" \
    [ "$(q "SELECT attempts || ':' || (delivered_at IS NULL) FROM outbox WHERE case_id=1")" = "1:1" ]
cpr notify-run --once >/dev/null 2>&1
check "restarted at once: the claim's backoff is respected (no hammering)" [ "$(sink_count "$tmp" a)" -eq 0 ]
export CPR_INTAKE_NOW=$((A + 60 + 3600))
cpr notify-run --once >/dev/null 2>"$tmp/err"
check "after the backoff the page is delivered" [ "$(sink_count "$tmp" a /hook)" -eq 1 ]
cpr notify-run --once >/dev/null 2>&1
export CPR_INTAKE_NOW=$((A + 60 + 7200))
cpr notify-run --once >/dev/null 2>&1
check "exactly once" [ "$(sink_count "$tmp" a /hook)" -eq 1 ]
check "recorded delivered" [ "$(q "SELECT delivered_at IS NOT NULL FROM outbox WHERE case_id=1")" -eq 1 ]

# killed after the request went out, before it was recorded
cpr ingest "$samples/003-misissuance-pem-attachment.eml" >/dev/null
CPR_INTAKE_FAULT=notify-after-send cpr notify-run --once >/dev/null 2>&1
check "killed after sending" [ $? -eq 137 ]
export CPR_INTAKE_NOW=$((A + 60 + 7200 + 3600))
cpr notify-run --once >/dev/null 2>&1
check "the unrecorded attempt is retried with the same Idempotency-Key" python3 -c "
import json
rs=[json.loads(l) for l in open('$tmp/a.log')]
keys=[r['headers']['Idempotency-Key'] for r in rs if 'CPR-2025-0002' in r['body']]
assert keys==['new_case:2','new_case:2'], keys
"
check "and then recorded delivered, not sent a third time" \
    [ "$(q "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")" -eq 2 ]
tap_done

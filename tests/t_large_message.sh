#!/bin/sh
# t_large_message.sh - issue 16: a 30 MB report in bounded memory. The
# message is generated here (never committed): a short text/plain report and
# a 30 MB base64 attachment. The release build bin/cpr-intake ingests it from
# a file; its peak RSS (getrusage(RUSAGE_CHILDREN), tests/peak_rss.py) must
# stay under 64 MB, the raw bytes must be stored exactly, the headers and
# the report text read, and the attachment (over the bound) skipped.
. "$CPR_TOP/tests/tap.sh"
bin="$CPR_TOP/bin/cpr-intake"
conf="$CPR_FIXTURES/conf/samples.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1796292000
limit_kb=$((64 * 1024))

if [ ! -x "$bin" ]; then
    not_ok "release build $bin exists (make test-bins builds it)"
    tap_done; exit
fi
python3 "$CPR_TOP/tests/large_message.py" "$tmp/large.eml" 30
size=$(wc -c <"$tmp/large.eml")
check "a message of about 30 MB was generated" [ "$size" -gt 30000000 ]

set -- $(python3 "$CPR_TOP/tests/peak_rss.py" "$tmp/ingest.log" \
    "$bin" --config "$conf" --db "$tmp/large.db" ingest "$tmp/large.eml")
rss=$1 rc=$2
echo "# file intake: peak RSS $((rss / 1024)) MB, exit $rc"
q() { sqlite3 "$tmp/large.db" "$1"; }
check "ingest exits 1: stored, quarantined for the skipped attachment" [ "$rc" -eq 1 ]
check "one message stored" [ "$(q 'SELECT count(*) FROM messages')" = 1 ]
check "peak RSS $((rss / 1024)) MB is under 64 MB" test "$rss" -gt 0 -a "$rss" -lt "$limit_kb"
check "stored raw length equals the input" \
    [ "$(q 'SELECT length(raw) FROM message_raw')" = "$size" ]
q "SELECT writefile('$tmp/out.eml', raw) FROM message_raw" >/dev/null
check "stored raw bytes equal the input" cmp -s "$tmp/large.eml" "$tmp/out.eml"
check "messages.size is the size received" [ "$(q 'SELECT size FROM messages')" = "$size" ]
check "the headers were read" \
    [ "$(q 'SELECT subject FROM messages')" = "Key compromise: full key dump attached" ]
check "the report text was read: a CPR with its serial" sh -c "
    [ \"\$(sqlite3 '$tmp/large.db' 'SELECT kind FROM messages')\" = cpr ] &&
    [ \"\$(sqlite3 '$tmp/large.db' \"SELECT count(*) FROM identifiers WHERE type = 'serial'\")\" -ge 1 ]"
check "the attachment over the bound was skipped, and says so" \
    grep -q "dump.bin longer than .* skipped, not scanned" "$tmp/ingest.log"
tap_done

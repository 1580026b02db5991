#!/bin/sh
# t_report_html.sh - `audit report --format html [--output FILE]` (issue 14):
# one self-contained page (no script, nothing from the network), an inline
# <svg> timeline per case, the clock statuses at a glance, and a table with
# exactly the figures of `audit report --json`; rendered by headless Chromium
# without console errors into a screenshot that is not blank and shows the
# status colours. `--json` stays `--format json`.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
cpr() { "$bin" --config "$CPR_FIXTURES/conf/samples.conf" --db "$db" "$@"; }

export CPR_INTAKE_NOW=1749513600 # 2025-06-10T00:00:00Z
cpr ingest "$CPR_FIXTURES"/samples/*.eml >/dev/null 2>&1
# one clock met in time, one met late (each recorded when it happened), one met
# in time but recorded days later (back-filled), one case found not to be an
# incident (withdrawn); the rest missed or still open
CPR_INTAKE_NOW=1747080000 cpr event CPR-2025-0001 preliminary_report_sent --at 2025-05-12T20:00:00Z --by alice >/dev/null
CPR_INTAKE_NOW=1748347200 cpr event CPR-2025-0002 revoked --at 2025-05-27T12:00:00Z --by bob >/dev/null
cpr event CPR-2025-0004 preliminary_report_sent --at "$(sqlite3 "$db" "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', aware_at + 3600, 'unixepoch') FROM cases WHERE reference='CPR-2025-0004'")" --by carol >/dev/null
cpr case incident CPR-2025-0002 no --rationale "the CAA record was added after issuance" >/dev/null
cases=$(cpr list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

cpr audit report --format html >"$tmp/stdout.html" 2>"$tmp/err"
check "audit report --format html exits 0" [ $? -eq 0 ]
cpr audit report --format html --output "$tmp/report.html" >"$tmp/out" 2>>"$tmp/err"
check "--output FILE writes the page there and nothing on stdout" \
    sh -c "[ -s '$tmp/report.html' ] && [ ! -s '$tmp/out' ]"
check "the page on stdout and in the file are the same" cmp -s "$tmp/stdout.html" "$tmp/report.html"
check "one page" sh -c "[ \"\$(grep -c '<html' '$tmp/report.html')\" = 1 ] && tail -n 1 '$tmp/report.html' | grep -q '</html>'"
check "no script, no link or source, nothing from the network" \
    sh -c "! grep -Eiq '<script|https?:|src=|href=|@import|url\\(' '$tmp/report.html'"
check "an inline <svg> timeline per case ($cases)" \
    [ "$(grep -c '<svg class="timeline"' "$tmp/report.html")" = "$cases" ]
for s in met met_late missed withdrawn open; do
    check "status $s at a glance" grep -q "class=\"badge b-$s\">[a-z_]*: $s<" "$tmp/report.html"
done
check "a clock met by a back-filled event says so" grep -q "class=\"badge b-met\">[a-z_]*: met (back-filled)<" "$tmp/report.html"
check "the receipt is on each timeline" [ "$(grep -c 'class="receipt"' "$tmp/report.html")" = "$cases" ]

cpr audit report --json >"$tmp/report.json"
cpr audit report --format json >"$tmp/report2.json"
check "--json is --format json" cmp -s "$tmp/report.json" "$tmp/report2.json"
check "--json with --format html is refused" sh -c "! '$bin' --config '$CPR_FIXTURES/conf/samples.conf' --db '$db' audit report --json --format html 2>/dev/null"
check "the table holds exactly the figures of audit report --json" python3 - "$tmp/report.html" "$tmp/report.json" <<'PY'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.in_table = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "figures": self.in_table = True
        elif self.in_table and tag == "tr": self.rows.append({})
        elif self.in_table and tag == "td": self.rows[-1][a["data-key"]] = a["data-value"]
    def handle_endtag(self, tag):
        if tag == "table": self.in_table = False
p = P(); p.feed(open(sys.argv[1]).read())
rows = [r for r in p.rows if r]
want = json.load(open(sys.argv[2]))["clocks"]
assert len(want) > 0 and len(rows) == len(want), (rows, want)
for r, w in zip(rows, want):
    assert set(r) == set(w), (r, w)
    for k, v in w.items():
        assert r[k] == ("null" if v is None else str(v)), (k, r[k], v)
PY

# Headless Chromium (Debian's), as root hence --no-sandbox.
profile=$(mktemp -d)
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 --window-size=1100,1400 \
    --screenshot="$tmp/shot.png" "file://$tmp/report.html" >"$tmp/chromium.out" 2>"$tmp/chromium.err"
rc=$?
rm -rf "$profile"
check "chromium renders the page" sh -c "[ $rc -eq 0 ] && [ -s '$tmp/shot.png' ]"
check "no console message (error, CSP violation, failed load)" sh -c "! grep -q ':CONSOLE' '$tmp/chromium.err'"
grep ':CONSOLE' "$tmp/chromium.err" | head -n 5 | sed 's/^/# /'
python3 "$CPR_TOP/tests/png_colors.py" "$tmp/shot.png" >"$tmp/colors.json" 2>&1
check "the screenshot is not blank and shows met, late, missed and open colours" python3 -c "
import json
c = json.load(open('$tmp/colors.json'))
assert c['not_white_share'] > 0.02 and min(c['green'], c['red'], c['orange'], c['blue']) > 50, c"
sed 's/^/# /' "$tmp/colors.json"
tap_done

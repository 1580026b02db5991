#!/bin/sh
# t_readme.sh - the README's examples run (issue 18): every indented line of
# README.md starting with `bin/cpr-intake` (with its continuation lines) is
# run in order from the top of the tree, against the sanitizer build and a
# throwaway database, and must exit 0. The sample configuration
# conf/cpr-intake.conf names every key the loader knows (agent/config.c), and
# each commented key=value in an active section is the real default (as
# `check-config --print` shows it).
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1750000000 # 2025-06-15T15:06:40Z

python3 - "$CPR_TOP/README.md" >"$tmp/examples" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = 0
while i < len(lines):
    l = lines[i]
    if l.startswith("    bin/cpr-intake "):
        cmd = l[4:]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + " " + lines[i].strip()
        print(cmd)
    i += 1
PY
n=$(wc -l <"$tmp/examples")
check "the README has its examples ($n, at least 12)" [ "$n" -ge 12 ]
check "the README's first example ingests the samples" sh -c "head -1 '$tmp/examples' | grep -q ' ingest '"
i=0
while IFS= read -r cmd; do
    i=$((i + 1))
    run=$(printf '%s\n' "$cmd" | sed "s|^bin/cpr-intake|\"\$CPR_INTAKE\"|; s|/tmp/cpr.db|$tmp/cpr.db|g")
    (cd "$CPR_TOP" && eval "$run") >"$tmp/out.$i" 2>"$tmp/err.$i"
    rc=$?
    [ $rc -eq 0 ] || sed 's/^/# /' "$tmp/err.$i"
    check "README example $i exits 0: $(printf '%s' "$cmd" | cut -c1-150)" [ $rc -eq 0 ]
done <"$tmp/examples"
check "no README example wrote to /tmp/cpr.db itself" sh -c "! grep -q '/tmp/cpr.db' '$tmp/examples' || [ ! -e /tmp/cpr.db ] || [ /tmp/cpr.db -ot '$tmp/examples' ]"

# --- the sample configuration: every key, real defaults ---
"$bin" --config "$CPR_TOP/conf/cpr-intake.conf" check-config --print >"$tmp/print" 2>"$tmp/err"
check "the sample configuration loads (check-config --print)" [ $? -eq 0 ]
check "the sample configuration names every key with its real default" python3 - \
    "$CPR_TOP/agent/config.c" "$CPR_TOP/conf/cpr-intake.conf" "$tmp/print" <<'PY'
import re, sys
spec_src, sample, printed = (open(p).read() for p in sys.argv[1:4])
specs = set(re.findall(r'\{"([a-z.*]+)", "([a-z_0-9]+)", K_[A-Z]+, (?:TRUE|FALSE)\}', spec_src))
assert len(specs) > 40, len(specs)
def sections(text, commented_too):
    out, sec, active = {}, None, False
    for line in text.splitlines():
        m = re.match(r'^(#?)\[([a-z0-9_.]+)\]\s*$', line)
        if m:
            sec, active = m.group(2), m.group(1) == ""
            continue
        m = re.match(r'^(#?)([a-z_0-9]+)=(.*)$', line)
        if m and sec and (commented_too or not m.group(1)):
            out.setdefault(sec, {})[m.group(2)] = (m.group(3), m.group(1) == "#", active)
    return out
have = sections(sample, True)
missing = []
for group, key in specs:
    secs = [s for s in have if (s.startswith("notify.") if group == "notify.*" else s == group)]
    if not any(key in have[s] for s in secs):
        missing.append(f"[{group}] {key}")
assert not missing, "keys missing from the sample: " + ", ".join(sorted(missing))
shown = sections(printed, False)
unset, sec = set(), None          # "# key=(unset...)": no default, the sample is an example
for line in printed.splitlines():
    m = re.match(r'^\[([a-z0-9_.]+)\]$', line)
    sec = m.group(1) if m else sec
    m = re.match(r'^# ([a-z_0-9]+)=\(unset', line)
    if m:
        unset.add((sec, m.group(1)))
wrong = []
for sec, keys in have.items():
    for key, (value, commented, active) in keys.items():
        if commented and active and (sec, key) not in unset:   # "#key=value": the default
            got = shown.get(sec, {}).get(key, (None,))[0]
            if got != value:
                wrong.append(f"[{sec}] {key}: sample says {value!r}, the loader uses {got!r}")
assert not wrong, "; ".join(wrong)
PY
tap_done

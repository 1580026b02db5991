#!/bin/sh
# t_readme.sh - the README's examples run (issue 18): every indented block of
# README.md that holds a `bin/cpr-intake` line is run, line by line, in order,
# in one shell from the top of the tree, against the sanitizer build and
# throwaway databases; every line must exit 0. The sample configuration
# conf/cpr-intake.conf names every key the loader knows (agent/config.c), and
# each commented key=value in an active section is the real default (as
# `check-config --print` shows it).
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CPR_INTAKE_NOW=1750000000 # 2025-06-15T15:06:40Z

# Every indented block of README.md with a `bin/cpr-intake` line is run, line
# by line (continuations joined), in one shell, in order: exports carry over.
python3 - "$CPR_TOP/README.md" >"$tmp/examples" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
blocks, cur, prev_blank = [], None, True
for l in lines:
    if l.startswith("    ") and (cur is not None or prev_blank):
        if cur is None:
            cur = []
        cur.append(l[4:])
    elif cur is not None:
        blocks.append(cur)
        cur = None
    prev_blank = l.strip() == ""
if cur:
    blocks.append(cur)
for b in blocks:
    if not any(x.startswith("bin/cpr-intake ") for x in b):
        continue
    i = 0
    while i < len(b):
        cmd = b[i]
        while cmd.endswith("\\") and i + 1 < len(b):
            i += 1
            cmd = cmd[:-1] + " " + b[i].strip()
        if cmd.strip() and not cmd.lstrip().startswith("#"):
            print(cmd)
        i += 1
PY
n=$(grep -c '^bin/cpr-intake ' "$tmp/examples")
check "the README has its examples ($n cpr-intake lines, at least 18)" [ "$n" -ge 18 ]
# one script: each line's exit status is recorded; the databases are ours
{
    echo 'cd "$CPR_TOP" || exit 1'
    i=0
    while IFS= read -r cmd; do
        i=$((i + 1))
        printf '%s\n' "$cmd" | sed "s|^bin/cpr-intake|\"\$CPR_INTAKE\"|; s|\$PWD/tests/fixtures|$CPR_TOP/tests/fixtures|g; s|/tmp/cpr\([-a-z]*\)\.db|$tmp/cpr\1.db|g" |
            tr '\n' ' '
        printf '>"%s/out.%d" 2>"%s/err.%d"; echo "%d $?" >>"%s/rc"\n' "$tmp" "$i" "$tmp" "$i" "$i" "$tmp"
    done <"$tmp/examples"
} >"$tmp/run.sh"
sh "$tmp/run.sh"
i=0
while IFS= read -r cmd; do
    i=$((i + 1))
    rc=$(awk -v i="$i" '$1 == i { print $2 }' "$tmp/rc")
    [ "$rc" = 0 ] || sed 's/^/# /' "$tmp/err.$i"
    check "README example $i exits 0: $(printf '%s' "$cmd" | cut -c1-150)" [ "$rc" = 0 ]
done <"$tmp/examples"
check "the examples used only throwaway databases" sh -c "! grep -q /tmp/cpr '$tmp/run.sh'"

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

#!/bin/sh
# t_install.sh - `make install PREFIX=/usr DESTDIR=D` lays out a Debian service
# (issue 14): the unit's ExecStart is the PREFIX's binary, a configuration
# error (exit 2) is not restarted forever, no core dumps; `systemd-analyze
# verify --root=D` passes; sysusers.d creates the service user and tmpfiles.d
# its directories, and that user can read the configuration and use the state
# directory; man pages render; bash completion completes; the staged binary
# finds its templates beside itself (its `draft` works from any directory);
# `help` and `--help` print to stdout, exit 0 and read no configuration.
. "$CPR_TOP/tests/tap.sh"
bin=${CPR_INTAKE:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
D="$tmp/root"
P=/usr

make -s -C "$CPR_TOP" install PREFIX=$P DESTDIR="$D" INSTALL_BIN="$bin" >"$tmp/install.log" 2>&1
check "make install PREFIX=$P DESTDIR=D succeeds" [ $? -eq 0 ]
for f in bin/cpr-intake lib/systemd/system/cpr-intake.service lib/sysusers.d/cpr-intake.conf \
    lib/tmpfiles.d/cpr-intake.conf share/man/man8/cpr-intake.8 share/man/man5/cpr-intake.conf.5 \
    share/bash-completion/completions/cpr-intake share/cpr-intake/templates/ccadb-preliminary-3.2.md; do
    check "installed D$P/$f" [ -s "$D$P/$f" ]
done
check "the binary is executable" [ -x "$D$P/bin/cpr-intake" ]
U="$D$P/lib/systemd/system/cpr-intake.service"
check "unit: ExecStart=$P/bin/cpr-intake run" grep -qx "ExecStart=$P/bin/cpr-intake run" "$U"
check "unit: no /usr/local left" sh -c "! grep -q /usr/local '$U'"
check "unit: RestartPreventExitStatus=2" grep -qx "RestartPreventExitStatus=2" "$U"
check "unit: LimitCORE=0" grep -qx "LimitCORE=0" "$U"
check "unit: runs as cpr-intake" grep -qx "User=cpr-intake" "$U"
check "unit: no ConfigurationDirectory= (it made the configuration unreadable)" \
    sh -c "! grep -q '^ConfigurationDirectory' '$U'"

# systemd-analyze verify in D: D holds our install plus what the base system
# provides there (systemd's own targets and slices, /bin/kill); MANPATH points
# at D so that Documentation=man: finds the installed pages.
mkdir -p "$D/bin" "$D/etc"
cp /bin/kill "$D/bin/kill"
for u in /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice; do
    [ -e "$D$P/lib/systemd/system/$(basename "$u")" ] || cp -P "$u" "$D$P/lib/systemd/system/"
done
MANPATH="$D$P/share/man" systemd-analyze verify --root="$D" cpr-intake.service >"$tmp/verify.log" 2>&1
rc=$?
check "systemd-analyze verify --root=D passes" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/# /' "$tmp/verify.log"

systemd-sysusers --root="$D" >/dev/null 2>&1
check "sysusers.d creates the cpr-intake user" grep -q '^cpr-intake:x:[0-9]*:[0-9]*:.*:/var/lib/cpr-intake:' "$D/etc/passwd"
uid=$(awk -F: '$1 == "cpr-intake" { print $3 }' "$D/etc/passwd")
gid=$(awk -F: '$1 == "cpr-intake" { print $4 }' "$D/etc/passwd")
mkdir -p "$D/etc/cpr-intake"
cat "$CPR_FIXTURES/conf/samples.conf" >"$D/etc/cpr-intake/cpr-intake.conf"
chmod 600 "$D/etc/cpr-intake/cpr-intake.conf"
systemd-tmpfiles --root="$D" --create cpr-intake.conf >"$tmp/tmpfiles.log" 2>&1
check "tmpfiles.d applies" [ $? -eq 0 ]
check "/var/lib/cpr-intake: 0700, the service user's" \
    [ "$(stat -c '%a %u' "$D/var/lib/cpr-intake")" = "700 $uid" ]
check "/etc/cpr-intake: 0750 root, group cpr-intake" \
    [ "$(stat -c '%a %u %g' "$D/etc/cpr-intake")" = "750 0 $gid" ]
check "the configuration: 0640 root, group cpr-intake" \
    [ "$(stat -c '%a %u %g' "$D/etc/cpr-intake/cpr-intake.conf")" = "640 0 $gid" ]
setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    "$D$P/bin/cpr-intake" --config "$D/etc/cpr-intake/cpr-intake.conf" \
    --db "$D/var/lib/cpr-intake/cpr-intake.db" ingest "$CPR_FIXTURES/samples/001-kc-csr-proof.eml" \
    >"$tmp/as-user.out" 2>&1
check "the service user reads the configuration and writes the database" \
    [ -s "$D/var/lib/cpr-intake/cpr-intake.db" ]

for m in man8/cpr-intake.8 man5/cpr-intake.conf.5; do
    LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$D$P/share/man/$m" >"$tmp/groff.log" 2>&1
    check "man page $m renders without warnings" sh -c "[ ! -s '$tmp/groff.log' ]"
done
check "cpr-intake(8) documents the lock and the journal" \
    sh -c "MANWIDTH=100 man -l '$D$P/share/man/man8/cpr-intake.8' 2>/dev/null | grep -q 'JOURNAL_STREAM'"
check "bash completion completes commands and options" bash -c "
. '$D$P/share/bash-completion/completions/cpr-intake'
COMP_WORDS=(cpr-intake --config x sta); COMP_CWORD=3; _cpr_intake; [ \"\${COMPREPLY[*]}\" = status ] || exit 1
COMP_WORDS=(cpr-intake run --lo); COMP_CWORD=2; _cpr_intake; [ \"\${COMPREPLY[*]}\" = --log-level ]"

# The staged binary, run from a directory without conf/templates, drafts with
# the templates installed beside it (its compiled-in share directory is not
# there yet).
cd "$tmp" || exit 1
S="$D$P/bin/cpr-intake"
"$S" --config "$CPR_FIXTURES/conf/samples.conf" --db "$tmp/d.db" ingest \
    "$CPR_FIXTURES/samples/001-kc-csr-proof.eml" >/dev/null 2>&1
"$S" --config "$CPR_FIXTURES/conf/samples.conf" --db "$tmp/d.db" draft 1 >"$tmp/draft.md" 2>"$tmp/draft.err"
check "the staged binary's draft works" grep -q '^## Preliminary Incident Report' "$tmp/draft.md"
[ -s "$tmp/draft.err" ] && sed 's/^/# /' "$tmp/draft.err"

# help without configuration: a missing file and one that is not a configuration
printf '[nonsense\n' >"$tmp/bad.conf"
for c in "$tmp/missing.conf" "$tmp/bad.conf"; do
    n=$(basename "$c")
    "$S" --config "$c" help >"$tmp/h.out" 2>"$tmp/h.err"
    check "help with $n: exit 0, the commands on stdout" \
        sh -c "[ $? -eq 0 ] && grep -q '^  run ' '$tmp/h.out' && [ ! -s '$tmp/h.err' ]"
    "$S" --config "$c" help draft >"$tmp/h.out" 2>"$tmp/h.err"
    check "help draft with $n: exit 0, its usage on stdout" \
        sh -c "[ $? -eq 0 ] && grep -q '^usage: cpr-intake .*draft CASE' '$tmp/h.out' && [ ! -s '$tmp/h.err' ]"
    "$S" --config "$c" status --help >"$tmp/h.out" 2>"$tmp/h.err"
    check "status --help with $n: exit 0, the exit statuses on stdout" \
        sh -c "[ $? -eq 0 ] && grep -q '0 healthy, 1 degraded, 2 down' '$tmp/h.out' && [ ! -s '$tmp/h.err' ]"
    CPR_INTAKE_CONFIG="$c" "$S" audit report --help >"$tmp/h.out" 2>"$tmp/h.err"
    check "audit report --help with \$CPR_INTAKE_CONFIG=$n: exit 0" \
        sh -c "[ $? -eq 0 ] && grep -q 'audit report' '$tmp/h.out'"
done
"$S" --config "$tmp/missing.conf" help nosuch >/dev/null 2>"$tmp/h.err"
check "help for an unknown command: exit 2" [ $? -eq 2 ]
tap_done

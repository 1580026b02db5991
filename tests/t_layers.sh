#!/bin/sh
# t_layers.sh - the shape of the house (issue 19), checked on every run so that
# it stays: no circle between the objects of the library (tests/layers.py over
# the archive the tests link), no .c file in agent/ or parsers/ over 800 lines,
# include/ holding public headers only (no *_internal.h) and none of them
# pulling in timefmt.h, cleanup labels of one convention, and each helper of the utility layer defined once:
# neither a second global definition nor a file-local copy under its name in
# another object.
. "$CPR_TOP/tests/tap.sh"
top=$CPR_TOP
lib=$(dirname "${CPR_INTAKE:?}")/libcpr.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if python3 "$top/tests/layers.py" "$lib" >"$tmp/layers" 2>&1; then
    ok "no circle between the objects of $(basename "$(dirname "$lib")")/libcpr.a ($(tail -n 1 "$tmp/layers"))"
else
    sed 's/^/# /' "$tmp/layers"
    not_ok "objects of libcpr.a that use each other (cycles above)"
fi

long=$(cd "$top" && find agent parsers -name '*.c' -exec wc -l {} + | awk '$2 != "total" && $1 > 800 { print $2 " (" $1 " lines)" }')
check "no .c file in agent/ or parsers/ over 800 lines${long:+: $long}" test -z "$long"

internal=$(cd "$top" && ls include | grep '_internal\.h$')
check "include/ holds no private (*_internal.h) header${internal:+: $internal}" test -z "$internal"
timefmt=$(cd "$top" && grep -l '#include "timefmt.h"' include/*.h | grep -v '^include/timefmt.h$')
check "no public header includes timefmt.h${timefmt:+: $timefmt}" test -z "$timefmt"

# One cleanup-label convention (CONTRIBUTING.md): out:, fail:, rollback:.
labels=$(cd "$top" && grep -nE '^[a-z_]+:$' $(find agent parsers -name '*.c') | grep -vE ':(out|fail|rollback):$')
check "cleanup labels are out:, fail: or rollback:${labels:+: $labels}" test -z "$labels"

# Per-case identifier queries start from the case's messages (CONTRIBUTING.md):
# joined the other way round, SQLite walks identifiers_value over the store.
# (a lookup by identifier value, as cases.c does, rightly starts from them)
walks=$(cd "$top" && find agent parsers -name '*.c' -exec awk '
    /FROM identifiers i JOIN messages/ { at = FNR; next }
    at && FNR - at <= 2 && /case_id = \?/ { printf "%s:%d ", FILENAME, at; at = 0 }
    FNR - at > 2 { at = 0 }' {} +)
check "no query joins identifiers to messages from the identifiers' side${walks:+: $walks}" test -z "$walks"

# The helpers that had several copies before issue 19: one global definition
# each in the library, and no static function of the same name anywhere.
nm -A "$lib" 2>/dev/null >"$tmp/nm"
for sym in text_printable domain_is_or_under log_value secret_read secret_wipe \
    secret_file_check redact_fold store_column_dup; do
    home=$(awk -v s="$sym" '$2 == "T" && $3 == s { split($1, p, ":"); print p[2] }' "$tmp/nm")
    global=$(echo "$home" | grep -c .)
    # (a compiler clone such as NAME.part.0 beside the global one is not a copy)
    copies=$(awk -v s="$sym" -v home="$home" '$2 == "t" && ($3 == s || index($3, s ".") == 1) {
        split($1, p, ":"); if (p[2] != home) printf "%s ", p[2] }' "$tmp/nm")
    check "$sym: one definition (global: $global${copies:+; file-local copies in $copies})" \
        test "$global" -eq 1 -a -z "$copies"
done
# A text column is copied with store_column_dup(), not by hand or by a
# file's own copy of it (four files had one).
dups=$(grep -rn 'g_strdup((const char \*)sqlite3_column_text\|char \*column_dup(' "$CPR_TOP/agent" | sed "s|$CPR_TOP/||")
check "text columns copied only through store_column_dup${dups:+: $dups}" test -z "$dups"
tap_done

#!/bin/sh
# t_fuzz.sh - the fuzz targets in `make check`, without clang: each target of
# tests/fuzz/fuzz_*.c built by gcc with the test sanitizers around a plain
# main() (tests/fuzz/replay.c, build/san/fuzz/<target>) replays
#   - every saved crash input of tests/fixtures/fuzz-regressions (file name
#     <target>-<what>), one test each: a fixed bug that comes back fails here;
#   - every seed input of the target (tests/fuzz/seeds.sh), cut to the
#     target's -max_len as libFuzzer cuts its corpus.
# The libFuzzer build and a short fuzzing run from the seeds: `make fuzz-smoke`
# (tests/fuzz/smoke.sh); long runs: `make fuzz FUZZ_SECONDS=N`. Inputs named
# *-libetpan-crash-* crash inside libetpan itself, past the response guard
# (agent/imap/imap_guard_stream.c), and are skipped unless FUZZ_LIBETPAN=1; there
# are none at present: the guard's own inputs are *-guard-* and always replay.
top=${CPR_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
. tests/tap.sh
. tests/fuzz/seeds.sh
bindir=$(dirname "${CPR_INTAKE:-$top/build/san/cpr-intake}")/fuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The project's leak suppressions plus libetpan's own parser leaks.
cat tests/lsan.supp tests/fuzz/lsan.supp >"$tmp/lsan.supp"
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0"

for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    bin=$bindir/$name
    if [ ! -x "$bin" ]; then
        not_ok "$name: no $bin (make test-bins builds it)"
        continue
    fi
    fuzz_replay_regressions "$name" "$bin" "$tmp/replay.log"
    max=$(fuzz_options "$name" | tr ' ' '\n' | grep '^-max_len=')
    # shellcheck disable=SC2046 # word splitting of the seed list is wanted
    if "$bin" $max $(fuzz_seeds "$name") >"$tmp/seeds.log" 2>&1; then
        ok "$name: every seed input ($(sed -n 's/^replayed \([0-9]*\) inputs$/\1/p' "$tmp/seeds.log"))"
    else
        not_ok "$name: a seed input fails"
        fuzz_report "$tmp/seeds.log"
    fi
done
tap_done

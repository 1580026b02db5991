#!/bin/sh
# smoke.sh - `make fuzz-smoke`: build the libFuzzer targets (clang, ASan+UBSan),
# replay every saved crash input of tests/fixtures/fuzz-regressions through
# its target (file name <target>-<what>), then fuzz each target briefly from
# its seeds: FUZZ_RUNS inputs (default 3000) or FUZZ_SMOKE_SECONDS (default
# 10), whichever ends first, with a fixed seed so a failure reproduces. TAP.
# `make check` replays the same inputs without clang (tests/t_fuzz.sh); long
# runs: `make fuzz FUZZ_SECONDS=N` (tests/fuzz/run.sh). Inputs named
# *-libetpan-crash-* crash inside libetpan itself, past the response guard
# (agent/imap/imap_guard_stream.c), and are skipped unless FUZZ_LIBETPAN=1; there
# are none at present: the guard's own inputs are *-guard-* and always replay.
top=${CPR_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 2
. tests/tap.sh
. tests/fuzz/seeds.sh
runs=${FUZZ_RUNS:-3000}
secs=${FUZZ_SMOKE_SECONDS:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The project's leak suppressions plus libetpan's own parser leaks.
cat tests/lsan.supp tests/fuzz/lsan.supp >"$tmp/lsan.supp"
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0"

if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
    skip "clang not installed (make deps installs it)"
    tap_done
    exit 0
fi
if make -s fuzz-bins >"$tmp/build.log" 2>&1; then
    ok "fuzz targets build"
else
    not_ok "fuzz targets build"
    grep -E 'error|Error' "$tmp/build.log" | head -n 20
    tap_done
    exit 1
fi

for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    bin=build/fuzz/$name
    fuzz_replay_regressions "$name" "$bin" "$tmp/replay.log"
    mkdir -p "$tmp/$name"
    # shellcheck disable=SC2046 # word splitting of the option and seed lists is wanted
    if "$bin" -runs="$runs" -max_total_time="$secs" -seed=1 -timeout=20 -rss_limit_mb=2048 \
        $(fuzz_options "$name") -artifact_prefix="$tmp/$name-" \
        "$tmp/$name" $(fuzz_seeds "$name") >"$tmp/run.log" 2>&1; then
        ok "$name: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$tmp/run.log" || echo done)"
    else
        not_ok "$name: short fuzz run found a problem (input kept in build/fuzz/smoke-artifacts)"
        mkdir -p build/fuzz/smoke-artifacts
        cp "$tmp/$name"-* build/fuzz/smoke-artifacts/ 2>/dev/null
        grep -E '^(fuzz_|  [a-z]+: |==[0-9]+==ERROR|SUMMARY|    #[0-9]+ |.*runtime error)' "$tmp/run.log" | head -n 40
    fi
done
tap_done

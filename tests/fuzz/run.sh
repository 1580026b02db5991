#!/bin/sh
# run.sh SECONDS BIN... - run each libFuzzer binary SECONDS seconds, one after
# another, on its corpus build/fuzz/corpus/<name> (kept between runs), seeded
# from the fixtures and from tests/fixtures/fuzz-regressions/<name>-*. Crash
# inputs land in build/fuzz/artifacts/<name>-crash-*; copy each one to
# tests/fixtures/fuzz-regressions/<name>-<what> so t_fuzz.sh replays it.
# Exit status: non-zero when any target found something.
secs=${1:?usage: run.sh SECONDS BIN...}; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
supp=$(mktemp)
trap 'rm -f "$supp"' EXIT
cat tests/lsan.supp tests/fuzz/lsan.supp >"$supp" # plus libetpan's parser leaks
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
. "$top/tests/fuzz/seeds.sh"

status=0
for bin in "$@"; do
    name=$(basename "$bin")
    corpus=build/fuzz/corpus/$name
    art=build/fuzz/artifacts
    mkdir -p "$corpus" "$art"
    echo "== $name: ${secs}s"
    # shellcheck disable=SC2046 # word splitting of the seed list is wanted
    "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        $(fuzz_options "$name") -artifact_prefix="$art/$name-" \
        "$corpus" $(fuzz_seeds "$name") || status=1
done
exit $status

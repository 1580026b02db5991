# seeds.sh - per-target seed directories and options, and the replay of the
# saved crash inputs; sourced by run.sh, smoke.sh and tests/t_fuzz.sh from the
# repository top.
fuzz_seeds() { # target -> directories read as seeds
    case $1 in
    fuzz_parse | fuzz_mbox)
        for d in tests/fixtures/samples tests/fixtures/mail tests/fixtures/mail-hostile \
                 tests/fixtures/imap tests/fixtures/text tests/fixtures/redact \
                 tests/fixtures/corpus/mail tests/fixtures/corpus-blind/mail; do
            [ -d "$d" ] && echo "$d"
        done ;;
    fuzz_config) echo tests/fixtures/conf conf ;;
    fuzz_rules) echo conf ;;
    fuzz_imap_response) echo tests/fuzz/seeds/imap_response ;;
    esac
}
fuzz_options() { # target -> libFuzzer options
    case $1 in
    fuzz_parse) echo "-max_len=65536 -dict=tests/fuzz/fuzz_parse.dict" ;;
    fuzz_mbox) echo "-max_len=16384 -dict=tests/fuzz/fuzz_parse.dict" ;;
    fuzz_config) echo "-max_len=8192 -dict=tests/fuzz/fuzz_config.dict" ;;
    fuzz_rules) echo "-max_len=16384 -dict=tests/fuzz/fuzz_rules.dict" ;;
    fuzz_imap_response) echo "-max_len=65536 -dict=tests/fuzz/fuzz_imap_response.dict" ;;
    esac
}

fuzz_report() { # LOG: the sanitizer's or the target's own words, as TAP comments
    grep -E '^(replay: |fuzz_|  [a-z]+: |==[0-9]+==ERROR|SUMMARY|    #[0-9]+ |.*runtime error)' "$1" |
        tail -n 30 | sed 's/^/# /'
}

# fuzz_replay_regressions TARGET BIN LOG: one TAP line (tests/tap.sh) per saved
# crash input tests/fixtures/fuzz-regressions/TARGET-*, run through BIN (the
# libFuzzer build or the gcc replay driver, both take file arguments).
# Inputs named *-libetpan-crash-* crash inside Debian's libetpan 1.9.4 past the
# response guard: skipped unless FUZZ_LIBETPAN=1 (to check a patched libetpan).
fuzz_replay_regressions() {
    for f in tests/fixtures/fuzz-regressions/"$1"-*; do
        [ -f "$f" ] || continue
        case $f in
        *-libetpan-crash-*)
            if [ -z "$FUZZ_LIBETPAN" ]; then
                skip "$1 $(basename "$f"): known libetpan crash (tests/fuzz/README.md)"
                continue
            fi ;;
        esac
        if "$2" "$f" >"$3" 2>&1; then
            ok "$1 replays $(basename "$f")"
        else
            not_ok "$1 replays $(basename "$f")"
            fuzz_report "$3"
        fi
    done
}

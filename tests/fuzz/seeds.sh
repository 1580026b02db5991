# seeds.sh - per-target seed directories and options; sourced by run.sh and
# tests/t_fuzz.sh from the repository top.
fuzz_seeds() { # target -> directories read as seeds
    case $1 in
    fuzz_parse | fuzz_mbox)
        for d in tests/fixtures/samples tests/fixtures/mail tests/fixtures/mail-hostile \
                 tests/fixtures/imap tests/fixtures/text tests/fixtures/redact; do
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

#!/usr/bin/env bash
# The standard trio for one binary: --help and --version succeed and print to stdout;
# an unknown option exits with the usage code (2) and says what was wrong on stderr.
bin=$1
HTTVPS_BIN_DIR=${HTTVPS_BIN_DIR:-$(dirname "$bin")}
source "$(dirname "$0")/lib.sh"
name=$(basename "$bin")

expect_exit 0 "$name --help" -- "$bin" --help
expect_contains "--help prints usage on stdout" "Usage" "$OUT"
expect_contains "--help lists --output" "--output" "$OUT"
expect_eq "--help writes nothing to stderr" "" "$ERR"

expect_exit 0 "$name --version" -- "$bin" --version
expect_contains "--version names the program" "$name " "$OUT"
check "--version prints a semantic version" -- grep -Eq '[0-9]+\.[0-9]+\.[0-9]+' <<<"$OUT"

expect_exit 2 "$name --no-such-option" -- "$bin" --no-such-option
expect_contains "a bad option is named on stderr" "no-such-option" "$ERR"
expect_eq "a bad option writes nothing to stdout" "" "$OUT"

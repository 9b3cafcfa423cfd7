#!/usr/bin/env bash
# Configuration from the outside: precedence file < environment < flags, errors that
# name file:line:column with the config exit code, and --check-config.
source "$(dirname "$0")/lib.sh"
unset HTTVPS_DATABASE_URL HTTVPS_CONFIG

cat >"$TEST_TMP/good.toml" <<'TOML'
[database]
url = "host=/from/file dbname=x"

[log]
level = "warn"
TOML
expect_exit 0 "--check-config accepts a good file" -- "$HTTVPS" --config "$TEST_TMP/good.toml" --check-config
expect_contains "it names the file" "good.toml" "$OUT"
expect_exit 0 "--check-config as JSON" -- "$HTTVPS" --config "$TEST_TMP/good.toml" --check-config -o json
expect_eq "the file's level applies" "warn" "$(jq -r '.values["log.level"]' <<<"$OUT")"

expect_exit 0 "the environment overrides the file" -- \
  env HTTVPS_LOG_LEVEL=error "$HTTVPS" --config "$TEST_TMP/good.toml" --check-config -o json
expect_eq "log.level from HTTVPS_LOG_LEVEL" "error" "$(jq -r '.values["log.level"]' <<<"$OUT")"
expect_exit 0 "flags override the environment" -- \
  env HTTVPS_LOG_LEVEL=error "$HTTVPS" --config "$TEST_TMP/good.toml" --log-level debug --check-config -o json
expect_eq "log.level from --log-level" "debug" "$(jq -r '.values["log.level"]' <<<"$OUT")"
expect_exit 0 "HTTVPS_CONFIG names the file when --config is absent" -- \
  env HTTVPS_CONFIG="$TEST_TMP/good.toml" "$HTTVPS" --check-config -o json
expect_eq "the source is the file from the variable" "$TEST_TMP/good.toml" "$(jq -r '.source' <<<"$OUT")"
expect_exit 0 "./httvps.toml is found in the working directory" -- \
  bash -c "cd '$TEST_TMP' && cp good.toml httvps.toml && '$HTTVPS' --check-config -o json"
expect_eq "the source is ./httvps.toml" "httvps.toml" "$(jq -r '.source' <<<"$OUT")"
rm -f "$TEST_TMP/httvps.toml"

printf '[database]\nurl = "x"\n\n[log]\nlevle = "info"\n' >"$TEST_TMP/typo.toml"
expect_exit 78 "an unknown key exits with the config code" -- "$HTTVPS" --config "$TEST_TMP/typo.toml" plan list
expect_contains "and names file:line:column" "typo.toml:5:1: unknown key 'log.levle'" "$ERR"
printf '[cgi]\nmax_body_bytes = "big"\n' >"$TEST_TMP/type.toml"
expect_exit 78 "a wrong type exits with the config code" -- "$HTTVPS" --config "$TEST_TMP/type.toml" --check-config
expect_contains "and names the key" "'cgi.max_body_bytes' must be an integer" "$ERR"
printf '[log\n' >"$TEST_TMP/syntax.toml"
expect_exit 78 "a TOML syntax error exits with the config code" -- "$HTTVPS" --config "$TEST_TMP/syntax.toml" --check-config
expect_contains "and names the line" "syntax.toml:1:" "$ERR"
expect_exit 78 "a missing --config file is a config error" -- "$HTTVPS" --config "$TEST_TMP/none.toml" --check-config
expect_exit 78 "a bad environment value is a config error" -- env HTTVPS_DATABASE_CONNECT_TIMEOUT=soon "$HTTVPS" --check-config
expect_contains "naming the variable" "HTTVPS_DATABASE_CONNECT_TIMEOUT" "$ERR"
expect_exit 2 "--set with an unknown key is a usage error" -- "$HTTVPS" --set no.such=1 --check-config
expect_exit 2 "--output with an unknown format is a usage error" -- "$HTTVPS" --output yaml health

printf '[database]\nurl = "postgresql://app:s3cretpassw0rd@db.example/httvps"\n' >"$TEST_TMP/secret.toml"
expect_exit 0 "--check-config shows a secret-bearing value" -- "$HTTVPS" --config "$TEST_TMP/secret.toml" --check-config
expect_not_contains "but masks it" "s3cretpassw0rd" "$OUT"
expect_exit 2 "no command at all is a usage error" -- "$HTTVPS"
expect_contains "that says a command is required" "a command is required" "$ERR"

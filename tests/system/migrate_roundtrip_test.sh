#!/usr/bin/env bash
# `httvps migrate down --all && httvps migrate up` round-trips on a database that holds
# data from the previous version; status and the checksum guard work from the CLI.
source "$(dirname "$0")/lib.sh"
fresh_db

"$HTTVPS" plan create basic --duration 30d >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" user create alice --plan basic >/dev/null
expect_exit 0 "migrate status lists the applied migrations" -- "$HTTVPS" -o json migrate status
expect_eq "all applied" "applied" "$(jq -r '[.[].state] | unique | join(",")' <<<"$OUT")"
latest=$(jq -r 'map(.version) | max' <<<"$OUT")

expect_exit 2 "migrate down needs --steps or --all" -- "$HTTVPS" migrate down
expect_exit 0 "migrate down --all with data present" -- "$HTTVPS" migrate down --all
expect_exit 0 "status after down" -- "$HTTVPS" -o json migrate status
expect_eq "all pending" "pending" "$(jq -r '[.[].state] | unique | join(",")' <<<"$OUT")"
expect_exit 0 "migrate up again" -- "$HTTVPS" -o json migrate up
expect_eq "back at the latest version" "$latest" "$(jq -r '.version' <<<"$OUT")"
expect_exit 0 "a second migrate up has nothing to do" -- "$HTTVPS" migrate up
expect_contains "and says so" "nothing to do" "$OUT"
expect_exit 0 "the schema works after the round trip" -- "$HTTVPS" plan create basic --duration 30d

sql "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"
expect_exit 4 "an edited shipped migration is refused" -- "$HTTVPS" migrate up
expect_contains "and the reason says append-only" "append-only" "$ERR"
expect_exit 0 "status shows it" -- "$HTTVPS" -o json migrate status
expect_eq "as modified" "modified" "$(jq -r '.[0].state' <<<"$OUT")"
expect_exit 4 "migrate down refuses a modified migration too" -- "$HTTVPS" migrate down --all
expect_eq "and leaves the schema in place" "$latest" "$(sql 'SELECT count(*) FROM schema_migrations')"

# status reads only: on an empty database it creates nothing.
psql -X -q -h "$HTTVPS_TEST_PGHOST" -U postgres -d postgres -c "CREATE DATABASE ${TEST_DB}_empty"
defer "psql -X -q -h '$HTTVPS_TEST_PGHOST' -U postgres -d postgres -c 'DROP DATABASE IF EXISTS ${TEST_DB}_empty WITH (FORCE)'"
empty_url="host=$HTTVPS_TEST_PGHOST user=postgres dbname=${TEST_DB}_empty"
expect_exit 0 "status on an empty database" -- env HTTVPS_DATABASE_URL="$empty_url" "$HTTVPS" -o json migrate status
expect_eq "shows everything pending" "pending" "$(jq -r '[.[].state] | unique | join(",")' <<<"$OUT")"
expect_exit 0 "health on the empty database" -- env HTTVPS_DATABASE_URL="$empty_url" "$HTTVPS" -o json health
expect_eq "says not migrated, because status wrote nothing" "null" "$(jq -r '.database.schema_version' <<<"$OUT")"
expect_exit 78 "a command on an unmigrated database is a configuration error" -- \
  env HTTVPS_DATABASE_URL="$empty_url" "$HTTVPS" plan list
expect_contains "that says what to do" "httvps migrate up" "$ERR"

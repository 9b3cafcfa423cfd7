#!/usr/bin/env bash
# The admin CLI end to end against a real database: JSON output that jq parses, human
# tables, exit codes for every class of failure, the audit trail, and passwords that
# never come from argv.
source "$(dirname "$0")/lib.sh"
fresh_db

expect_exit 0 "create a plan" -- "$HTTVPS" plan create basic --data-limit 50GB --duration 30d --device-limit 2
expect_contains "creation is confirmed" "created plan 'basic'" "$OUT"
expect_exit 0 "list plans as JSON" -- "$HTTVPS" --output json plan list
expect_eq "the JSON list parses and holds the plan" "basic 50000000000" "$(jq -r '.[0] | "\(.name) \(.data_limit)"' <<<"$OUT")"
expect_exit 0 "list plans as a table" -- "$HTTVPS" plan list
expect_contains "the table has a header" "NAME" "$OUT"
expect_contains "the table shows readable sizes" "46.57 GiB" "$OUT"

expect_exit 0 "create a region" -- "$HTTVPS" region create eu --display-name "Europe"
expect_exit 0 "create a node" -- "$HTTVPS" node create fra-1 --region eu --host 10.0.0.1 --port 8388 --usage-multiplier 1.5
expect_exit 0 "show the node as JSON" -- "$HTTVPS" -o json node show fra-1
expect_eq "the node keeps its multiplier and default cipher" "1.5 chacha20-ietf-poly1305 eu" \
  "$(jq -r '"\(.usage_multiplier) \(.method) \(.region)"' <<<"$OUT")"
expect_exit 0 "create a user" -- "$HTTVPS" user create alice --plan basic --region eu --telegram-id 12345
expect_exit 0 "create a device" -- "$HTTVPS" device create --user alice --name phone
expect_exit 0 "show the device by user/name" -- "$HTTVPS" -o json device show alice/phone
expect_eq "the device inherits nothing it was not given" "alice phone active" "$(jq -r '"\(.user) \(.name) \(.status)"' <<<"$OUT")"

# Failures, each with its documented exit code and a message on stderr only.
expect_exit 3 "showing a missing plan is not found" -- "$HTTVPS" plan show gold
expect_contains "the message names the plan" "no plan named 'gold'" "$ERR"
expect_eq "nothing on stdout on failure" "" "$OUT"
expect_exit 3 "a node in a missing region is not found" -- "$HTTVPS" node create x --region mars --host h --port 1
expect_exit 2 "a bad size is a usage error" -- "$HTTVPS" plan create bad --data-limit 12parsecs
expect_contains "the flag is named" "data-limit" "$ERR"
expect_exit 4 "a duplicate is a conflict" -- "$HTTVPS" region create eu
expect_exit 4 "deleting a plan in use is a conflict" -- "$HTTVPS" plan delete basic --yes
expect_exit 2 "delete without --yes and without a terminal is refused" -- "$HTTVPS" region delete eu </dev/null
expect_exit 2 "update without fields is a usage error" -- "$HTTVPS" plan update basic
expect_exit 2 "SQL in a name is refused as a bad name" -- "$HTTVPS" region create "eu'; DROP TABLE regions; --"
expect_eq "and the regions table is intact" "1" "$(sql 'SELECT count(*) FROM regions')"
expect_exit 0 "quotes in free text are stored verbatim" -- "$HTTVPS" user update alice --note "it's \"fine\"; DROP TABLE users;"
expect_eq "the note round-trips" "it's \"fine\"; DROP TABLE users;" "$(sql "SELECT note FROM users WHERE username = 'alice'")"

expect_exit 3 "errors are JSON on stderr with --output json" -- "$HTTVPS" --output json plan show gold
expect_eq "the JSON error carries code and exit code" "not_found 3" "$(jq -r '.error | "\(.code) \(.exit_code)"' <<<"$ERR")"

# Admin passwords: from stdin or a file, never argv; stored only as scrypt hashes.
expect_exit 0 "create an owner with the password on stdin" -- \
  bash -c "printf 'correct horse battery staple\n' | '$HTTVPS' admin create root --role owner --password-stdin"
check "the password is stored as an scrypt hash" -- bash -c "[ \"\$(psql -X -At -h '$HTTVPS_TEST_PGHOST' -U postgres -d '$TEST_DB' -c \"SELECT password_hash LIKE 'scrypt\\\$%' FROM admins\")\" = t ]"
printf 'another long password\n' >"$TEST_TMP/pw"
expect_exit 0 "create an operator with the password from a file" -- \
  "$HTTVPS" admin create ops --role operator --password-file "$TEST_TMP/pw"
expect_exit 2 "there is no --password flag" -- "$HTTVPS" admin create eve --role viewer --password secret12345678
expect_exit 4 "the last owner cannot be deleted" -- "$HTTVPS" admin delete root --yes

# The audit trail has one row per change, with the unix user as actor.
expect_exit 0 "read the audit log" -- "$HTTVPS" -o json audit list --limit 100
expect_eq "every change that succeeded was audited, no failed one" "8" "$(jq 'length' <<<"$OUT")"
expect_eq "the actor is the unix user" "cli:$(id -un)" "$(jq -r '.[0].actor' <<<"$OUT")"
expect_not_contains "no password hash reached the audit log" "scrypt" "$OUT"

# Health from the CLI.
expect_exit 0 "health reports the database up" -- "$HTTVPS" -o json health
latest_migration=$(find "$HTTVPS_SOURCE_DIR/sql/migrations" -name '*.up.sql' -printf '%f\n' | sort | tail -1 | sed 's/_.*//; s/^0*//')
expect_eq "with the schema version" "up $latest_migration" "$(jq -r '"\(.database.status) \(.database.schema_version)"' <<<"$OUT")"
expect_exit 75 "with the database unreachable the CLI exits with temp_failure" -- \
  env HTTVPS_DATABASE_URL="host=$TEST_TMP/nowhere user=postgres dbname=x" "$HTTVPS" plan list
expect_contains "and says it cannot connect" "cannot connect to the database" "$ERR"

# A result that cannot be written is an error, not a silent success (stdout is checked).
code=0
"$HTTVPS" plan list >/dev/full 2>"$TEST_TMP/err" || code=$?
expect_eq "writing to a full device exits with the internal code" "70" "$code"
expect_contains "and says why" "write error on stdout" "$(cat "$TEST_TMP/err")"

# Global options may follow the command; parse errors honour --output json.
expect_exit 0 "global options after the command" -- "$HTTVPS" plan list -o json
expect_eq "still JSON" "basic" "$(jq -r '.[0].name' <<<"$OUT")"
expect_exit 2 "an unknown flag with --output json" -- "$HTTVPS" plan list --bogus -o json
expect_eq "is a JSON usage error on stderr" "usage" "$(jq -r '.error.code' <<<"$ERR")"
expect_exit 2 "device update has no --user" -- "$HTTVPS" device update alice/phone --user bob
expect_exit 2 "a device name outside the schema's pattern is refused up front" -- \
  "$HTTVPS" device create --user alice --name "../etc"
expect_contains "naming the flag" "name:" "$ERR"
expect_exit 4 "a duplicate telegram id names the field" -- "$HTTVPS" user create bob --plan basic --telegram-id 12345
expect_contains "telegram_id in the message" "telegram_id '12345' exists already" "$ERR"
expect_exit 2 "an expiry before the start is a usage error" -- "$HTTVPS" user update alice --expires-at 2001-01-01
expect_exit 2 "a negative audit offset is a usage error" -- "$HTTVPS" audit list --offset -1

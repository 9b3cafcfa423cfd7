#!/usr/bin/env bash
# issue-key and validate-device from the command line: issue, rotate, revoke, verdicts as
# exit codes, JSON output, QR codes and bad input.
source "$(dirname "$0")/lib.sh"
fresh_db
openssl rand -base64 32 >"$TEST_TMP/key"
export HTTVPS_SECRETS_KEY_FILE="$TEST_TMP/key"
ISSUE_KEY=$HTTVPS_BIN_DIR/issue-key
VALIDATE=$HTTVPS_BIN_DIR/validate-device

"$HTTVPS" plan create basic --data-limit 1GB --duration 30d --device-limit 2 >/dev/null
"$HTTVPS" plan create trial --duration 7d --start-on-first-use true >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port 8388 >/dev/null
"$HTTVPS" node create vl-1 --region eu --kind vless --host 127.0.0.1 --port 443 --admin-state disabled >/dev/null
"$HTTVPS" user create alice --plan basic >/dev/null
"$HTTVPS" user create tom --plan trial >/dev/null

expect_exit 2 "issue-key needs a mode" -- "$ISSUE_KEY"
expect_contains "and says which" "--user and --device" "$ERR"
expect_exit 2 "--user alone is not enough" -- "$ISSUE_KEY" --user alice
expect_exit 2 "two modes at once are refused" -- "$ISSUE_KEY" --user alice --device x --revoke 1
expect_exit 3 "an unknown user is not found" -- "$ISSUE_KEY" --user nobody --device phone
expect_exit 2 "a bad device name is a usage error" -- "$ISSUE_KEY" --user alice --device "a'; DROP TABLE devices;--"
expect_eq "and nothing was written" "0" "$(sql 'SELECT count(*) FROM devices')"

expect_exit 0 "issue a key (text)" -- "$ISSUE_KEY" --user alice --device phone
expect_contains "the text says the secrets are shown once" "shown once" "$OUT"
expect_contains "it prints an ss:// link" "ss://" "$OUT"
expect_contains "and an httvps:// URI" "httvps://htv_" "$OUT"
expect_exit 0 "issue a key (json, with a QR code on stderr)" -- "$ISSUE_KEY" -o json --user alice --device laptop --qr ss
token=$(jq -r .gateway_token <<<"$OUT")
expect_eq "the JSON names the node" "fra-1 eu" "$(jq -r '"\(.node.name) \(.node.region)"' <<<"$OUT")"
expect_contains "the QR code is drawn with blocks" "█" "$ERR"
expect_eq "the token is stored as a hash only" "0" "$(sql "SELECT count(*) FROM device_credentials WHERE secret_hash = '$token' OR prefix = '$token'")"
expect_exit 4 "a third device is past the plan's limit" -- "$ISSUE_KEY" --user alice --device tablet
expect_contains "and the message says so" "2 of 2 devices" "$ERR"

expect_exit 0 "validate-device allows the new device" -- "$VALIDATE" --token "$token"
expect_contains "and says why" "allowed: ok" "$OUT"
expect_exit 0 "validate-device reads the token from stdin" -- bash -c "printf '%s\n' '$token' | '$VALIDATE' --token - -o json"
expect_eq "with the limits in JSON" "1000000000" "$(jq -r .limits.bytes_remaining <<<"$OUT")"
expect_exit 1 "an unknown token is a refusal (exit 1)" -- "$VALIDATE" --token "htv_$(printf 'Q%.0s' {1..43})"
expect_contains "with the reason" "invalid_token" "$OUT"
expect_exit 2 "a malformed token is a usage error" -- "$VALIDATE" --token "not-a-token"
expect_contains "naming the field" "token" "$ERR"
expect_exit 2 "validate-device needs --token" -- "$VALIDATE"
expect_exit 0 "validate-device --check-config works without a token" -- "$VALIDATE" --check-config
expect_exit 0 "--qr for a link the device lacks only warns, after the keys are printed" -- \
  "$ISSUE_KEY" --rotate alice/phone --qr vless
expect_contains "with a warning" "no vless link" "$ERR"
expect_exit 2 "--region goes with issuing only" -- "$ISSUE_KEY" --rotate alice/phone --region eu

expect_exit 0 "rotate the laptop's credentials" -- "$ISSUE_KEY" -o json --rotate alice/laptop
new_token=$(jq -r .gateway_token <<<"$OUT")
expect_exit 1 "the old token stops at once" -- "$VALIDATE" --token "$token"
expect_contains "as revoked" "credential_revoked" "$OUT"
expect_exit 0 "the new token works" -- "$VALIDATE" --token "$new_token"
laptop_id=$(sql "SELECT id FROM devices WHERE name = 'laptop'")
expect_exit 0 "revoke the laptop" -- "$ISSUE_KEY" --revoke alice/laptop
expect_exit 1 "a revoked device is refused" -- "$VALIDATE" --token "$new_token"
expect_exit 3 "a revoked device no longer answers to its name" -- "$ISSUE_KEY" --revoke alice/laptop
expect_exit 4 "revoking it again by id is a conflict" -- "$ISSUE_KEY" --revoke "$laptop_id"
expect_exit 0 "the freed slot can be used again" -- "$ISSUE_KEY" --user alice --device tablet

# on_hold: the clock starts at the first successful validation, not at a dry run.
expect_exit 0 "issue a key on a trial plan" -- "$ISSUE_KEY" -o json --user tom --device phone
tom=$(jq -r .gateway_token <<<"$OUT")
expect_eq "tom is on hold" "on_hold" "$(sql "SELECT status FROM users WHERE username = 'tom'")"
expect_exit 0 "a dry run allows" -- "$VALIDATE" --token "$tom" --dry-run
expect_eq "and changes nothing" "on_hold" "$(sql "SELECT status FROM users WHERE username = 'tom'")"
expect_exit 0 "the first real validation allows" -- "$VALIDATE" --token "$tom" --hwid tom-phone
expect_eq "and starts the 7-day clock" "active 7" \
  "$(sql "SELECT u.status || ' ' || extract(day FROM s.expires_at - s.started_at) FROM users u JOIN subscriptions s ON s.user_id = u.id WHERE u.username = 'tom'")"
expect_eq "and binds the hwid" "tom-phone" "$(sql "SELECT hwid FROM devices WHERE name = 'phone' AND user_id = (SELECT id FROM users WHERE username = 'tom')")"
expect_exit 1 "another hwid is refused" -- "$VALIDATE" --token "$tom" --hwid other

# Limits from the plan bite.
sql "UPDATE subscriptions SET used_bytes = 1000000000 WHERE user_id = (SELECT id FROM users WHERE username = 'alice')" >/dev/null
expect_exit 1 "a used-up quota is refused" -- "$VALIDATE" --token "$(jq -r .gateway_token <<<"$("$ISSUE_KEY" -o json --rotate alice/phone)")"
expect_contains "with the reason quota" "quota" "$OUT"

expect_exit 0 "every change was audited" -- "$HTTVPS" -o json audit list --target-kind device
expect_eq "issue, rotate and revoke rows" "device.issue device.revoke device.rotate" \
  "$(jq -r '[.[].action] | unique | join(" ")' <<<"$OUT")"
expect_not_contains "no secret reached the audit log" "$new_token" "$OUT"

expect_exit 75 "with the database unreachable validate-device exits 75" -- \
  env HTTVPS_DATABASE_URL="host=$TEST_TMP/none user=postgres dbname=x" "$VALIDATE" --token "$tom"
expect_exit 78 "issue-key without a secrets key is a config error" -- \
  env -u HTTVPS_SECRETS_KEY_FILE "$ISSUE_KEY" --user alice --device x

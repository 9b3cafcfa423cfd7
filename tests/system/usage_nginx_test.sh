#!/usr/bin/env bash
# POST /api/v1/usage and /api/v1/heartbeat as gateways reach them: through real nginx and
# fcgiwrap, authenticated, stored once, refused with the field; then aggregate-usage and
# the next validate-device see the usage.
source "$(dirname "$0")/lib.sh"
WEB_NAME=usage_nginx_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL

"$HTTVPS" plan create small --data-limit 1MB --reset-strategy month >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port 8388 --usage-multiplier 1.5 >/dev/null
printf 'node-secret-123\n' | "$HTTVPS" node set-secret fra-1 --secret-stdin >/dev/null
"$HTTVPS" user create alice --plan small >/dev/null
gw=$("$HTTVPS" -o json gateway add gw-1 | jq -r .credential)
token=$("$HTTVPS_BIN_DIR/issue-key" -o json --user alice --device phone | jq -r .gateway_token)
device_id=$(sql "SELECT id FROM devices WHERE name = 'phone'")
user_id=$(sql "SELECT id FROM users WHERE username = 'alice'")
node_id=$(sql "SELECT id FROM nodes WHERE name = 'fra-1'")

post() {  # post PATH JSON-FILE [CREDENTIAL]
  req -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer ${3-$gw}" --data-binary @"$2" "$base$1"
}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
record() {  # record SESSION UPLOAD DOWNLOAD
  printf '{"session":"%s","device_id":%s,"user_id":%s,"node_id":%s,"observed_at":"%s","upload":%s,"download":%s}' \
    "$1" "$device_id" "$user_id" "$node_id" "$now" "$2" "$3"
}
printf '{"batch_seq":1795000000000001,"sent_at":"%s","records":[%s,%s]}' "$now" "$(record s1 1000 2001)" \
  "$(record s1 1 0)" >"$TEST_TMP/b1.json"

post /api/v1/usage "$TEST_TMP/b1.json"
expect_eq "a batch is stored" "200 stored 2" "$STATUS $(jqb '"\(.status) \(.records)"')"
post /api/v1/usage "$TEST_TMP/b1.json"
expect_eq "the same batch again is a duplicate" "200 duplicate 2" "$STATUS $(jqb '"\(.status) \(.records)"')"
expect_eq "stored once" "1|2" "$(sql "SELECT count(DISTINCT batch_id), count(*) FROM usage_records")"

jq '.batch_seq = 2 | .records[1].download = -1' "$TEST_TMP/b1.json" >"$TEST_TMP/bad.json"
post /api/v1/usage "$TEST_TMP/bad.json"
expect_eq "a bad record is 400 naming it" "400 usage records[1].download" "$STATUS $(jqb '"\(.code) \(.field)"')"
expect_eq "as problem+json" "application/problem+json" "$CTYPE"
expect_eq "and nothing of that batch is stored" "1" "$(sql "SELECT count(*) FROM usage_batches")"
post /api/v1/usage "$TEST_TMP/b1.json" ""
expect_eq "no credential is 401" 401 "$STATUS"
post /api/v1/usage "$TEST_TMP/b1.json" "$token"
expect_eq "a device token is no gateway credential" 401 "$STATUS"
req "$base/api/v1/usage" -H "Authorization: Bearer $gw"
expect_eq "GET is 405" 405 "$STATUS"

# The largest batch the contract allows, through nginx.
{
  printf '{"batch_seq":1795000000000003,"records":['
  for i in $(seq 1 4999); do printf '%s,' "$(record "s$((i % 7))" 10 20)"; done
  printf '%s]}' "$(record s0 10 20)"
} >"$TEST_TMP/big.json"
t0=$(date +%s%N)
post /api/v1/usage "$TEST_TMP/big.json"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "a batch of 5000 records ($(stat -c %s "$TEST_TMP/big.json") bytes) is stored in ${ms} ms" "200 stored 5000" \
  "$STATUS $(jqb '"\(.status) \(.records)"')"
check "in under two seconds" -- test "$ms" -lt 2000

printf '{"version":"0.1.0","sessions":[{"session":"s1","device_id":%s,"user_id":%s,"node_id":%s,"client_addr":"198.51.100.7","started_at":"%s","upload":1001,"download":2001}]}' \
  "$device_id" "$user_id" "$node_id" "$now" >"$TEST_TMP/hb.json"
post /api/v1/heartbeat "$TEST_TMP/hb.json"
expect_eq "a heartbeat is taken" "200 1 0" "$STATUS $(jqb '"\(.sessions) \(.ended)"')"
expect_eq "the gateway's version is recorded" "0.1.0" "$(sql "SELECT version FROM gateways")"

# Before aggregation validate-device already counts the stored usage:
# billed = floor(3001 x 1.5) + floor(1 x 1.5) + 5000 x floor(30 x 1.5) = 4501 + 1 + 225000.
billed=$((4501 + 1 + 225000))
printf '{"token":"%s"}' "$token" >"$TEST_TMP/v.json"
post /api/v1/validate-device "$TEST_TMP/v.json"
expect_eq "validate-device subtracts unaggregated usage" "$((1000000 - billed))" "$(jqb .limits.bytes_remaining)"
expect_eq "and names the node's multiplier" "1.5" "$(jqb '.nodes[0].usage_multiplier')"

expect_exit 0 "aggregate-usage" -- "$HTTVPS_BIN_DIR/aggregate-usage" -o json
expect_eq "aggregates the two stored batches" "2 5002 $billed" "$(jq -r '"\(.batches) \(.records) \(.billed_bytes)"' <<<"$OUT")"
expect_eq "the subscription holds the billed bytes" "$billed" "$(sql "SELECT used_bytes FROM subscriptions")"
post /api/v1/validate-device "$TEST_TMP/v.json"
expect_eq "and validate-device counts them once" "$((1000000 - billed))" "$(jqb .limits.bytes_remaining)"
expect_eq "the session has its live counters and its metered bytes (715 records of 10 and 20 plus the first batch)" "1001 2001 8151 16301" \
  "$(sql "SELECT upload_bytes, download_bytes, metered_upload_bytes, metered_download_bytes FROM sessions WHERE session_key = 's1'" | tr '|' ' ')"

#!/usr/bin/env bash
# validate-device and subscriptions as gateways and clients see them: through real nginx
# + fcgiwrap, with gateway authentication, refusals, rate limits and bad input.
source "$(dirname "$0")/lib.sh"
WEB_NAME=access_nginx_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL
ISSUE_KEY=$HTTVPS_BIN_DIR/issue-key

"$HTTVPS" plan create basic --data-limit 10GB --duration 30d --device-limit 2 >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port 8388 >/dev/null
printf 'node-secret-123\n' | "$HTTVPS" node set-secret fra-1 --secret-stdin >/dev/null
"$HTTVPS" user create alice --plan basic >/dev/null
gw=$("$HTTVPS" -o json gateway add gw-1 | jq -r .credential)
check "gateway add prints a credential once" -- test "${gw:0:4}" = htg_
expect_exit 0 "gateway list" -- "$HTTVPS" -o json gateway list
expect_not_contains "gateway list never shows the credential" "$gw" "$OUT"

expect_exit 0 "issue a key" -- "$ISSUE_KEY" -o json --user alice --device phone
token=$(jq -r .gateway_token <<<"$OUT")
sub_url=$(jq -r .links.subscription_url <<<"$OUT")
ss_link=$(jq -r .links.ss_link <<<"$OUT")
check "the subscription URL points at this server" -- test "${sub_url#"$base"/api/v1/sub/hts_}" != "$sub_url"

validate_as() {  # validate_as GATEWAY-CREDENTIAL JSON-BODY
  req -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $1" --data-binary "$2" \
    "$base/api/v1/validate-device"
}
validate() { validate_as "$gw" "$1"; }  # validate JSON-BODY

validate "{\"token\":\"$token\",\"hwid\":\"hw-1\"}"
expect_eq "an allowed device is 200" 200 "$STATUS"
expect_eq "with the verdict" "allowed ok" "$(jqb '"\(.verdict) \(.reason)"')"
expect_eq "with the limits" "10000000000 true" "$(jqb '"\(.limits.bytes_remaining) \(.limits.expires_at != null)"')"
expect_eq "with the node and the secret the gateway needs" "fra-1 127.0.0.1 8388 node-secret-123 chacha20-ietf-poly1305" \
  "$(jqb '.nodes[0] | "\(.name) \(.host) \(.port) \(.password) \(.method)"')"
expect_eq "with a cache lifetime" "60" "$(jqb .cache_ttl)"
expect_eq "the gateway's last heartbeat is recorded" "1" "$(sql "SELECT count(*) FROM gateways WHERE last_heartbeat_at IS NOT NULL")"

# Gateway authentication.
req -X POST -H 'Content-Type: application/json' --data-binary "{\"token\":\"$token\"}" "$base/api/v1/validate-device"
expect_eq "no gateway credential is 401" 401 "$STATUS"
expect_eq "as problem+json" "application/problem+json" "$CTYPE"
expect_eq "asking for a bearer token" "Bearer" "$(header WWW-Authenticate)"
validate_as "htg_$(printf 'A%.0s' {1..43})" "{\"token\":\"$token\"}"
expect_eq "a wrong gateway credential is 401" 401 "$STATUS"

# Bad input: each a 4xx naming the field; nothing written.
audit_before=$(sql "SELECT count(*) FROM audit_log")
validate '{"token": '
expect_eq "malformed JSON is 400" "400 body" "$STATUS $(jqb .field)"
validate '{}'
expect_eq "a missing token is 400 naming it" "400 token" "$STATUS $(jqb .field)"
validate "{\"token\":\"htv_'; DROP TABLE devices; --\"}"
expect_eq "a token full of SQL is 400 naming it" "400 token" "$STATUS $(jqb .field)"
validate "{\"token\":\"$token\",\"extra\":1}"
expect_eq "an unknown member is 400 naming it" "400 extra" "$STATUS $(jqb .field)"
validate "{\"token\":\"$token\",\"hwid\":5}"
expect_eq "a hwid of the wrong type is 400" "400 hwid" "$STATUS $(jqb .field)"
head -c 1200000 /dev/zero | tr '\0' 'a' >"$TEST_TMP/big"
req -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $gw" --data-binary @"$TEST_TMP/big" \
  "$base/api/v1/validate-device"
expect_eq "an oversized body is 413" 413 "$STATUS"
req "$base/api/v1/validate-device" -H "Authorization: Bearer $gw"
expect_eq "GET is 405 with Allow" "405 POST" "$STATUS $(header Allow)"
expect_eq "no bad request wrote anything" "$audit_before" "$(sql "SELECT count(*) FROM audit_log")"
expect_eq "the devices table is intact" "1" "$(sql "SELECT count(*) FROM devices")"

# Refusals carry the reason.
validate "{\"token\":\"$token\",\"hwid\":\"another\"}"
expect_eq "another hwid is refused with 403" "403 refused hwid_mismatch" "$STATUS $(jqb '"\(.verdict) \(.reason)"')"
expect_eq "naming the hwid as the field" "hwid" "$(jqb .field)"
expect_eq "refusals are problem+json" "application/problem+json" "$CTYPE"
req -X POST -H 'Content-Type: application/json' -H "Authorization: bearer $gw" --data-binary "{\"token\":\"$token\",\"hwid\":\"hw-1\"}" \
  "$base/api/v1/validate-device"
expect_eq "the auth scheme is case-insensitive" 200 "$STATUS"

# Subscriptions.
req "$sub_url"
expect_eq "the subscription is 200 text" "200 text/plain; charset=utf-8" "$STATUS $CTYPE"
expect_eq "its body is base64 of the ss:// link" "$ss_link" "$(base64 -d <<<"$BODY" | head -1)"
expect_contains "with subscription-userinfo" "upload=0; download=0; total=10000000000; expire=" "$(header subscription-userinfo)"
expect_contains "with a profile title" "base64:" "$(header profile-title)"
req "$sub_url?format=json"
expect_eq "format=json lists the links" "$ss_link" "$(jqb '.links[0]')"
req "$sub_url?format=outline"
expect_eq "format=outline is an Outline access key" "127.0.0.1 8388 chacha20-ietf-poly1305" \
  "$(jqb '"\(.server) \(.server_port) \(.method)"')"
req "$sub_url?format=xml"
expect_eq "an unknown format is 400" 400 "$STATUS"
req "$base/api/v1/sub/hts_$(printf 'B%.0s' {1..43})"
unknown_body=$(jqb .detail)
expect_eq "an unknown token is 404" 404 "$STATUS"
req "$base/api/v1/sub/not-a-token"
expect_eq "a malformed token is the same 404" "404 $unknown_body" "$STATUS $(jqb .detail)"

# Revocation: the gateway is refused, the subscription disappears with the same 404.
"$ISSUE_KEY" --revoke alice/phone >/dev/null
validate "{\"token\":\"$token\",\"hwid\":\"hw-1\"}"
expect_eq "a revoked device is refused" "403 device_revoked" "$STATUS $(jqb .reason)"
req "$sub_url"
expect_eq "a revoked subscription is the same 404" "404 $unknown_body" "$STATUS $(jqb .detail)"
expect_not_contains "the problem never echoes the token" "${sub_url##*/}" "$BODY"

# Guessing tokens: failures per prefix are limited, with the headers clients need.
wait_for_fresh_minute
guess="htv_ZZZZZZZZ$(printf 'C%.0s' {1..35})"  # a prefix nobody has: pure guessing
for _ in $(seq 1 10); do validate "{\"token\":\"$guess\"}"; done
expect_eq "ten wrong guesses are refusals" "403 invalid_token" "$STATUS $(jqb .reason)"
validate "{\"token\":\"$guess\"}"
expect_eq "the eleventh is 429" 429 "$STATUS"
check "with Retry-After" -- test -n "$(header Retry-After)"
expect_eq "and X-RateLimit headers" "10 0" "$(header X-RateLimit-Limit) $(header X-RateLimit-Remaining)"
for _ in $(seq 1 20); do validate_as "htg_$(printf 'D%.0s' {1..43})" "{\"token\":\"$token\"}"; done
validate_as "htg_$(printf 'D%.0s' {1..43})" "{\"token\":\"$token\"}"
expect_eq "wrong gateway credentials are limited per address too" 429 "$STATUS"

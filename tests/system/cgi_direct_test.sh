#!/usr/bin/env bash
# The httvps binary driven as a CGI program without a web server (as cgit's tests do):
# the environment and stdin are the request, stdout is the response.
source "$(dirname "$0")/lib.sh"
fresh_db

# cgi METHOD PATH [BODY] [extra VAR=value ...]: runs one request, splits the response
# into $STATUS, $HEADERS and $BODY.
cgi() {
  local method=$1 path=$2 body=${3:-}
  shift 3 || shift $#
  local raw
  raw=$(printf '%s' "$body" | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$method" PATH_INFO="$path" \
    CONTENT_LENGTH="${#body}" CONTENT_TYPE=application/json HTTVPS_DATABASE_URL="$HTTVPS_DATABASE_URL" \
    HTTVPS_LOG_LEVEL=error "$@" "$HTTVPS" | tr -d '\r')
  HEADERS=$(sed '/^$/q' <<<"$raw")
  BODY=$(sed '1,/^$/d' <<<"$raw")
  STATUS=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' <<<"$HEADERS")
}

cgi GET /api/v1/health ""
expect_eq "health answers 200" "200" "$STATUS"
expect_contains "as JSON" "Content-Type: application/json" "$HEADERS"
expect_eq "with the database up" "up" "$(jq -r '.database.status' <<<"$BODY")"
expect_contains "with a request id" "X-Request-Id: " "$HEADERS"

cgi GET /api/v1/health "" HTTP_X_REQUEST_ID=trace-77
expect_contains "a client's request id is kept" "X-Request-Id: trace-77" "$HEADERS"

cgi GET /api/v1/nothing-here ""
expect_eq "an unknown path is 404" "404" "$STATUS"
expect_contains "as problem+json" "Content-Type: application/problem+json" "$HEADERS"
expect_eq "with code and request id" "not_found true" "$(jq -r '"\(.code) \(.request_id | length > 0)"' <<<"$BODY")"

cgi DELETE /api/v1/health ""
expect_eq "a wrong method is 405" "405" "$STATUS"
expect_contains "with the allowed methods" "Allow: GET, HEAD" "$HEADERS"

cgi GET /api/v1/health "" QUERY_STRING='x=%zz'
expect_eq "a malformed query string is 400" "400" "$STATUS"
expect_eq "with the usage code" "usage" "$(jq -r '.code' <<<"$BODY")"

cgi POST /api/v1/health "" CONTENT_LENGTH=5000000
expect_eq "an oversized body is 413" "413" "$STATUS"
expect_eq "with the too_large code" "too_large" "$(jq -r '.code' <<<"$BODY")"

cgi GET /api/v1/health "" HTTVPS_DATABASE_URL="host=$TEST_TMP/nowhere user=postgres dbname=x"
expect_eq "with the database unreachable health is 503" "503" "$STATUS"
expect_eq "and says the database is down" "down" "$(jq -r '.health.database.status' <<<"$BODY")"
expect_contains "and when to retry" "Retry-After: 5" "$HEADERS"
expect_not_contains "without connection details" "nowhere" "$BODY"

printf '[log]\nbogus = 1\n' >"$TEST_TMP/bad.toml"
cgi GET /api/v1/health "" HTTVPS_CONFIG="$TEST_TMP/bad.toml"
expect_eq "a broken config answers 500" "500" "$STATUS"
expect_eq "with the config code" "config" "$(jq -r '.code' <<<"$BODY")"
expect_not_contains "without the config file's path" "bad.toml" "$BODY"

#!/usr/bin/env bash
# The admin API as the panel sees it: through real nginx + fcgiwrap. Every endpoint x
# every role, login/logout/password change, bad, forged and expired tokens, CORS,
# security headers, malformed, oversized and SQL-looking input, bulk actions, reads and
# the audit trail of every change.
source "$(dirname "$0")/lib.sh"
WEB_NAME=admin_api_nginx_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL
panel_origin="http://panel.test:9999"
printf '\n[cgi]\ncors_origin = "%s"\n' "$panel_origin" >>"$config"
api="$base/api/v1/admin"

# Admins of every role, each with its own password.
for role in owner admin operator viewer; do
  printf '%s-password-123\n' "$role" >"$TEST_TMP/pw-$role"
  "$HTTVPS" admin create "${role}1" --role "$role" --password-file "$TEST_TMP/pw-$role" >/dev/null
done
"$HTTVPS" plan create basic --data-limit 10GB --duration 30d --device-limit 3 >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port 8388 >/dev/null

post() {  # post URL JSON [TOKEN]
  local auth=()
  [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
  req -X POST -H 'Content-Type: application/json' "${auth[@]}" --data-binary "$2" "$1"
}
call() {  # call METHOD URL TOKEN [JSON]
  local body=()
  [ -n "${4:-}" ] && body=(-H 'Content-Type: application/json' --data-binary "$4")
  req -X "$1" -H "Authorization: Bearer $3" "${body[@]}" "$2"
}
login() {  # login USER PASSWORD: sets TOKEN
  post "$api/login" "{\"username\":\"$1\",\"password\":\"$2\"}"
  TOKEN=$(jqb .token)
  [ "$STATUS" = 200 ] || fail "login $1: $STATUS $BODY"
}
declare -A tok
for role in owner admin operator viewer; do
  login "${role}1" "$(tr -d '\n' <"$TEST_TMP/pw-$role")"
  tok[$role]=$TOKEN
done

# ---- login ----
post "$api/login" '{"username":"owner1","password":"owner-password-123"}'
expect_eq "login answers 200 with a bearer token, role and expiry" "200 Bearer owner 900" \
  "$STATUS $(jqb .token_type) $(jqb .role) $(jqb .expires_in)"
expect_eq "the token has the JWT form" 3 "$(jqb .token | tr '.' '\n' | wc -l)"
expect_eq "the last login time is recorded" 1 "$(sql "SELECT count(*) FROM admins WHERE username='owner1' AND last_login_at IS NOT NULL")"
post "$api/login" '{"username":"owner1","password":"wrong-password-1"}'
expect_eq "a wrong password is 401 problem+json" "401 application/problem+json unauthorized" "$STATUS $CTYPE $(jqb .code)"
expect_not_contains "the answer never echoes the password" "wrong-password-1" "$BODY$HEADERS"
post "$api/login" '{"username":"nobody","password":"whatever-password"}'
expect_eq "an unknown admin gets the same 401" "401 wrong username or password" "$STATUS $(jqb .detail)"
post "$api/login" '{"username":"owner1"}'
expect_eq "a login without password is 400 naming it" "400 password" "$STATUS $(jqb .field)"
post "$api/login" '{"username":"owner1","password":"x","role":"owner"}'
expect_eq "an unknown member is 400 naming it" "400 role" "$STATUS $(jqb .field)"
req "$api/login"
expect_eq "GET on login is 405 with Allow" "405 POST" "$STATUS $(header Allow)"

# Failed logins are limited per admin (5 per 5-minute window); start inside a window.
s=$(($(date +%s) % 300))
if [ "$s" -ge 280 ]; then sleep $((301 - s)); fi
for _ in 1 2 3 4 5; do post "$api/login" '{"username":"viewer1","password":"not-the-password"}'; done
post "$api/login" '{"username":"viewer1","password":"viewer-password-123"}'
expect_eq "after 5 failures even the right password is 429 with Retry-After" "429 rate_limited yes" \
  "$STATUS $(jqb .code) $([ -n "$(header Retry-After)" ] && echo yes)"

# ---- tokens ----
req "$api/me"
expect_eq "no token is 401 asking for a bearer token" "401 Bearer" "$STATUS $(header WWW-Authenticate)"
call GET "$api/me" "${tok[operator]}"
expect_eq "me names the admin, role and permissions" "200 operator1 operator true false" \
  "$STATUS $(jqb .username) $(jqb .role) $(jqb .permissions.devices.write) $(jqb .permissions.plans.write)"
t=${tok[viewer]}
last=${t: -1}
if [ "$last" = A ]; then swap=B; else swap=A; fi
call GET "$api/me" "${t%?}$swap"
expect_eq "a tampered signature is 401" 401 "$STATUS"
IFS=. read -r th tc ts <<<"${tok[viewer]}"
pad=$(((4 - ${#tc} % 4) % 4))
forged=$( (printf '%s' "$tc" | tr '_-' '/+'; printf '%*s' "$pad" '' | tr ' ' '=') | base64 -d | sed 's/"viewer"/"owner"/' | base64 -w0 | tr '+/' '-_' | tr -d '=')
call GET "$api/me" "$th.$forged.$ts"
expect_eq "a role raised in the claims is 401" 401 "$STATUS"
call GET "$api/me" "not-a-token"
expect_eq "garbage is 401" 401 "$STATUS"
req -H "Authorization: Basic b3duZXIxOng=" "$api/me"
expect_eq "another auth scheme is 401" 401 "$STATUS"

# Tokens signed with the installation's key, made here by hand: one valid (the format is
# plain HS256 JWT), one expired.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
hex() { od -An -tx1 | tr -d ' \n'; }
key_hex=$(printf 'httvps admin token v1' |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(base64 -d <"$TEST_TMP/secrets.key" | hex)" -binary | hex)
owner_id=$(sql "SELECT id FROM admins WHERE username='owner1'")
jwt() {  # jwt IAT EXP
  local h c
  h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
  c=$(printf '{"ep":0,"exp":%d,"iat":%d,"jti":"handmadetoken0000000001","role":"owner","sub":"owner1","uid":%d}' \
    "$2" "$1" "$owner_id" | b64url)
  printf '%s.%s.%s' "$h" "$c" "$(printf '%s.%s' "$h" "$c" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | b64url)"
}
now=$(date +%s)
call GET "$api/me" "$(jwt "$now" $((now + 300)))"
expect_eq "a hand-made HS256 JWT with the right key is accepted" "200 owner1" "$STATUS $(jqb .username)"
call GET "$api/me" "$(jwt $((now - 1000)) $((now - 10)))"
expect_eq "an expired token is 401 saying so" "401 admin token has expired" "$STATUS $(jqb .detail)"

# ---- every endpoint x every role ----
# METHOD PATH BODY WRITERS: WRITERS are the roles allowed (any: all four). Bodies are
# invalid or keys absent, so an allowed call fails after the role check (400/404/409)
# and nothing changes; a refused one must be 403.
audit_before=$(sql "SELECT count(*) FROM audit_log")
matrix=(
  "GET /dashboard - any" "GET /usage?scope=all - any" "GET /sessions - any" "GET /job-runs - any" "GET /audit - any"
  "GET /me - any"
  "GET /plans - any" "GET /plans/none - any" "POST /plans {} owner,admin" "PATCH /plans/none {} owner,admin"
  "DELETE /plans/none - owner,admin"
  "GET /regions - any" "GET /regions/none - any" "POST /regions {} owner,admin" "PATCH /regions/none {} owner,admin"
  "DELETE /regions/none - owner,admin"
  "GET /nodes - any" "GET /nodes/none - any" "POST /nodes {} owner,admin" "PATCH /nodes/none {} owner,admin"
  "DELETE /nodes/none - owner,admin"
  "POST /nodes/none/drain - owner,admin" "POST /nodes/none/disable - owner,admin" "POST /nodes/none/enable - owner,admin"
  "GET /users - any" "GET /users/none - any" "POST /users {} owner,admin,operator"
  "PATCH /users/none {} owner,admin,operator" "DELETE /users/none - owner,admin,operator"
  "POST /users/bulk {} owner,admin,operator"
  "GET /subscriptions - any" "GET /subscriptions/none - any" "PATCH /subscriptions/none {} owner,admin,operator"
  "GET /devices - any" "GET /devices/999 - any" "POST /devices {} owner,admin,operator"
  "PATCH /devices/999 {} owner,admin,operator" "DELETE /devices/999 - owner,admin,operator"
  "POST /devices/999/rotate - owner,admin,operator" "POST /devices/999/revoke - owner,admin,operator"
  "GET /gateways - any" "GET /gateways/none - any" "POST /gateways {} owner,admin" "PATCH /gateways/none {} owner,admin"
  "DELETE /gateways/none - owner,admin"
  "GET /admins - any" "GET /admins/none - any" "POST /admins {} owner" "PATCH /admins/none {} owner"
  "DELETE /admins/none - owner"
)
# The four roles walk the matrix at once (each its own curl loop); the verdicts are
# checked afterwards.
walk() {  # walk ROLE: one line per row, "STATUS METHOD PATH"
  local role=$1 row method path body code args
  for row in "${matrix[@]}"; do
    read -r method path body _ <<<"$row"
    args=(-X "$method" -H "Authorization: Bearer ${tok[$role]}")
    [ "$body" = - ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
    code=$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' "${args[@]}" "$api$path") || code=curl-failed
    echo "$code $method $path"
  done >"$TEST_TMP/matrix-$role"
}
walkers=()
for role in owner admin operator viewer; do
  walk "$role" &
  walkers+=($!)
done
wait "${walkers[@]}"  # not a bare wait: fcgiwrap is a child of this shell too
for role in owner admin operator viewer; do
  i=0
  while read -r got method path; do
    read -r _ _ _ writers <<<"${matrix[$i]}"
    i=$((i + 1))
    if [ "$writers" = any ] || [[ ",$writers," == *",$role,"* ]]; then
      if [ "$got" = 403 ] || [ "$got" = 401 ] || [ "$got" = 405 ] || [ "${got:0:1}" = 5 ] || [ "$got" = curl-failed ]; then
        fail "$role: $method $path should be allowed, got $got"
      else
        pass "$role: $method $path is allowed ($got)"
      fi
    else
      expect_eq "$role: $method $path is 403" 403 "$got"
    fi
  done <"$TEST_TMP/matrix-$role"
  expect_eq "$role walked every row" "${#matrix[@]}" "$i"
done
expect_eq "none of the matrix calls changed anything" "$audit_before" "$(sql "SELECT count(*) FROM audit_log")"

# ---- resources, devices and keys ----
o=${tok[owner]}
call POST "$api/plans" "$o" '{"name":"pro","data_limit":"50GB","duration":"30d","device_limit":2}'
expect_eq "an owner creates a plan: 201 with the record" "201 pro 50000000000" "$STATUS $(jqb .name) $(jqb .data_limit)"
call POST "$api/plans" "$o" '{"name":"pro"}'
expect_eq "a duplicate is 409 naming the field" "409 name" "$STATUS $(jqb .field)"
call POST "$api/plans" "$o" '{"name":"Bad Name!"}'
expect_eq "an invalid name is 400 naming the field" "400 name" "$STATUS $(jqb .field)"
call PATCH "$api/plans/pro" "$o" '{"description":"for power users","speed_limit":null}'
expect_eq "PATCH changes only the given fields" "200 for power users 2" "$STATUS $(jqb .description) $(jqb .device_limit)"
call PATCH "$api/plans/pro" "$o" '{"description":null}'
expect_eq "null is refused where a field cannot be empty" "400 description" "$STATUS $(jqb .field)"
op=${tok[operator]}
for u in alice bob carol; do call POST "$api/users" "$op" "{\"username\":\"$u\",\"plan\":\"basic\"}"; done
expect_eq "an operator creates users" "201 carol active" "$STATUS $(jqb .username) $(jqb .status)"
call GET "$api/users?sort=-username&limit=2" "$o"
expect_eq "lists sort and page" "200 3 2 carol bob" \
  "$STATUS $(jqb .total) $(jqb '.items|length') $(jqb '.items[0].username') $(jqb '.items[1].username')"
call GET "$api/users?q=AL" "$o"
expect_eq "q searches the username" "1 alice" "$(jqb .total) $(jqb '.items[0].username')"
call GET "$api/users?q=%27%3B%20DROP%20TABLE%20users%3B%20--&status=active" "$o"
expect_eq "SQL-looking search text is only text" "200 0" "$STATUS $(jqb .total)"
call GET "$api/users?status=%27%20OR%201%3D1%20--" "$o"
expect_eq "SQL-looking filter values are refused as values" "400 status" "$STATUS $(jqb .field)"
call GET "$api/users?sort=password_hash" "$o"
expect_eq "an unknown sort column is 400" "400 sort" "$STATUS $(jqb .field)"
call GET "$api/users?limit=100000" "$o"
expect_eq "an oversized page is 400" "400 limit" "$STATUS $(jqb .field)"
call GET "$api/users?role=x" "$o"
expect_eq "an unknown parameter is 400" "400 role" "$STATUS $(jqb .field)"
expect_eq "the users table is intact" 3 "$(sql "SELECT count(*) FROM users")"

call POST "$api/devices" "$op" '{"user":"alice","name":"phone"}'
expect_eq "creating a device issues its credentials and links once" "201 alice phone httvps: ss:" \
  "$STATUS $(jqb .device.user) $(jqb .device.name) $(jqb .links.httvps_uri | cut -d/ -f1) $(jqb .links.ss_link | cut -d/ -f1)"
dev=$(jqb .device.id)
first_uri=$(jqb .links.httvps_uri)
call POST "$api/devices/$dev/rotate" "$op"
expect_eq "rotate gives new links" "200 yes" "$STATUS $([ "$(jqb .links.httvps_uri)" != "$first_uri" ] && echo yes)"
call GET "$api/devices/$dev" "${tok[viewer]}"
expect_eq "a viewer sees the device" "200 active" "$STATUS $(jqb .status)"
expect_not_contains "without its credentials" "htv_" "$BODY"
call POST "$api/devices/$dev/revoke" "$op"
expect_eq "revoke marks it revoked" "200 revoked" "$STATUS $(jqb .status)"
call POST "$api/devices/$dev/revoke" "$op"
expect_eq "revoking twice is 409" 409 "$STATUS"
expect_eq "the device actions are audited as the admin" "admin:operator1 admin:operator1 admin:operator1" \
  "$(sql "SELECT string_agg(actor, ' ' ORDER BY id) FROM audit_log WHERE action IN ('device.issue','device.rotate','device.revoke')")"

call POST "$api/nodes/fra-1/drain" "${tok[admin]}"
expect_eq "drain sets the node's state" "200 draining" "$STATUS $(jqb .admin_state)"
call POST "$api/nodes/fra-1/enable" "${tok[admin]}"
expect_eq "enable sets it back" "200 active" "$STATUS $(jqb .admin_state)"
call PATCH "$api/subscriptions/bob" "$op" '{"plan":"pro"}'
expect_eq "a subscription changes plan" "200 pro" "$STATUS $(jqb .plan)"
call PATCH "$api/subscriptions/bob" "$op" '{"note":"x"}'
expect_eq "a subscription has no note" "400 note" "$STATUS $(jqb .field)"
call POST "$api/gateways" "${tok[admin]}" '{"name":"gw-1"}'
expect_eq "a new gateway's credential is shown once" "201 htg_" "$STATUS $(jqb .credential | cut -c1-4)"
call POST "$api/admins" "$o" '{"username":"eve","role":"viewer","password":"eve-password-1234"}'
expect_eq "an owner creates an admin with a password" "201 viewer" "$STATUS $(jqb .role)"
expect_not_contains "the password is not in the answer" "eve-password" "$BODY"
call POST "$api/admins" "$o" '{"username":"mallory","role":"viewer","password":"short"}'
expect_eq "a weak password is 400" "400 password" "$STATUS $(jqb .field)"
call DELETE "$api/admins/owner1" "$o"
expect_eq "the last owner cannot be deleted" 409 "$STATUS"

# ---- bulk ----
sql "UPDATE users SET status='expired' WHERE username IN ('alice','carol'); UPDATE subscriptions SET used_bytes=500" >/dev/null
call POST "$api/users/bulk" "$op" '{"action":"reset_usage","filter":{"status":"expired"}}'
expect_eq "a bulk dry run only counts" "200 true 2 2" "$STATUS $(jqb .dry_run) $(jqb .matched) $(jqb .changed)"
expect_eq "and changes nothing" 3 "$(sql "SELECT count(*) FROM subscriptions WHERE used_bytes=500")"
call POST "$api/users/bulk" "$op" '{"action":"reset_usage","filter":{"status":"expired"},"dry_run":false}'
expect_eq "the real run changes the same set" "200 false 2" "$STATUS $(jqb .dry_run) $(jqb .changed)"
expect_eq "usage is back to zero for them only" 1 "$(sql "SELECT count(*) FROM subscriptions WHERE used_bytes=500")"
call POST "$api/users/bulk" "$op" '{"action":"extend_expiry","extend_by":"10d","filter":{"search":"carol"},"dry_run":false}'
expect_eq "extend_expiry makes an expired user active again" "200 1 active" \
  "$STATUS $(jqb .changed) $(sql "SELECT status FROM users WHERE username='carol'")"
call POST "$api/users/bulk" "$op" '{"action":"delete_expired","dry_run":false}'
expect_eq "delete_expired deletes only expired users" "200 1 bob,carol" \
  "$STATUS $(jqb .changed) $(sql "SELECT string_agg(username, ',' ORDER BY username) FROM users")"
call POST "$api/users/bulk" "$op" '{"action":"extend_expiry"}'
expect_eq "extend_expiry needs extend_by" "400 extend_by" "$STATUS $(jqb .field)"
expect_eq "each bulk change is audited, and the bulk action too" "2 1" \
  "$(sql "SELECT count(*) FROM audit_log WHERE action='user.reset_usage'") $(sql "SELECT count(*) FROM audit_log WHERE action='user.bulk.delete_expired'")"

# ---- reads ----
bob_id=$(sql "SELECT id FROM users WHERE username='bob'")
today=$(date -u +%Y-%m-%dT00:00:00Z)
sql "INSERT INTO usage_rollups VALUES ('day','user',$bob_id,'$today',100,200,300), ('hour','user',$bob_id,date_trunc('hour', now()),10,20,30)" >/dev/null
call GET "$api/usage?scope=user&key=bob&granularity=day" "${tok[viewer]}"
expect_eq "usage per user per day" "200 1 300" "$STATUS $(jqb '.points|length') $(jqb '.points[0].billed')"
call GET "$api/usage?scope=user&key=bob&granularity=hour" "${tok[viewer]}"
expect_eq "and per hour" "200 30" "$STATUS $(jqb '.points[0].billed')"
call GET "$api/usage?scope=region&key=eu" "${tok[viewer]}"
expect_eq "per region" "200 0" "$STATUS $(jqb '.points|length')"
call GET "$api/usage?scope=planet&key=x" "${tok[viewer]}"
expect_eq "an unknown scope is 400" "400 scope" "$STATUS $(jqb .field)"
call GET "$api/usage?scope=user&key=nobody" "${tok[viewer]}"
expect_eq "an unknown user is 404" 404 "$STATUS"
call GET "$api/dashboard" "${tok[viewer]}"
expect_eq "the dashboard summarises" "200 2 30" "$STATUS $(jqb '.users_by_status.active') $(jqb .traffic_today.billed)"
call GET "$api/audit?target_kind=plan&limit=5" "${tok[viewer]}"
expect_eq "the audit log shows API changes with actor, before and after" "200 plan.update admin:owner1 for power users" \
  "$STATUS $(jqb '.items[0].action') $(jqb '.items[0].actor') $(jqb '.items[0].after.description')"
call GET "$api/sessions" "${tok[viewer]}"
expect_eq "live sessions" "200 0" "$STATUS $(jqb '.items|length')"
call GET "$api/job-runs" "${tok[viewer]}"
expect_eq "job runs" "200 0" "$STATUS $(jqb '.items|length')"

# ---- malformed and oversized bodies ----
call POST "$api/plans" "$o" '{"name": '
expect_eq "malformed JSON is 400 naming the body" "400 body" "$STATUS $(jqb .field)"
req -X POST -H "Authorization: Bearer $o" -H 'Content-Type: text/plain' --data-binary '{"name":"x"}' "$api/plans"
expect_eq "a non-JSON content type is 400" "400 Content-Type" "$STATUS $(jqb .field)"
call POST "$api/plans" "$o" '{"name":{"nested":1}}'
expect_eq "an object where a value belongs is 400" "400 name" "$STATUS $(jqb .field)"
head -c 1200000 /dev/zero | tr '\0' 'a' >"$TEST_TMP/big"
req -X POST -H "Authorization: Bearer $o" -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/big" "$api/plans"
expect_eq "an oversized body is 413" 413 "$STATUS"

# ---- CORS and security headers ----
req -X OPTIONS -H "Origin: $panel_origin" -H 'Access-Control-Request-Method: POST' "$api/plans"
expect_eq "a preflight from the panel origin is 204 allowing it" "204 $panel_origin" "$STATUS $(header Access-Control-Allow-Origin)"
expect_contains "with the path's methods" "POST" "$(header Access-Control-Allow-Methods)"
expect_contains "and the Authorization header" "Authorization" "$(header Access-Control-Allow-Headers)"
req -X OPTIONS -H "Origin: http://evil.test" -H 'Access-Control-Request-Method: POST' "$api/plans"
expect_eq "a preflight from another origin is 403 without CORS headers" "403 " "$STATUS $(header Access-Control-Allow-Origin)"
req -H "Origin: $panel_origin" -H "Authorization: Bearer $o" "$api/plans"
expect_eq "answers to the panel origin carry Allow-Origin" "200 $panel_origin" "$STATUS $(header Access-Control-Allow-Origin)"
req -H "Origin: $panel_origin" "$api/plans"
expect_eq "errors too, so the panel can read them" "401 $panel_origin" "$STATUS $(header Access-Control-Allow-Origin)"
req -H "Origin: http://evil.test" -H "Authorization: Bearer $o" "$api/plans"
expect_eq "other origins get no Allow-Origin" "" "$(header Access-Control-Allow-Origin)"
expect_eq "security headers" "DENY no-referrer nosniff no-store" \
  "$(header X-Frame-Options) $(header Referrer-Policy) $(header X-Content-Type-Options) $(header Cache-Control)"
expect_contains "and a CSP that forbids everything" "default-src 'none'" "$(header Content-Security-Policy)"

# ---- password change and logout ----
login eve eve-password-1234
v=$TOKEN
call POST "$api/password" "$v" '{"current_password":"wrong-one-here","new_password":"eve-new-password-1"}'
expect_eq "a wrong current password is 401" "401 current_password" "$STATUS $(jqb .field)"
call POST "$api/password" "$v" '{"current_password":"eve-password-1234","new_password":"short"}'
expect_eq "a weak new password is 400" "400 new_password" "$STATUS $(jqb .field)"
call POST "$api/password" "$v" '{"current_password":"eve-password-1234","new_password":"eve-new-password-1"}'
expect_eq "a password change answers with a fresh token" "200 eve" "$STATUS $(jqb .username)"
v2=$(jqb .token)
call GET "$api/me" "$v"
expect_eq "the old token is dead" 401 "$STATUS"
call GET "$api/me" "$v2"
expect_eq "the fresh one works" 200 "$STATUS"
call POST "$api/logout" "$v2"
expect_eq "logout is 204" 204 "$STATUS"
call GET "$api/me" "$v2"
expect_eq "a logged-out token is 401" "401 admin token is no longer valid; log in again" "$STATUS $(jqb .detail)"
login eve eve-new-password-1
expect_eq "the new password logs in" 200 "$STATUS"
"$HTTVPS" admin update operator1 --role viewer >/dev/null
call GET "$api/me" "$op"
expect_eq "a demoted admin's token is dead" 401 "$STATUS"
expect_eq "login, logout and the password change are audited" "yes 1 yes" \
  "$(sql "SELECT CASE WHEN count(*)>0 THEN 'yes' END FROM audit_log WHERE action='admin.login'") $(sql "SELECT count(*) FROM audit_log WHERE action='admin.logout'") $(sql "SELECT CASE WHEN count(*)>0 THEN 'yes' END FROM audit_log WHERE action='admin.update' AND actor='admin:eve'")"
expect_not_contains "no password reaches the logs" "eve-new-password" "$(cat "$prefix"/logs/*.log)"

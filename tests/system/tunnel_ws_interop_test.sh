#!/usr/bin/env bash
# httvps-gateway's WebSocket against an independent client: python3-websockets drives
# tunnel/ws_interop.py's scenarios (handshake, HELLO/WELCOME, streams with flow control,
# fragmentation, ping, protocol errors, refusals) against
#   - a gateway with TLS (a self-signed certificate made here), upstream = "echo";
#   - a plain gateway behind a real nginx that proxies the WebSocket.
# Both check devices through validate-device behind nginx + fcgiwrap (web_fixture.sh).
source "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2034 # read by ci/lib/web.sh
WEB_NAME=tunnel_ws_interop_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL
here=$(cd "$(dirname "$0")" && pwd)
ISSUE_KEY=$HTTVPS_BIN_DIR/issue-key
GATEWAY=$HTTVPS_BIN_DIR/httvps-gateway
INTEROP=$here/tunnel/ws_interop.py

# The client under test is Debian's python3-websockets, which lives in the system python
# (a python3 earlier on PATH, pyenv for example, may not have it).
PY=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import websockets' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  fail "python3-websockets is importable (apt-get install python3-websockets; ci/install-deps.sh lists it)"
  exit 1
fi
pass "python3-websockets $("$PY" -c 'import websockets; print(websockets.__version__)') with $PY"
command -v nginx >/dev/null || { fail "nginx is installed (nginx-light)"; exit 1; }

# ---- the control plane: a plan, a node, a user, two devices (one revoked), a gateway ----
"$HTTVPS" plan create basic --data-limit 10GB --duration 30d --device-limit 3 >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port 8388 >/dev/null
printf 'node-secret-123\n' | "$HTTVPS" node set-secret fra-1 --secret-stdin >/dev/null
"$HTTVPS" user create alice --plan basic >/dev/null
(umask 077 && "$HTTVPS" -o json gateway add gw-interop | jq -r .credential >"$TEST_TMP/gateway-credential")
check "gateway add gives an htg_ credential" -- grep -q '^htg_' "$TEST_TMP/gateway-credential"

expect_exit 0 "issue a key for alice/laptop" -- "$ISSUE_KEY" -o json --user alice --device laptop
uri=$(jq -r .links.httvps_uri <<<"$OUT")
token=${uri#httvps://}
token=${token%%@*}
check "the httvps:// URI carries the device token as its userinfo" -- test "${token:0:4}" = htv_
expect_eq "the URI's token is the gateway token" "$(jq -r .gateway_token <<<"$OUT")" "$token"
expect_exit 0 "issue a key for alice/old" -- "$ISSUE_KEY" -o json --user alice --device old
revoked_uri=$(jq -r .links.httvps_uri <<<"$OUT")
revoked_token=${revoked_uri#httvps://}
revoked_token=${revoked_token%%@*}
expect_exit 0 "revoke alice/old before any gateway saw it" -- "$ISSUE_KEY" --revoke alice/old

# ---- a self-signed certificate for 127.0.0.1 ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" 2>"$TEST_TMP/openssl.err" ||
  { fail "openssl makes a self-signed certificate: $(cat "$TEST_TMP/openssl.err")"; exit 1; }

# ---- the gateways ----
# gateway_config FILE NAME PORT ADMIN-PORT TLS(yes|no): max_streams is small so that the
# streams scenario can reach it; drain_seconds is a bound (the gateway exits as soon as
# its connections are gone).
gateway_config() {
  local cert="" key=""
  if [ "$5" = yes ]; then cert="$TEST_TMP/cert.pem" key="$TEST_TMP/key.pem"; fi
  cat >"$1" <<EOF
# tests/system/tunnel_ws_interop_test.sh
[gateway]
name = "$2"
listen = "127.0.0.1:$3"
tls_cert = "$cert"
tls_key = "$key"
path = "/tunnel"
threads = 2
admin_listen = "127.0.0.1:$4"
control_url = "$base"
credential_file = "$TEST_TMP/gateway-credential"
spool_dir = "$TEST_TMP/spool-$2"
upstream = "echo"
validate_timeout_ms = 20000
max_streams = 8
drain_seconds = 20

[log]
format = "json"
level = "info"
EOF
}

# stop_pid PID: TERM, then KILL after 15 s; returns the exit status of PID.
stop_pid() {
  local pid=$1 i code=0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || code=$?
  return "$code"
}

# start_gateway NAME CONFIG ADMIN-PORT: sets STARTED; waits until /healthz answers 200.
start_gateway() {
  local name=$1 cfg=$2 admin=$3 i
  env -u HTTVPS_CONFIG -u HTTVPS_DATABASE_URL "$GATEWAY" --config "$cfg" >"$TEST_TMP/$name.log" 2>&1 &
  STARTED=$!
  defer "stop_pid $STARTED"
  for ((i = 0; i < 300; i++)); do
    if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$admin/healthz" 2>/dev/null; then
      pass "$name answers /healthz"
      return 0
    fi
    kill -0 "$STARTED" 2>/dev/null || break
    sleep 0.1
  done
  fail "$name answers /healthz within 30 s; its log: $(tail -5 "$TEST_TMP/$name.log")"
  exit 1
}

tls_port=$(free_port)
tls_admin=$(free_port)
gateway_config "$TEST_TMP/gw-tls.toml" gw-tls "$tls_port" "$tls_admin" yes
start_gateway gw-tls "$TEST_TMP/gw-tls.toml" "$tls_admin"
tls_pid=$STARTED

plain_port=$(free_port)
plain_admin=$(free_port)
gateway_config "$TEST_TMP/gw-plain.toml" gw-plain "$plain_port" "$plain_admin" no
start_gateway gw-plain "$TEST_TMP/gw-plain.toml" "$plain_admin"
plain_pid=$STARTED

# --print-pin agrees with openssl on the certificate's SubjectPublicKeyInfo.
want_pin="sha256:$(openssl x509 -in "$TEST_TMP/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')"
expect_exit 0 "httvps-gateway --print-pin" -- env -u HTTVPS_CONFIG "$GATEWAY" --config "$TEST_TMP/gw-tls.toml" --print-pin
expect_eq "--print-pin is the sha256 of the certificate's public key" "$want_pin" "$OUT"

# ---- nginx in front of the plain gateway ----
ngx="$TEST_TMP/nginx-ws"
ngx_port=$(free_port)
mkdir -p "$ngx/logs" "$ngx/tmp"
user_line=""
if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
sed -e "s|@PREFIX@|$ngx|g" -e "s|@PORT@|$ngx_port|g" -e "s|@UPSTREAM@|127.0.0.1:$plain_port|g" \
  -e "s|@USER_LINE@|$user_line|g" "$here/tunnel/nginx-ws.conf.in" >"$ngx/nginx.conf"
check "the nginx config has every placeholder filled" -- test -z "$(grep -o '@[A-Z_]*@' "$ngx/nginx.conf")"
nginx -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log" >"$ngx/logs/stdout.log" 2>&1 &
ngx_pid=$!
defer "stop_pid $ngx_pid"
ngx_up=""
for ((i = 0; i < 300; i++)); do
  code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ngx_port/tunnel" 2>/dev/null) || code=000
  if [ "$code" != 000 ] && [ "$code" != 502 ]; then ngx_up=$code; break; fi
  kill -0 "$ngx_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ngx_up" ]; then
  fail "nginx proxies to the plain gateway on 127.0.0.1:$ngx_port; $(tail -5 "$ngx/logs/error.log" 2>/dev/null)"
  exit 1
fi
pass "nginx proxies to the plain gateway (a plain GET of /tunnel through it: $ngx_up)"

# ---- the scenarios ----
tls_url="wss://127.0.0.1:$tls_port/tunnel"
ngx_url="ws://127.0.0.1:$ngx_port/tunnel"
interop() { "$PY" "$INTEROP" "$@" --cafile "$TEST_TMP/cert.pem"; }

check "TLS: the handshake selects httvps.v1; no subprotocol is 400, a wrong path 404" -- \
  interop handshake --url "$tls_url" --label "tls handshake"
check "TLS: HELLO/WELCOME, OPEN + DATA echo, 1 MiB within the windows, FIN" -- \
  interop happy --url "$tls_url" --token "$token" --bytes-remaining 10000000000 --label "tls happy"
check "TLS: a fragmented message is one message; ping gets pong" -- \
  interop fragments --url "$tls_url" --token "$token" --label "tls fragments"
check "TLS: text 1003, unknown type 4002, IGNORABLE skipped, bad frames 4002, refusals 4001" -- \
  interop errors --url "$tls_url" --token "$token" --revoked-token "$revoked_token" --label "tls errors"
check "TLS: an OPEN beyond WELCOME's max_streams gets OPEN_FAILED too_many_streams" -- \
  interop streams --url "$tls_url" --token "$token" --label "tls streams"
check "nginx: the handshake through the proxy" -- \
  interop handshake --url "$ngx_url" --label "nginx handshake"
check "nginx: the happy path through the proxy to the plain gateway" -- \
  interop happy --url "$ngx_url" --token "$token" --bytes-remaining 10000000000 --label "nginx happy"
check "nginx: fragments and ping through the proxy" -- \
  interop fragments --url "$ngx_url" --token "$token" --label "nginx fragments"

# ---- the admin endpoints after the run ----
# metric ADMIN-PORT NAME: the value of the sample NAME (with its labels), 0 when absent.
metric() {
  curl -fsS --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {print $2; found=1} END {if (!found) print 0}'
}
at_least() { [ "$2" -ge "$1" ] 2>/dev/null; }

req "http://127.0.0.1:$tls_admin/healthz"
expect_eq "/healthz answers 200 after the run" "200" "$STATUS"
req "http://127.0.0.1:$tls_admin/metrics"
expect_eq "/metrics answers 200" "200" "$STATUS"
expect_contains "/metrics is Prometheus text" "# TYPE httvps_gateway_sessions_total counter" "$BODY"
check "TLS gateway: httvps_gateway_sessions_total >= 1 (it was $(metric "$tls_admin" httvps_gateway_sessions_total))" -- \
  at_least 1 "$(metric "$tls_admin" httvps_gateway_sessions_total)"
check "TLS gateway: refusals_total{reason=\"invalid_token\"} >= 1" -- \
  at_least 1 "$(metric "$tls_admin" 'httvps_gateway_refusals_total{reason="invalid_token"}')"
check "TLS gateway: refusals_total{reason=\"device_revoked\"} >= 1" -- \
  at_least 1 "$(metric "$tls_admin" 'httvps_gateway_refusals_total{reason="device_revoked"}')"
check "TLS gateway: upgrade_failures_total >= 3 (no subprotocol, another one, wrong path; it was $(metric "$tls_admin" httvps_gateway_upgrade_failures_total))" -- \
  at_least 3 "$(metric "$tls_admin" httvps_gateway_upgrade_failures_total)"
# The errors scenario closed 10 connections with 4002 (unknown type, second HELLO, DATA on
# a stream never opened, OPEN reusing an id, a bad address type, a frame cut short, OPEN
# before HELLO, three bad HELLOs), besides 1003 x2, 1009 x2 and 1002 (handshake).
# Known gateway bug (reported): only bad HELLOs are counted, so this reads 3 until fixed.
check "TLS gateway: protocol_errors_total counts every 4002 close (>= 10; it was $(metric "$tls_admin" httvps_gateway_protocol_errors_total))" -- \
  at_least 10 "$(metric "$tls_admin" httvps_gateway_protocol_errors_total)"
check "TLS gateway: bytes_up_total >= 1 MiB" -- at_least 1048576 "$(metric "$tls_admin" httvps_gateway_bytes_up_total)"
check "TLS gateway: bytes_down_total >= 1 MiB" -- at_least 1048576 "$(metric "$tls_admin" httvps_gateway_bytes_down_total)"
check "plain gateway behind nginx: sessions_total >= 1" -- \
  at_least 1 "$(metric "$plain_admin" httvps_gateway_sessions_total)"
req "http://127.0.0.1:$plain_admin/healthz"
expect_eq "plain gateway: /healthz answers 200" "200" "$STATUS"

# Every client is gone: the gauges come back to 0 (a bound, not a timing assertion).
settled() {
  local i
  for ((i = 0; i < 150; i++)); do
    [ "$(metric "$1" httvps_gateway_connections_open)" = 0 ] && [ "$(metric "$1" httvps_gateway_streams_open)" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
check "TLS gateway: no connection or stream left open" -- settled "$tls_admin"
check "plain gateway: no connection or stream left open" -- settled "$plain_admin"

# SIGTERM drains and exits 0 (the deferred stop is then a no-op).
check "the TLS gateway exits 0 on SIGTERM" -- stop_pid "$tls_pid"
# The plain gateway is stopped with a client connected through nginx: GOAWAY, OPEN refused
# with going_away, the open stream finishes, close 1001, exit 0.
"$PY" "$INTEROP" drain --url "$ngx_url" --token "$token" --ready-file "$TEST_TMP/drain-ready" \
  --label "nginx drain" >"$TEST_TMP/drain.out" 2>&1 &
drain_pid=$!
defer "kill $drain_pid"
for ((i = 0; i < 300; i++)); do
  [ -s "$TEST_TMP/drain-ready" ] && break
  kill -0 "$drain_pid" 2>/dev/null || break
  sleep 0.1
done
check "the drain client has a stream open through nginx" -- test -s "$TEST_TMP/drain-ready"
kill -TERM "$plain_pid" 2>/dev/null || true
drain_code=0
wait "$drain_pid" || drain_code=$?
cat "$TEST_TMP/drain.out"
expect_eq "SIGTERM with a client connected: GOAWAY, going_away, the stream finishes, close 1001" 0 "$drain_code"
check "the plain gateway exits 0 after draining" -- stop_pid "$plain_pid"
if [ "$_failed" -gt 0 ]; then
  echo "--- gw-tls log (last 40 lines)" >&2
  tail -40 "$TEST_TMP/gw-tls.log" >&2 || true
  echo "--- gw-plain log (last 20 lines)" >&2
  tail -20 "$TEST_TMP/gw-plain.log" >&2 || true
fi

#!/usr/bin/env bash
# The tunnel end to end, through real processes only: curl → httvps-client (SOCKS5, HTTP
# CONNECT, forward) → httvps-gateway (TLS) → ss-server (both AEAD ciphers) → a local HTTP
# server; failover from a dead first node; 1,000 concurrent streams on one connection; a
# stalled stream beside a full-speed one; refusals at HELLO; metrics; SIGHUP certificate
# reload; SIGTERM draining.
source "$(dirname "$0")/lib.sh"
WEB_NAME=tunnel_e2e_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL
ISSUE_KEY=$HTTVPS_BIN_DIR/issue-key
GATEWAY=$HTTVPS_BIN_DIR/httvps-gateway
CLIENT=$HTTVPS_BIN_DIR/httvps-client
STREAMS="$HTTVPS_SOURCE_DIR/tests/system/tunnel/streams.py"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
T=$TEST_TMP

# wait_port PORT: until something accepts on 127.0.0.1:PORT (bounded).
# start NAME CMD...: runs CMD in the background, logs to $T/NAME.log, stopped at exit.
start() {
  local name=$1
  shift
  "$@" >"$T/$name.out" 2>"$T/$name.log" &
  eval "pid_$name=$!"
  defer "kill $! 2>/dev/null; wait $! 2>/dev/null"
}

# --- Upstreams: a content server and two Shadowsocks nodes with different ciphers.
mkdir -p "$T/www"
head -c 50000000 /dev/urandom >"$T/www/big.bin"
big_sha=$(sha256sum "$T/www/big.bin" | cut -d' ' -f1)
echo "small page" >"$T/www/index.html"
http_port=$(free_port)
start http python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$T/www"
echo_port=$(free_port)
start echo python3 "$STREAMS" echo-server "$echo_port"
dead_port=$(free_port)  # node fra-dead: nothing listens here
aes_port=$(free_port)
chacha_port=$(free_port)
start ss_aes ss-server -s 127.0.0.1 -p "$aes_port" -k secret-aes-0123 -m aes-256-gcm
start ss_chacha ss-server -s 127.0.0.1 -p "$chacha_port" -k secret-chacha-0123 -m chacha20-ietf-poly1305
check "the HTTP server and both ss-servers listen" -- wait_port "$http_port"
wait_port "$aes_port" && wait_port "$chacha_port" && wait_port "$echo_port"

# --- The control plane: region eu with a dead first node, region us with one node.
"$HTTVPS" plan create basic --data-limit 10GB --duration 30d --device-limit 5 >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" region create us >/dev/null
"$HTTVPS" node create fra-dead --region eu --host 127.0.0.1 --port "$dead_port" >/dev/null
printf 'never-used\n' | "$HTTVPS" node set-secret fra-dead --secret-stdin >/dev/null
"$HTTVPS" node create nyc-1 --region us --host 127.0.0.1 --port "$chacha_port" --method chacha20-ietf-poly1305 >/dev/null
printf 'secret-chacha-0123\n' | "$HTTVPS" node set-secret nyc-1 --secret-stdin >/dev/null
"$HTTVPS" user create alice --plan basic --region eu >/dev/null
"$HTTVPS" user create bob --plan basic --region us >/dev/null
alice_token=$("$ISSUE_KEY" -o json --user alice --device laptop | jq -r .gateway_token)
bob_token=$("$ISSUE_KEY" -o json --user bob --device phone | jq -r .gateway_token)
# Created after alice's device was assigned to fra-dead: the second choice of region eu.
"$HTTVPS" node create ams-1 --region eu --host 127.0.0.1 --port "$aes_port" --method aes-256-gcm >/dev/null
printf 'secret-aes-0123\n' | "$HTTVPS" node set-secret ams-1 --secret-stdin >/dev/null
"$HTTVPS" -o json gateway add gw-test | jq -r .credential >"$T/gateway-credential"

# --- The gateway, with a self-signed certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
  -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
gw_port=$(free_port)
admin_port=$(free_port)
cat >"$T/gateway.toml" <<EOF
[log]
level = "info"
format = "json"
[gateway]
name = "gw-test"
listen = "127.0.0.1:$gw_port"
tls_cert = "$T/cert.pem"
tls_key = "$T/key.pem"
admin_listen = "127.0.0.1:$admin_port"
control_url = "$base"
credential_file = "$T/gateway-credential"
spool_dir = "$T/spool"
threads = 2
drain_seconds = 20
EOF
expect_exit 0 "the gateway configuration checks out" -- "$GATEWAY" --config "$T/gateway.toml" --check-config
pin=$("$GATEWAY" --config "$T/gateway.toml" --print-pin)
check "--print-pin prints a sha256 pin" -- test "${pin:0:7}" = "sha256:"
start gateway "$GATEWAY" --config "$T/gateway.toml"
check "the gateway listens" -- wait_port "$gw_port"
expect_exit 0 "/healthz answers" -- curl -sf "http://127.0.0.1:$admin_port/healthz"

uri() { echo "httvps://$1@127.0.0.1:$gw_port/tunnel?security=tls&pin=$2"; }
uri "$alice_token" "$pin" >"$T/alice.uri"
uri "$bob_token" "$pin" >"$T/bob.uri"

# --- --check: welcomed, refused, unverifiable certificate.
expect_exit 0 "--check welcomes alice" -- "$CLIENT" --check --uri-file "$T/alice.uri" -o json
expect_eq "with a session id of this gateway" "allowed gw-test" "$(jq -r '"\(.verdict) \(.session | sub("-[0-9a-f]{16}$"; ""))"' <<<"$OUT")"
"$ISSUE_KEY" -o json --user alice --device tablet >"$T/tablet.json"
"$ISSUE_KEY" --revoke alice/tablet >/dev/null
uri "$(jq -r .gateway_token "$T/tablet.json")" "$pin" >"$T/tablet.uri"
expect_exit 1 "a revoked device is refused at HELLO (exit 1)" -- "$CLIENT" --check --uri-file "$T/tablet.uri" -o json
expect_contains "with the reason" '"reason":"device_revoked"' "$OUT"
uri "htv_$(printf 'A%.0s' {1..43})" "$pin" >"$T/unknown.uri"
expect_exit 1 "an unknown token is refused" -- "$CLIENT" --check --uri-file "$T/unknown.uri" -o json
expect_contains "as invalid_token" '"reason":"invalid_token"' "$OUT"
uri "$alice_token" "sha256:$(printf 'A%.0s' {1..43})" >"$T/badpin.uri"
expect_exit 75 "a gateway whose key does not match the pin is not trusted" -- \
  "$CLIENT" --check --timeout 5 --uri-file "$T/badpin.uri" -o json
expect_contains "the error names the pin" "pin" "$OUT"
echo "httvps://$alice_token@127.0.0.1:$gw_port/tunnel?security=tls" >"$T/verify.uri"
expect_exit 75 "a self-signed gateway without pin or insecure fails verification" -- \
  "$CLIENT" --check --timeout 5 --uri-file "$T/verify.uri" -o json

# --- Alice: every stream fails over from fra-dead to ams-1 (aes-256-gcm).
socks=$(free_port)
httpc=$(free_port)
fwd=$(free_port)
start alice "$CLIENT" --uri-file "$T/alice.uri" --socks "127.0.0.1:$socks" --http "127.0.0.1:$httpc" \
  --forward "127.0.0.1:$fwd=127.0.0.1:$http_port"
check "the client listens" -- wait_port "$socks"
wait_port "$httpc" && wait_port "$fwd"
expect_exit 0 "curl through SOCKS5 fetches a page" -- \
  curl -sf --max-time 30 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$http_port/index.html"
expect_eq "the page arrives" "small page" "$OUT"
expect_exit 0 "a domain name target works (resolved by the node)" -- \
  curl -sf --max-time 30 --socks5-hostname "127.0.0.1:$socks" "http://localhost:$http_port/index.html"
expect_exit 0 "curl through HTTP CONNECT" -- \
  curl -sf --max-time 30 -p -x "http://127.0.0.1:$httpc" "http://127.0.0.1:$http_port/index.html"
expect_exit 0 "a port forward" -- curl -sf --max-time 30 "http://127.0.0.1:$fwd/index.html"
expect_exit 0 "50 MB through the tunnel" -- \
  curl -sf --max-time 120 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$http_port/big.bin" -o "$T/got.bin"
expect_eq "arrive byte-identical" "$big_sha" "$(sha256sum "$T/got.bin" | cut -d' ' -f1)"
rm -f "$T/got.bin"
# Shadowsocks has no connect status: the node accepts, cannot reach the target and closes.
expect_exit 52 "a closed target port behind a node ends the stream with nothing (curl exit 52)" -- \
  curl -s --max-time 30 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$dead_port/"

expect_exit 0 "1,000 concurrent streams over one client connection all complete" -- \
  python3 "$STREAMS" many "$socks" "$echo_port" 1000
expect_exit 0 "a stream whose reader stalls does not hold up a parallel transfer" -- \
  python3 "$STREAMS" stall "$socks" "$http_port" /big.bin "$big_sha"

metrics=$(curl -sf "http://127.0.0.1:$admin_port/metrics")
expect_contains "metrics count failovers from the dead node" 'httvps_gateway_upstream_failures_total{node="fra-dead"}' "$metrics"
expect_contains "and refusals by reason" 'httvps_gateway_refusals_total{reason="device_revoked"} 1' "$metrics"
up=$(sed -n 's/^httvps_gateway_bytes_down_total //p' <<<"$metrics")
check "and at least 100 MB carried down" -- test "${up:-0}" -ge 100000000
check "and more than 1,000 streams" -- test "$(sed -n 's/^httvps_gateway_streams_total //p' <<<"$metrics")" -gt 1000

# --- upstream = direct: the gateway connects itself, and keeps streams off private addresses.
direct_port=$(free_port)
sed -e "s/^listen = .*/listen = \"127.0.0.1:$direct_port\"/" -e "s/^admin_listen = .*/admin_listen = \"\"/" \
  -e 's/^name = .*/name = "gw-direct"/' "$T/gateway.toml" >"$T/direct.toml"
printf 'upstream = "direct"\n' >>"$T/direct.toml"
start direct "$GATEWAY" --config "$T/direct.toml"
wait_port "$direct_port"
echo "httvps://$alice_token@127.0.0.1:$direct_port/tunnel?security=tls&pin=$pin" >"$T/direct.uri"
dsocks=$(free_port)
start alice_direct "$CLIENT" --uri-file "$T/direct.uri" --socks "127.0.0.1:$dsocks"
wait_port "$dsocks"
expect_exit 0 "direct: the device is welcomed" -- "$CLIENT" --check --uri-file "$T/direct.uri"
code=0
curl -s --max-time 30 --socks5-hostname "127.0.0.1:$dsocks" "http://127.0.0.1:$http_port/index.html" >/dev/null || code=$?
check "direct: a loopback target is refused (not_allowed), not fetched (curl exit $code)" -- test "$code" -ne 0 -a "$code" -ne 52
code=0
curl -s --max-time 30 --socks5-hostname "127.0.0.1:$dsocks" "http://localhost:$http_port/index.html" >/dev/null || code=$?
check "direct: a name that resolves to loopback is refused too (curl exit $code)" -- test "$code" -ne 0 -a "$code" -ne 52
# The same with allow_private_targets: served, and a closed port fails the SOCKS CONNECT.
open_port=$(free_port)
sed -e "s/^listen = .*/listen = \"127.0.0.1:$open_port\"/" -e 's/^name = .*/name = "gw-open"/' "$T/direct.toml" >"$T/open.toml"
printf 'allow_private_targets = true\n' >>"$T/open.toml"
start open "$GATEWAY" --config "$T/open.toml"
wait_port "$open_port"
echo "httvps://$alice_token@127.0.0.1:$open_port/tunnel?security=tls&pin=$pin" >"$T/open.uri"
osocks=$(free_port)
start alice_open "$CLIENT" --uri-file "$T/open.uri" --socks "127.0.0.1:$osocks"
wait_port "$osocks"
expect_exit 0 "direct with allow_private_targets: the page is fetched" -- \
  curl -sf --max-time 30 --socks5-hostname "127.0.0.1:$osocks" "http://localhost:$http_port/index.html"
code=0
curl -s --max-time 30 --socks5-hostname "127.0.0.1:$osocks" "http://127.0.0.1:$dead_port/" >/dev/null || code=$?
check "direct: a closed port fails the SOCKS CONNECT itself (curl exit $code, not an empty reply)" -- \
  test "$code" -ne 0 -a "$code" -ne 52

# --- Bob: region us, chacha20-ietf-poly1305.
bsocks=$(free_port)
start bob "$CLIENT" --uri-file "$T/bob.uri" --socks "127.0.0.1:$bsocks"
wait_port "$bsocks"
expect_exit 0 "chacha20-ietf-poly1305 node: 50 MB arrive" -- \
  curl -sf --max-time 120 --socks5-hostname "127.0.0.1:$bsocks" "http://127.0.0.1:$http_port/big.bin" -o "$T/got.bin"
expect_eq "byte-identical" "$big_sha" "$(sha256sum "$T/got.bin" | cut -d' ' -f1)"
rm -f "$T/got.bin"

# --- SIGHUP: a new certificate is served to new connections.
cp "$T/cert.pem" "$T/cert1.pem"
cp "$T/key.pem" "$T/key1.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/key2.pem" -out "$T/cert2.pem" \
  -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
mv "$T/cert2.pem" "$T/cert.pem"
mv "$T/key2.pem" "$T/key.pem"
new_pin=$("$GATEWAY" --config "$T/gateway.toml" --print-pin)
kill -HUP "$pid_gateway"
sleep 0.5
uri "$alice_token" "$new_pin" >"$T/newpin.uri"
expect_exit 0 "after SIGHUP the new certificate is served" -- "$CLIENT" --check --uri-file "$T/newpin.uri"
expect_exit 75 "and the old pin no longer matches" -- "$CLIENT" --check --timeout 5 --uri-file "$T/alice.uri"

# --- SIGTERM: a slow download in flight finishes; then the gateway exits 0.
curl -sf --max-time 60 --limit-rate 10M --socks5-hostname "127.0.0.1:$bsocks" \
  "http://127.0.0.1:$http_port/big.bin" -o "$T/slow.bin" &
slow=$!
sleep 1
kill -TERM "$pid_gateway"
sleep 0.3
expect_eq "/healthz says draining" 503 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin_port/healthz")"
check "the download in flight completes during the drain" -- wait "$slow"
expect_eq "intact" "$big_sha" "$(sha256sum "$T/slow.bin" | cut -d' ' -f1)"
for ((i = 0; i < 100; i++)); do kill -0 "$pid_gateway" 2>/dev/null || break; sleep 0.1; done
wait "$pid_gateway"
expect_eq "the gateway exits 0 after draining" 0 "$?"
expect_contains "and logs it" '"message":"gateway stopped"' "$(cat "$T/gateway.log")"
expect_not_contains "no device token is ever logged" "$alice_token" "$(cat "$T"/*.log)"
expect_not_contains "nor a node secret" "secret-aes-0123" "$(cat "$T"/*.log)"

# --- The client reconnects (with backoff) once a gateway is back on the port (with the
# certificate bob's URI pins).
mv "$T/cert1.pem" "$T/cert.pem"
mv "$T/key1.pem" "$T/key.pem"
start gateway2 "$GATEWAY" --config "$T/gateway.toml"
wait_port "$gw_port"
got=""
for ((i = 0; i < 60; i++)); do
  got=$(curl -sf --max-time 5 --socks5-hostname "127.0.0.1:$bsocks" "http://127.0.0.1:$http_port/index.html") && break
  sleep 1
done
expect_eq "the client reconnected to the restarted gateway on its own" "small page" "$got"
expect_contains "and says so in its log" '"message":"connected to the gateway"' "$(tail -5 "$T/bob.log")"

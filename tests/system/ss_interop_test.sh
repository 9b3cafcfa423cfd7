#!/usr/bin/env bash
# A real Shadowsocks client accepts what issue-key prints: for each AEAD cipher, a real
# ss-server runs with the device's password and method, ss-local is configured from the
# ss:// link as decoded by our own client-side parser (httvps link parse), and a page of a
# local HTTP server arrives byte-identical through it. A wrong password gets nothing.
source "$(dirname "$0")/lib.sh"
fresh_db
openssl rand -base64 32 >"$TEST_TMP/key"
export HTTVPS_SECRETS_KEY_FILE="$TEST_TMP/key"

mkdir -p "$TEST_TMP/www"
head -c 300000 /dev/urandom >"$TEST_TMP/www/blob"
want=$(sha256sum <"$TEST_TMP/www/blob" | cut -d' ' -f1)
http_port=$(free_port)
(cd "$TEST_TMP/www" && exec python3 -m http.server "$http_port" --bind 127.0.0.1) >/dev/null 2>&1 &
defer "kill $!"

"$HTTVPS" plan create basic --device-limit 5 >/dev/null
"$HTTVPS" user create alice --plan basic >/dev/null

wait_port "$http_port" || { fail "the HTTP server starts"; exit 1; }

for method in chacha20-ietf-poly1305 aes-256-gcm; do
  ss_port=$(free_port)
  "$HTTVPS" region create "r-${method%%-*}" >/dev/null
  "$HTTVPS" node create "n-${method%%-*}" --region "r-${method%%-*}" --host 127.0.0.1 --port "$ss_port" --method "$method" >/dev/null
  link=$("$HTTVPS_BIN_DIR/issue-key" -o json --user alice --device "dev-${method%%-*}" --region "r-${method%%-*}" | jq -r .links.ss_link)
  expect_exit 0 "$method: our parser decodes the ss:// link" -- "$HTTVPS" -o json link parse "$link"
  parsed=$OUT
  expect_eq "$method: the link names the node and cipher" "127.0.0.1 $ss_port $method" \
    "$(jq -r '"\(.host) \(.port) \(.method)"' <<<"$parsed")"
  password=$(jq -r .password <<<"$parsed")

  ss-server -s 127.0.0.1 -p "$ss_port" -k "$password" -m "$method" -u >"$TEST_TMP/ss-server.log" 2>&1 &
  defer "kill $!"
  socks=$(free_port)
  ss-local -s "$(jq -r .host <<<"$parsed")" -p "$(jq -r .port <<<"$parsed")" -k "$password" -m "$method" \
    -b 127.0.0.1 -l "$socks" >"$TEST_TMP/ss-local.log" 2>&1 &
  defer "kill $!"
  check "$method: ss-server and ss-local listen" -- bash -c "$(declare -f wait_port); wait_port $ss_port && wait_port $socks"
  got=$(curl -sS --max-time 10 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$http_port/blob" | sha256sum | cut -d' ' -f1)
  expect_eq "$method: the page arrives byte-identical through ss-local and ss-server" "$want" "$got"

  bad_socks=$(free_port)
  ss-local -s 127.0.0.1 -p "$ss_port" -k "wrong-$password" -m "$method" -b 127.0.0.1 -l "$bad_socks" >/dev/null 2>&1 &
  defer "kill $!"
  wait_port "$bad_socks" || true
  code=0
  curl -sS --max-time 3 --socks5-hostname "127.0.0.1:$bad_socks" "http://127.0.0.1:$http_port/blob" >/dev/null 2>&1 || code=$?
  check "$method: a wrong password gets nothing" -- test "$code" -ne 0
done

#!/usr/bin/env bash
# The ss-manager client (tools/core/nodes/ss_manager.cpp) against the real ss-manager of
# shadowsocks-libev, driven through the ss_manager_probe test helper: a port added with a
# password carries a real ss-local + curl transfer, ping counts its traffic, remove closes
# it; malformed commands time out, a busy port is refused, and the Unix-socket address works.
source "$(dirname "$0")/lib.sh"
PROBE=$HTTVPS_BIN_DIR/ss_manager_probe
METHOD=chacha20-ietf-poly1305
command -v ss-manager >/dev/null || { fail "ss-manager is installed (Debian package shadowsocks-libev)"; exit 1; }

# start_manager ADDRESS DIR: a real ss-manager whose ss-server children live in DIR.
start_manager() {
  mkdir -p "$2"
  ss-manager --manager-address "$1" --executable "$(command -v ss-server)" -s 127.0.0.1 -m "$METHOD" \
    -D "$2" -t 10 </dev/null >"$2.log" 2>&1 &
  defer "kill $!"
  # ss-manager stops its ss-server children when it exits; these kills cover a crash.
  defer "for p in '$2'/.shadowsocks_*.pid; do [ -f \"\$p\" ] && kill \$(cat \"\$p\"); done"
  for _ in $(seq 1 50); do
    "$PROBE" "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

mkdir -p "$TEST_TMP/www"
head -c 200000 /dev/urandom >"$TEST_TMP/www/blob"
want=$(sha256sum <"$TEST_TMP/www/blob" | cut -d' ' -f1)
http_port=$(free_port)
(cd "$TEST_TMP/www" && exec python3 -m http.server "$http_port" --bind 127.0.0.1) >/dev/null 2>&1 &
defer "kill $!"
wait_port "$http_port" || { fail "the HTTP server starts"; exit 1; }

manager="127.0.0.1:$(free_port)"
check "ss-manager starts and answers ping over UDP" -- start_manager "$manager" "$TEST_TMP/wd"
expect_exit 0 "a fresh manager serves no port" -- "$PROBE" "$manager" ping
expect_eq "ping of a fresh manager is an empty object" "{}" "$OUT"

port=$(free_port)
password=$(openssl rand -base64 18)
expect_exit 0 "add: the manager takes a port with its password" -- "$PROBE" "$manager" add "$port" "$password"
check "the manager's ss-server listens on the added port" -- wait_port "$port"
expect_exit 0 "list names the added port" -- "$PROBE" "$manager" ports
expect_eq "list names exactly the added port" "$port" "$OUT"
expect_exit 0 "add of the same port again is accepted (the manager replaces it; the client retries while the old ss-server lets go)" -- "$PROBE" "$manager" add "$port" "$password"
wait_port "$port" || true

socks=$(free_port)
ss-local -s 127.0.0.1 -p "$port" -k "$password" -m "$METHOD" -b 127.0.0.1 -l "$socks" >"$TEST_TMP/ss-local.log" 2>&1 &
defer "kill $!"
wait_port "$socks" || true
got=$(curl -sS --max-time 10 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$http_port/blob" | sha256sum | cut -d' ' -f1)
expect_eq "a page arrives byte-identical through ss-local and the managed port" "$want" "$got"

bad_socks=$(free_port)
ss-local -s 127.0.0.1 -p "$port" -k "wrong-$password" -m "$METHOD" -b 127.0.0.1 -l "$bad_socks" >/dev/null 2>&1 &
defer "kill $!"
wait_port "$bad_socks" || true
code=0
curl -sS --max-time 3 --socks5-hostname "127.0.0.1:$bad_socks" "http://127.0.0.1:$http_port/blob" >/dev/null 2>&1 || code=$?
check "a wrong password gets nothing through the managed port" -- test "$code" -ne 0

# ss-server reports its traffic to the manager every few seconds.
bytes=0
for _ in $(seq 1 40); do
  bytes=$("$PROBE" "$manager" ping | jq -r --arg p "$port" '.[$p] // 0')
  [ "$bytes" -gt 0 ] && break
  sleep 0.5
done
check "ping counts the port's traffic (got $bytes bytes)" -- test "$bytes" -gt 100000

expect_exit 75 "add of a port something else holds is refused" -- "$PROBE" "$manager" add "$http_port" "$password"
expect_contains "the refusal says what the manager answered" "answered 'port is not available'" "$ERR"
expect_not_contains "the refusal does not quote the password" "$password" "$ERR"
expect_exit 75 "a command the manager ignores times out" -- "$PROBE" "$manager" raw bogus
expect_contains "the timeout is named" "no answer to raw command within 3000 ms" "$ERR"

expect_exit 0 "remove: the manager drops the port" -- "$PROBE" "$manager" remove "$port"
check "the removed port no longer accepts connections" -- wait_closed "$port"
code=0
curl -sS --max-time 3 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$http_port/blob" >/dev/null 2>&1 || code=$?
check "the same ss-local gets nothing after the remove" -- test "$code" -ne 0
expect_exit 0 "list after the remove" -- "$PROBE" "$manager" ports
expect_eq "list is empty after the remove" "" "$OUT"
expect_exit 0 "ping after the remove" -- "$PROBE" "$manager" ping
expect_eq "ping no longer counts the removed port" "{}" "$OUT"

sock="$TEST_TMP/m.sock"
check "a second ss-manager answers on a Unix socket" -- start_manager "$sock" "$TEST_TMP/wd2"
port2=$(free_port)
expect_exit 0 "add over the Unix socket" -- "$PROBE" "$sock" add "$port2" "$password" aes-256-gcm
check "the port added over the Unix socket listens" -- wait_port "$port2"
expect_exit 0 "remove over the Unix socket" -- "$PROBE" "$sock" remove "$port2"
check "the port removed over the Unix socket closes" -- wait_closed "$port2"

expect_exit 75 "a manager that is gone is an error, not a hang" -- "$PROBE" "127.0.0.1:$(free_port)" ping

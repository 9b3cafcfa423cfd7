# Sourced by system tests that need the CGI binaries behind real nginx + fcgiwrap:
# renders templates/nginx/local.conf.in (ci/lib/web.sh) into a private prefix on a free
# port, with a fresh database and a config of its own. Source lib.sh first and set
# WEB_NAME. Provides $base, $config, req, header and jqb.
# shellcheck source=ci/lib/web.sh
source "$HTTVPS_SOURCE_DIR/ci/lib/web.sh"

fresh_db

bin_dir=$(cd "$HTTVPS_BIN_DIR" && pwd)
prefix="$TEST_TMP/nginx"
run="$TEST_TMP/run"
config="$TEST_TMP/httvps.toml"
port=$(free_port)
base="http://127.0.0.1:$port"

openssl rand -base64 32 >"$TEST_TMP/secrets.key"
write_config() {
  cat >"$config" <<EOF
[database]
url = "$1"

[log]
format = "json"

[secrets]
key_file = "$TEST_TMP/secrets.key"

[public]
api_url = "$base"
EOF
}
write_config "$HTTVPS_DATABASE_URL"

defer "web_stop '$run'"
if ! web_start "$prefix" "$run" "$port" "$bin_dir" "$config"; then
  fail "nginx and fcgiwrap start on 127.0.0.1:$port"
  cat "$prefix/logs/error.log" "$prefix/logs/fcgiwrap.log" >&2 2>/dev/null || true
  exit 1
fi
pass "nginx and fcgiwrap start on 127.0.0.1:$port"
check "health answers within the retry bound" -- web_wait_health "$port" 50

# req CURL-ARGS...: one request; sets STATUS, CTYPE, HEADERS (raw) and BODY.
req() {
  STATUS=$(curl -sS --max-time 20 -D "$TEST_TMP/headers" -o "$TEST_TMP/body" -w '%{http_code}' "$@") || STATUS="curl-failed"
  HEADERS=$(tr -d '\r' <"$TEST_TMP/headers" 2>/dev/null || true)
  BODY=$(cat "$TEST_TMP/body" 2>/dev/null || true)
  CTYPE=$(printf '%s\n' "$HEADERS" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -1)
}
# header NAME: the value of response header NAME (case-insensitive), empty when absent.
header() { printf '%s\n' "$HEADERS" | grep -i "^$1:" | tail -1 | sed 's/^[^:]*: *//'; }
jqb() { printf '%s' "$BODY" | jq -r "$1" 2>/dev/null || echo "<not json>"; }


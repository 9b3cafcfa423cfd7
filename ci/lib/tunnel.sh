# shellcheck shell=bash
# The tunnel part of the local stack (ci/stack.sh): a Shadowsocks node (ss-server, the
# demo region's node 'local-ss'), httvps-gateway with a self-signed certificate, and the
# proof that the path works. Source it after ci/lib/web.sh; it defines functions only.
#
#   tunnel_up VAR RUN BIN_DIR API_PORT   starts what is not running; prints the client command
#   tunnel_prove VAR BIN_DIR API_PORT    curl through a temporary httvps-client → gateway → ss-server → nginx
#   tunnel_down RUN                      stops both (by PID, checked against /proc/PID/comm)
#   tunnel_status RUN                    one line per component; non-zero when one is stopped
#
# Ports: the node listens on 127.0.0.1:8388 (as registered by ci/stack.sh), the gateway
# on HTTVPS_GATEWAY_PORT (default 8443) and its metrics on HTTVPS_GATEWAY_ADMIN_PORT
# (default 9810).

# Read once, when sourced: ci/stack.sh unsets every HTTVPS_* variable afterwards.
tunnel_gw_port=${HTTVPS_GATEWAY_PORT:-8443}
tunnel_admin_port=${HTTVPS_GATEWAY_ADMIN_PORT:-9810}

_tunnel_die() { echo "${WEB_NAME:-tunnel}: $*" >&2; return 1; }

# _tunnel_pid RUN NAME: the PID in RUN/NAME.pid when that process lives and is NAME.
_tunnel_pid() { web_pid "$1" "$2"; }

_tunnel_wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    web_port_in_use "$1" && return 0
    sleep 0.1
  done
  return 1
}

_tunnel_stop() {  # RUN NAME
  local pid i
  pid=$(_tunnel_pid "$1" "$2") || { rm -f "$1/$2.pid"; return 0; }
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -f "$1/$2.pid"
}

tunnel_up() {
  local var=$1 run=$2 bin_dir=$3 api_port=$4
  local gw_dir="$var/gateway" log_dir="$var/log"
  mkdir -p "$gw_dir" "$log_dir"
  [ -x "$bin_dir/httvps-gateway" ] || _tunnel_die "$bin_dir/httvps-gateway is missing" || return 1
  command -v ss-server >/dev/null || _tunnel_die "ss-server is not installed (ci/install-deps.sh)" || return 1

  # The node: the password is the node's gateway secret minted by ci/stack.sh.
  if ! _tunnel_pid "$run" ss-server >/dev/null; then
    if web_port_in_use 8388; then _tunnel_die "port 8388 (node local-ss) is in use by another program" || return 1; fi
    ss-server -s 127.0.0.1 -p 8388 -m chacha20-ietf-poly1305 -k "$(cat "$var/node-secret")" \
      >>"$log_dir/ss-server.log" 2>&1 &
    echo $! >"$run/ss-server.pid"
    _tunnel_wait_port 8388 || _tunnel_die "ss-server did not start (see $log_dir/ss-server.log)" || return 1
  fi

  # The gateway's certificate: self-signed, generated once.
  if [ ! -s "$gw_dir/cert.pem" ] || [ ! -s "$gw_dir/key.pem" ]; then
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
      -keyout "$gw_dir/key.pem" -out "$gw_dir/cert.pem" -subj /CN=127.0.0.1 \
      -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null) ||
      _tunnel_die "openssl could not make the gateway certificate" || return 1
  fi
  cat >"$gw_dir/gateway.toml.new" <<EOF
# Written by ci/stack.sh up for the local stack; rewritten on every 'up'.
# Every key is documented in docs/gateway.md.
[log]
format = "json"

[gateway]
name = "local-gw"
listen = "127.0.0.1:$tunnel_gw_port"
tls_cert = "$gw_dir/cert.pem"
tls_key = "$gw_dir/key.pem"
admin_listen = "127.0.0.1:$tunnel_admin_port"
control_url = "http://127.0.0.1:$api_port"
credential_file = "$var/gateway-credential"
spool_dir = "$gw_dir/spool"
upstream = "nodes"
EOF
  local changed=yes
  if cmp -s "$gw_dir/gateway.toml.new" "$gw_dir/gateway.toml"; then changed=no; fi
  mv "$gw_dir/gateway.toml.new" "$gw_dir/gateway.toml"
  if [ "$changed" = yes ]; then _tunnel_stop "$run" httvps-gateway; fi
  if ! _tunnel_pid "$run" httvps-gateway >/dev/null; then
    if web_port_in_use "$tunnel_gw_port"; then
      _tunnel_die "port $tunnel_gw_port is in use (set HTTVPS_GATEWAY_PORT)" || return 1
    fi
    HTTVPS_CONFIG="$gw_dir/gateway.toml" "$bin_dir/httvps-gateway" --config "$gw_dir/gateway.toml" \
      >>"$log_dir/gateway.log" 2>&1 &
    echo $! >"$run/httvps-gateway.pid"
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    curl -sf "http://127.0.0.1:$tunnel_admin_port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$tunnel_admin_port/healthz" >/dev/null 2>&1 ||
    _tunnel_die "the gateway did not become healthy (see $log_dir/gateway.log)" || return 1

  # The demo device's URI with the certificate's pin, for httvps-client.
  local pin token
  pin=$("$bin_dir/httvps-gateway" --config "$gw_dir/gateway.toml" --print-pin) || return 1
  token=$(jq -r .gateway_token "$var/demo-device.json")
  (umask 077 && echo "httvps://$token@127.0.0.1:$tunnel_gw_port/tunnel?security=tls&pin=$pin#demo%2Fdemo-device" \
    >"$var/demo-client.uri")
}

tunnel_prove() {
  local var=$1 bin_dir=$2 api_port=$3 cfg out port i code=1
  cfg=$(mktemp -d)
  : >"$cfg/client.toml"  # the client needs no configuration; keep the stack's out of it
  HTTVPS_CONFIG="$cfg/client.toml" "$bin_dir/httvps-client" --uri-file "$var/demo-client.uri" --socks 127.0.0.1:0 \
    -o json >"$cfg/out" 2>"$cfg/log" &
  local pid=$!
  for ((i = 0; i < 50; i++)); do
    port=$(jq -r '.port // empty' "$cfg/out" 2>/dev/null | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -n "$port" ]; then
    out=$(curl -sf --max-time 20 --socks5-hostname "127.0.0.1:$port" "http://127.0.0.1:$api_port/api/v1/health") &&
      [ "$(jq -r .status <<<"$out" 2>/dev/null)" = ok ] && code=0
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ "$code" = 0 ] || { cat "$cfg/log" >&2; rm -rf "$cfg"; _tunnel_die "no page came through the tunnel"; return 1; }
  rm -rf "$cfg"
}

tunnel_down() {
  _tunnel_stop "$1" httvps-gateway
  _tunnel_stop "$1" ss-server
}

tunnel_status() {
  local run=$1 all=0 pid
  if pid=$(_tunnel_pid "$run" ss-server); then
    echo "ss-server   running  pid $pid  127.0.0.1:8388 (node local-ss)"
  else
    echo "ss-server   stopped"
    all=1
  fi
  if pid=$(_tunnel_pid "$run" httvps-gateway); then
    echo "gateway     running  pid $pid  wss://127.0.0.1:$tunnel_gw_port/tunnel  metrics http://127.0.0.1:$tunnel_admin_port/metrics"
  else
    echo "gateway     stopped"
    all=1
  fi
  return "$all"
}

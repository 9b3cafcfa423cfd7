#!/usr/bin/env bash
# The local httvps stack: a private PostgreSQL cluster, migrations and demo data, and
# nginx + fcgiwrap serving the CGI endpoints on loopback. All state lives under var/.
#
#   ci/stack.sh up       start everything (idempotent) and print how to use it
#   ci/stack.sh down     stop everything `up` started (idempotent)
#   ci/stack.sh status   one line per component; exit 0 only when all run
#
# Environment: HTTVPS_BIN_DIR (default build/release/bin), HTTVPS_PORT (default 8080),
# HTTVPS_GATEWAY_PORT (default 8443), HTTVPS_GATEWAY_ADMIN_PORT (default 9810).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
var="$root/var"
run="$var/run"
prefix="$var/nginx"
config="$var/httvps.toml"
key_file="$var/secrets.key"
password_file="$var/admin-password"
port=${HTTVPS_PORT:-8080}
bin_dir=${HTTVPS_BIN_DIR:-$root/build/release/bin}
bin_dir_given=${HTTVPS_BIN_DIR:-build/release/bin}

WEB_NAME=stack
# shellcheck source=ci/lib/web.sh
source "$root/ci/lib/web.sh"
# shellcheck source=ci/lib/tunnel.sh
source "$root/ci/lib/tunnel.sh"

die() { echo "stack: $*" >&2; exit 1; }
say() { echo "stack: $*" >&2; }

# Config variables in the caller's shell (HTTVPS_DATABASE_URL, ...) override the config
# file and would point the stack's CLI calls at some other database: drop them all.
for v in $(compgen -e | grep '^HTTVPS_' || true); do unset "$v"; done
export HTTVPS_CONFIG="$config"

httvps() { "$bin_dir/httvps" "$@"; }

# The cluster's socket directory (under /tmp when var/pg is not usable by postgres).
pg_socket() { "$root/ci/pg-cluster.sh" socket "$var/pg"; }

# PID of the postmaster, from its own pid file (first line).
pg_pid() {
  local sock home
  sock=$(pg_socket) || return 1
  home=$(dirname "$sock")
  [ -f "$home/data/postmaster.pid" ] || return 1
  head -1 "$home/data/postmaster.pid"
}

# ensure KIND NAME CREATE-ARGS...: creates KIND NAME unless `httvps KIND show NAME` finds
# it; sets created=yes|no.
created=no
ensure() {
  local kind=$1 name=$2 code=0 err
  shift 2
  created=no
  err=$(httvps --log-level warn "$kind" show "$name" 2>&1 >/dev/null) || code=$?
  case "$code" in
    0) return 0 ;;
    3) ;;  # not found
    *) echo "$err" >&2; die "'httvps $kind show $name' failed with exit $code" ;;
  esac
  httvps --log-level warn "$kind" create "$name" "$@" >/dev/null || die "could not create $kind '$name'"
  created=yes
  say "created $kind '$name'"
}

write_config() {
  local sock=$1
  # Rewritten on every `up` so it always matches the running stack (socket, port).
  cat >"$config.new" <<EOF
# Written by ci/stack.sh up for the local stack; rewritten on every 'up'.
# Every key is documented in templates/httvps.toml.example.

[database]
url = "host=$sock user=postgres dbname=httvps"

[log]
format = "json"

[secrets]
key_file = "$key_file"

[public]
api_url = "http://127.0.0.1:$port"
EOF
  mv "$config.new" "$config"
}

up() {
  web_valid_port "$port" || die "HTTVPS_PORT '$port' is not a port number"
  bin_dir=$(cd "$bin_dir" 2>/dev/null && pwd) ||
    die "binary directory '$bin_dir_given' does not exist; run 'make build-release' or set HTTVPS_BIN_DIR"
  [ -x "$bin_dir/httvps" ] || die "$bin_dir/httvps is missing; run 'make build-release' or set HTTVPS_BIN_DIR"
  mkdir -p "$run"

  # Fail before starting or stopping anything when the port belongs to someone else (it
  # is ours when our nginx already listens there).
  local ours=no
  if web_pid "$run" nginx >/dev/null && [ "$(cat "$run/nginx.port" 2>/dev/null)" = "$port" ]; then ours=yes; fi
  if [ "$ours" = no ] && web_port_in_use "$port"; then
    die "port $port is in use (set HTTVPS_PORT to choose another)"
  fi

  local sock
  sock=$("$root/ci/pg-cluster.sh" start "$var/pg") || die "PostgreSQL did not start (see $var/pg)"
  pg_pid >"$run/postgres.pid"
  local psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d postgres)
  if [ -z "$("${psql[@]}" -At -c "SELECT 1 FROM pg_database WHERE datname = 'httvps'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE httvps" || die "could not create database httvps"
    say "created database httvps"
  fi

  # Secrets are generated once: a new key would make every sealed secret unreadable.
  if [ ! -s "$key_file" ]; then
    (umask 077 && openssl rand -base64 32 >"$key_file.new") && mv "$key_file.new" "$key_file"
    say "generated $key_file"
  fi
  chmod 600 "$key_file"
  local new_password=no
  if [ ! -s "$password_file" ]; then
    # 24 characters of base64: well over the 12-character minimum.
    (umask 077 && openssl rand -base64 18 >"$password_file.new") && mv "$password_file.new" "$password_file"
    new_password=yes
  fi
  chmod 600 "$password_file"
  write_config "$sock"

  httvps --log-level warn migrate up >&2 || die "migrate up failed"

  # Demo data, only what is missing, so a second `up` changes nothing.
  ensure plan demo --data-limit 50GB --duration 30d --device-limit 3
  ensure region local --display-name "Local"
  ensure node local-ss --region local --kind shadowsocks --host 127.0.0.1 --port 8388
  ensure user demo --plan demo
  ensure admin admin --role owner --password-file "$password_file"
  # A deleted var/admin-password was just regenerated: make the existing admin match it,
  # so the summary never shows a password that does not work.
  if [ "$new_password" = yes ] && [ "$created" = no ]; then
    httvps --log-level warn admin update admin --password-file "$password_file" >/dev/null ||
      die "could not reset the password of admin 'admin'"
    say "reset the password of admin 'admin' (var/admin-password was missing)"
  fi

  # The gateway's credential, the node's gateway secret and a demo device key are minted
  # once and kept under var/ (mode 600): each is shown only when it is created.
  if [ ! -s "$var/gateway-credential" ]; then
    if httvps --log-level warn gateway show local-gw >/dev/null 2>&1; then
      die "gateway 'local-gw' exists but var/gateway-credential is gone; 'httvps gateway delete local-gw --yes' mints a new one at the next up"
    fi
    (umask 077 && httvps --log-level warn -o json gateway add local-gw | jq -r .credential >"$var/gateway-credential")
    say "minted the gateway credential (var/gateway-credential)"
  fi
  if [ ! -s "$var/node-secret" ]; then
    (umask 077 && httvps --log-level warn -o json node set-secret local-ss | jq -r .secret >"$var/node-secret")
    say "set the gateway secret of node 'local-ss' (var/node-secret)"
  fi
  if [ ! -s "$var/demo-device.json" ]; then
    (umask 077 && "$bin_dir/issue-key" --log-level warn -o json --user demo --device demo-device >"$var/demo-device.json") ||
      die "could not issue the demo device key"
    say "issued the demo device key (var/demo-device.json)"
  fi

  # shellcheck source=ci/lib/panel.sh
  source "$root/ci/lib/panel.sh" && panel_install "$root/build/wasm-admin" "$prefix/www"
  web_start "$prefix" "$run" "$port" "$bin_dir" "$config" || die "could not start nginx + fcgiwrap"
  echo "$port" >"$run/nginx.port"
  web_wait_health "$port" 50 || die "the stack is up but not healthy; see $prefix/logs/error.log"
  tunnel_up "$var" "$run" "$bin_dir" "$port" || die "the tunnel did not start"
  tunnel_prove "$var" "$bin_dir" "$port" || die "the tunnel is up but carries nothing"
  say "proved the tunnel: curl → httvps-client → httvps-gateway (TLS) → ss-server → nginx"

  local cli="build/release/bin/httvps"
  if [ "$bin_dir" != "$root/build/release/bin" ]; then cli="$bin_dir/httvps"; fi
  cat <<EOF
httvps local stack is up
  PostgreSQL  socket $sock (database httvps)
  admin panel http://127.0.0.1:$port/  (log in with the admin login below)
  API health  http://127.0.0.1:$port/api/v1/health
  admin login admin / $(cat "$password_file")   (kept in var/admin-password)
  device key  $(cat "$var/demo-client.uri")
              (the issued URI plus the pin of the local gateway's self-signed certificate)
  sub URL     $(jq -r .links.subscription_url "$var/demo-device.json")
  CLI         HTTVPS_CONFIG=\$PWD/var/httvps.toml $cli plan list
  gateway     wss://127.0.0.1:$tunnel_gw_port/tunnel  (metrics http://127.0.0.1:$tunnel_admin_port/metrics)
  node        ss-server 127.0.0.1:8388 (local-ss)
  client      ${cli%/httvps}/httvps-client --uri-file var/demo-client.uri --socks 127.0.0.1:1080
              then: curl --socks5-hostname 127.0.0.1:1080 http://127.0.0.1:$port/api/v1/health
  stop with   make down   (or ci/stack.sh down)
EOF
}

# alive PID: the process exists and is not a zombie waiting for a parent to reap it.
alive() {
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  local state
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

down() {
  tunnel_down "$run"
  web_stop "$run"
  rm -f "$run/nginx.port"
  if [ -d "$var/pg" ]; then
    "$root/ci/pg-cluster.sh" stop "$var/pg" || die "could not stop PostgreSQL"
  fi
  # Verify: nothing recorded may still be alive. pg_ctl returns once the postmaster has
  # removed its pid file, a moment before the process is gone, so allow a few seconds.
  local f pid i left=""
  for f in "$run"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    for ((i = 0; i < 50; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      left="$left $(basename "$f" .pid)=$pid"
    else
      rm -f "$f"
    fi
  done
  [ -z "$left" ] || die "still running after down:$left"
  say "stopped"
}

status() {
  local all=0 pid sock
  # pg-cluster.sh creates its directory, so only ask it when `up` made one.
  if [ -d "$var/pg" ] && pid=$(pg_pid 2>/dev/null) && "$root/ci/pg-cluster.sh" status "$var/pg" >/dev/null 2>&1; then
    sock=$(pg_socket)
    echo "postgresql  running  pid $pid  socket $sock"
  else
    echo "postgresql  stopped"
    all=1
  fi
  if pid=$(web_pid "$run" fcgiwrap); then
    echo "fcgiwrap    running  pid $pid  socket $run/fcgiwrap.sock"
  else
    echo "fcgiwrap    stopped"
    all=1
  fi
  if pid=$(web_pid "$run" nginx); then
    echo "nginx       running  pid $pid  http://127.0.0.1:$(cat "$run/nginx.port" 2>/dev/null || echo "$port")/"
  else
    echo "nginx       stopped"
    all=1
  fi
  tunnel_status "$run" || all=1
  return "$all"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *)
    echo "usage: ci/stack.sh up|down|status" >&2
    exit 2
    ;;
esac

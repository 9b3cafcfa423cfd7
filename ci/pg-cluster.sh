#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster that listens only on a Unix socket.
#
#   ci/pg-cluster.sh start  DIR [--fast]   initdb if needed, start; prints the socket directory
#   ci/pg-cluster.sh stop   DIR            stop (fast shutdown); no-op when not running
#   ci/pg-cluster.sh status DIR            exit 0 when running
#   ci/pg-cluster.sh socket DIR            print the socket directory
#
# The cluster lives in DIR (data/, run/, postgres.log). As root, the server runs as the
# `postgres` system user, which needs search permission on every parent of DIR and a
# socket path under 107 bytes; when either fails, the cluster lives under /tmp instead
# (DIR/location then names it). --fast turns off fsync (tests only).
set -euo pipefail

cmd=${1:?usage: pg-cluster.sh start|stop|status|socket DIR [--fast]}
dir=${2:?usage: pg-cluster.sh start|stop|status|socket DIR [--fast]}
fast=${3:-}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ]; then
  echo "pg-cluster: PostgreSQL server binaries not found under /usr/lib/postgresql (install 'postgresql')" >&2
  exit 75
fi

as_server=()
server_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  server_user=postgres
  as_server=(runuser -u postgres --)
fi

# Where the cluster really lives.
home_for() {
  local d=$1
  if [ -f "$d/location" ]; then cat "$d/location"; return; fi
  local candidate=$d
  local sock="$candidate/run/.s.PGSQL.5432"
  local reachable=yes
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$d" 2>/dev/null; then reachable=no; fi
  if [ "$reachable" = no ] || [ ${#sock} -ge 100 ]; then
    candidate="/tmp/httvps-pg-$(printf '%s' "$d" | sha1sum | cut -c1-12)"
    echo "pg-cluster: '$d' is not usable by the server (permissions or socket path length); using $candidate" >&2
  fi
  echo "$candidate" > "$d/location"
  echo "$candidate"
}

home=$(home_for "$dir")
data="$home/data"
run="$home/run"
log="$home/postgres.log"

running() { [ -f "$data/postmaster.pid" ] && "${as_server[@]}" "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
  socket)
    echo "$run"
    ;;
  status)
    if running; then echo "running: $run"; else echo "stopped"; exit 1; fi
    ;;
  stop)
    if running; then "${as_server[@]}" "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    ;;
  start)
    mkdir -p "$home" "$run"
    if [ "$(id -u)" -eq 0 ]; then chown "$server_user" "$home" "$run"; fi
    # Trust authentication is safe only while nobody else can reach the socket.
    chmod 755 "$home"
    chmod 700 "$run"
    if [ ! -f "$data/PG_VERSION" ]; then
      "${as_server[@]}" "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$home/initdb.log" 2>&1 ||
        { cat "$home/initdb.log" >&2; exit 1; }
    fi
    if ! running; then
      opts="-c listen_addresses='' -c unix_socket_directories='$run' -c unix_socket_permissions=0700 -c max_connections=200"
      if [ "$fast" = "--fast" ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
      "${as_server[@]}" touch "$log" 2>/dev/null || true
      "${as_server[@]}" "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 30 -o "$opts" start >/dev/null ||
        { tail -20 "$log" >&2; exit 1; }
    fi
    echo "$run"
    ;;
  *)
    echo "pg-cluster: unknown command '$cmd'" >&2
    exit 2
    ;;
esac

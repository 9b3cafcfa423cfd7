# shellcheck shell=bash
# nginx + fcgiwrap in front of the httvps CGI, for the local stack (ci/stack.sh) and the
# system tests. Source it; it defines functions only.
#
#   web_start PREFIX RUN_DIR PORT BIN_DIR CONFIG
#       Renders templates/nginx/local.conf.in into PREFIX/nginx.conf, starts fcgiwrap on
#       RUN_DIR/fcgiwrap.sock and nginx on 127.0.0.1:PORT. PIDs go to RUN_DIR/nginx.pid and
#       RUN_DIR/fcgiwrap.pid. Every path must be absolute. A component that already runs
#       (its pid file names a live process) is left alone, unless the rendered config
#       changed, in which case both restart.
#   web_stop RUN_DIR            stops both and removes their pid files and socket
#   web_wait_health PORT [TRIES] waits until /api/v1/health answers 200
#   web_pid RUN_DIR NAME        prints the PID of a running nginx|fcgiwrap; fails when stopped
#   web_port_in_use PORT        true when something accepts connections on 127.0.0.1:PORT
#   web_valid_port PORT         true for 1-65535
#
# Error messages start with "$WEB_NAME:" (default "web"), so the caller's name shows.

_web_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${WEB_NAME:=web}"

_web_die() { echo "$WEB_NAME: $*" >&2; return 1; }

# The PID in RUN_DIR/NAME.pid when that process is alive and really is NAME: a pid file
# left over from before a reboot may name an unrelated process, which must never be killed.
web_pid() {
  local file="$1/$2.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  echo "$pid"
}

web_valid_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }

web_port_in_use() {
  # A connect test, not a bind test: it needs no python and also catches a server bound
  # to 0.0.0.0, which would make nginx's bind to 127.0.0.1 fail.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Escapes TEXT for the replacement side of a sed s|||.
_web_sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

_web_render() {
  local prefix=$1 run=$2 port=$3 bin_dir=$4 config=$5
  local user_line="" v
  for v in "$prefix" "$run" "$bin_dir" "$config"; do
    case "$v" in
      /*) ;;
      *) _web_die "'$v' is not an absolute path" || return 1 ;;
    esac
    case "$v" in
      *'"'* | *';'* | *'{'* | *'}'* | *$'\n'*) _web_die "path '$v' cannot be used in an nginx config" || return 1 ;;
    esac
  done
  if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
  sed -e "s|@PREFIX@|$(_web_sed_escape "$prefix")|g" \
      -e "s|@RUN_DIR@|$(_web_sed_escape "$run")|g" \
      -e "s|@PORT@|$port|g" \
      -e "s|@BIN_DIR@|$(_web_sed_escape "$bin_dir")|g" \
      -e "s|@FCGI_SOCKET@|$(_web_sed_escape "$run/fcgiwrap.sock")|g" \
      -e "s|@CONFIG@|$(_web_sed_escape "$config")|g" \
      -e "s|@USER_LINE@|$user_line|g" \
      "$_web_root/templates/nginx/local.conf.in" >"$prefix/nginx.conf.new"
  if grep -q '@[A-Z_]*@' "$prefix/nginx.conf.new"; then
    _web_die "unsubstituted placeholder in $prefix/nginx.conf.new: $(grep -o '@[A-Z_]*@' "$prefix/nginx.conf.new" | head -1)"
    return 1
  fi
  # A running stack with a different config (another port or binary directory) is
  # restarted: nginx keeps its old listen socket and fcgiwrap's -p names the old binary.
  if [ -f "$prefix/nginx.conf" ] && ! cmp -s "$prefix/nginx.conf.new" "$prefix/nginx.conf" &&
    { web_pid "$run" nginx >/dev/null || web_pid "$run" fcgiwrap >/dev/null; }; then
    echo "$WEB_NAME: the nginx configuration changed; restarting nginx and fcgiwrap" >&2
    web_stop "$run"
  fi
  mv "$prefix/nginx.conf.new" "$prefix/nginx.conf"
}

_web_start_fcgiwrap() {
  local run=$1 bin_dir=$2 prefix=$3
  local sock="$run/fcgiwrap.sock" pid i
  if pid=$(web_pid "$run" fcgiwrap) && [ -S "$sock" ]; then
    return 0
  fi
  if [ -n "${pid:-}" ]; then _web_kill_group "$pid"; fi
  # A socket left by a killed fcgiwrap makes the bind fail.
  rm -f "$sock" "$run/fcgiwrap.pid"
  # env -i: the CGI must see only what nginx passes (HTTVPS_CONFIG), never a
  # HTTVPS_DATABASE_URL or similar from the shell that started the stack. setsid: fcgiwrap
  # and its -c prefork children (and the CGIs they spawn) form one process group that stop
  # can kill as a whole. -p: fcgiwrap runs nothing but the httvps CGI binaries. Its stdio
  # goes to a log so the caller's pipes are not held open.
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    setsid fcgiwrap -s "unix:$sock" -c 2 -f -p "$bin_dir/httvps" -p "$bin_dir/issue-key" \
    -p "$bin_dir/validate-device" -p "$bin_dir/telegram-bot" \
    </dev/null >>"$prefix/logs/fcgiwrap.log" 2>&1 &
  pid=$!
  echo "$pid" >"$run/fcgiwrap.pid"
  for ((i = 0; i < 50; i++)); do
    [ -S "$sock" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -5 "$prefix/logs/fcgiwrap.log" >&2 || true
      rm -f "$run/fcgiwrap.pid"
      _web_die "fcgiwrap exited at start (log: $prefix/logs/fcgiwrap.log)"
      return 1
    fi
    sleep 0.1
  done
  if [ ! -S "$sock" ]; then
    _web_kill_group "$pid"
    rm -f "$run/fcgiwrap.pid"
    _web_die "fcgiwrap did not create $sock within 5 s"
    return 1
  fi
  # setsid only execs in place when the caller is not a group leader (true in scripts
  # without job control); otherwise it forks and the PID above would be the wrong one.
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" != "$pid" ]; then
    _web_die "fcgiwrap (pid $pid) is not a process group leader; cannot manage it"
    return 1
  fi
}

_web_start_nginx() {
  local prefix=$1 run=$2 port=$3 pid i
  if pid=$(web_pid "$run" nginx); then
    return 0
  fi
  rm -f "$run/nginx.pid"
  if web_port_in_use "$port"; then
    _web_die "port $port is in use (set HTTVPS_PORT to choose another)"
    return 1
  fi
  # Daemonized: nginx binds its sockets before it forks, so a busy port or a bad config
  # fails this command instead of a background process. -e keeps start-up errors out of
  # /var/log/nginx; the daemon redirects its stdio, so the caller's pipes are not held.
  if ! nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" 2>"$prefix/logs/start.err"; then
    cat "$prefix/logs/start.err" >&2
    _web_die "nginx failed to start on 127.0.0.1:$port (log: $prefix/logs/error.log)"
    return 1
  fi
  # The master writes its pid file just after the fork.
  for ((i = 0; i < 50; i++)); do
    if web_pid "$run" nginx >/dev/null; then return 0; fi
    sleep 0.1
  done
  _web_die "nginx started but $run/nginx.pid did not appear (log: $prefix/logs/error.log)"
  return 1
}

web_start() {
  local prefix=$1 run=$2 port=$3 bin_dir=$4 config=$5
  web_valid_port "$port" || { _web_die "bad port '$port'"; return 1; }
  [ -x "$bin_dir/httvps" ] || { _web_die "$bin_dir/httvps is missing or not executable"; return 1; }
  command -v nginx >/dev/null || { _web_die "nginx not found (install nginx-light)"; return 1; }
  command -v fcgiwrap >/dev/null || { _web_die "fcgiwrap not found (install fcgiwrap)"; return 1; }
  mkdir -p "$prefix/logs" "$prefix/tmp" "$prefix/www" "$run"
  if [ ! -e "$prefix/www/index.html" ]; then
    cat >"$prefix/www/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>httvps</title></head>
<body>
<h1>httvps</h1>
<p>The admin panel arrives with a later issue. The API answers under <a href="/api/v1/health">/api/v1/health</a>.</p>
</body>
</html>
HTML
  fi
  _web_render "$prefix" "$run" "$port" "$bin_dir" "$config" || return 1
  _web_start_fcgiwrap "$run" "$bin_dir" "$prefix" || return 1
  _web_start_nginx "$prefix" "$run" "$port" || return 1
}

# Kills the process group led by PID: TERM, then KILL after 5 s.
_web_kill_group() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

web_stop() {
  local run=$1 pid i
  if pid=$(web_pid "$run" nginx); then
    # TERM is nginx's fast shutdown; the master stops its workers and removes its pid file.
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    # The daemon leads its own process group: anything left of it goes with the group.
    _web_kill_group "$pid"
  fi
  rm -f "$run/nginx.pid"
  if pid=$(web_pid "$run" fcgiwrap); then
    _web_kill_group "$pid"
  fi
  rm -f "$run/fcgiwrap.pid" "$run/fcgiwrap.sock"
}

web_wait_health() {
  local port=$1 tries=${2:-50} i
  for ((i = 0; i < tries; i++)); do
    if curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$port/api/v1/health" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  _web_die "http://127.0.0.1:$port/api/v1/health did not answer 200 after $tries tries; last answer:"
  curl -sS --max-time 5 "http://127.0.0.1:$port/api/v1/health" >&2 || true
  echo >&2
  return 1
}

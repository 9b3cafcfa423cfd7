#!/usr/bin/env bash
# bench/cgi.sh: throughput and latency of the httvps CGI endpoints through nginx + fcgiwrap,
# side by side with the floors measured in the same run: a static file and a trivial C CGI.
#
#   bench/cgi.sh                      static, trivial CGI, validate-device, health
#   PGBOUNCER=1 bench/cgi.sh          + validate-device and health through pgbouncer
#   ASYNC_COMMIT=1 bench/cgi.sh       + validate-device as a role with synchronous_commit=off
#
# Environment (defaults in brackets):
#   HTTVPS_BIN_DIR   the binaries to measure [build/release/bin]
#   DURATION         wrk run per target, as wrk takes it (30s, 1m) [10s]
#   WARMUP           wrk warm-up per target, not reported [2s]
#   CONNECTIONS      wrk connections [8]
#   THREADS          wrk threads [2]
#   FCGI_CHILDREN    fcgiwrap -c, CGIs run at once per fcgiwrap [2, as templates/nginx]
#   DEVICES          devices (one user each) the validate requests cycle through [16]
#   GATEWAYS         gateways the validate requests cycle through [4]
#   PGBOUNCER        1: also measure through pgbouncer [0]
#   PGBOUNCER_POOL_MODE  transaction or session [transaction]
#   PGBOUNCER_POOL_SIZE  server connections per pool [4]
#   ASYNC_COMMIT     1: also measure validate-device with synchronous_commit=off [0]
#   VARIANT          another validate-device binary to measure beside the built one, e.g.
#                    one from bench/profile_cgi.sh SAVE_VARIANTS=DIR [none]
#   VARIANT_NAME     its label in the table [the file name]
#
# Everything runs on this machine, on loopback and Unix sockets: PostgreSQL (a private
# cluster from ci/pg-cluster.sh with its durable defaults: fsync and synchronous_commit
# on, unlike the test suite's --fast), pgbouncer, nginx, fcgiwrap and wrk share the same
# cores. Everything lives in a temporary directory and stops on exit. Figures vary from
# run to run and between machines; compare rows of one run, not runs of different days.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${HTTVPS_BIN_DIR:-$root/build/release/bin}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
FCGI_CHILDREN=${FCGI_CHILDREN:-2}
DEVICES=${DEVICES:-16}
GATEWAYS=${GATEWAYS:-4}
PGBOUNCER=${PGBOUNCER:-0}
PGBOUNCER_POOL_MODE=${PGBOUNCER_POOL_MODE:-transaction}
PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-4}
ASYNC_COMMIT=${ASYNC_COMMIT:-0}
VARIANT=${VARIANT:-}

BENCH_NAME=bench/cgi.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

# Seconds in a wrk duration (10, 10s, 2m, 1h), for the timeouts around wrk.
seconds_of() {
  local d=$1
  case "$d" in
    *h) echo $((${d%h} * 3600)) ;;
    *m) echo $((${d%m} * 60)) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
  esac
}
for v in DURATION WARMUP; do
  [[ "${!v}" =~ ^[0-9]+[smh]?$ ]] || die "$v must look like 10s, 2m or 1h, not '${!v}'"
done
for v in CONNECTIONS THREADS FCGI_CHILDREN DEVICES GATEWAYS PGBOUNCER_POOL_SIZE; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[ "$THREADS" -le "$CONNECTIONS" ] || die "THREADS ($THREADS) must not exceed CONNECTIONS ($CONNECTIONS)"
case "$PGBOUNCER_POOL_MODE" in transaction | session) ;; *) die "PGBOUNCER_POOL_MODE must be transaction or session" ;; esac

BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd) || die "binary directory '${HTTVPS_BIN_DIR:-build/release/bin}' not found (build it: ci/build.sh release)"
for b in httvps issue-key validate-device; do
  [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing (build it: ci/build.sh release)"
done
for t in wrk nginx fcgiwrap cc curl jq openssl setsid; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y wrk nginx-light fcgiwrap gcc curl jq openssl)"
done
if [ -n "$VARIANT" ]; then
  [ -x "$VARIANT" ] || die "VARIANT '$VARIANT' is not an executable"
  VARIANT=$(cd "$(dirname "$VARIANT")" && pwd)/$(basename "$VARIANT")
  VARIANT_NAME=${VARIANT_NAME:-$(basename "$VARIANT")}
fi
if [ "$PGBOUNCER" = 1 ]; then command -v pgbouncer >/dev/null || die "pgbouncer not found (apt-get install -y pgbouncer)"; fi

bench_init
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp" "$tmp/www"

echo "== machine"
bench_machine
echo "nginx:      $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes 1"
echo "fcgiwrap:   $(dpkg-query -W -f='${Version}' fcgiwrap 2>/dev/null || echo unknown) (-c $FCGI_CHILDREN)"
if [ "$PGBOUNCER" = 1 ]; then echo "pgbouncer:  $PGBOUNCER_POOL_MODE pooling, pool size $PGBOUNCER_POOL_SIZE"; fi
echo "wrk:        $(wrk -v 2>&1 | head -1 | awk '{print $2}') -t $THREADS -c $CONNECTIONS -d $DURATION (warm-up $WARMUP)"
echo "binaries:   $BIN_DIR ($("$BIN_DIR/validate-device" --version))"
if [ -n "$VARIANT" ]; then echo "variant:    $VARIANT_NAME = $VARIANT"; fi

# ---- PostgreSQL, data -----------------------------------------------------------------

bench_cluster

port=
for ((i = 0; i < 100; i++)); do
  p=$((20000 + RANDOM % 40000))
  free=1
  for ((j = 0; j < 5; j++)); do
    if web_port_in_use "$((p + j))"; then free=0; break; fi
  done
  if [ "$free" = 1 ]; then port=$p; break; fi
done
[ -n "$port" ] || die "no five free consecutive loopback ports found"
# One nginx server per configuration, so every one sees the same paths.
port_pgb=$((port + 1)) port_async=$((port + 2)) port_variant=$((port + 3)) port_variant_pgb=$((port + 4))

bench_config "$tmp/direct.toml" "$db_url"
export HTTVPS_CONFIG="$tmp/direct.toml"
unset HTTVPS_DATABASE_URL
echo "== seeding $DEVICES devices and $GATEWAYS gateways" >&2
bench_seed "$DEVICES" "$GATEWAYS"

# ---- pgbouncer, the synchronous_commit=off role ---------------------------------------

if [ "$PGBOUNCER" = 1 ]; then
  bench_pgbouncer "$PGBOUNCER_POOL_MODE" "$PGBOUNCER_POOL_SIZE"
  bench_config "$tmp/pgbouncer.toml" "$pgb_url"
fi
if [ "$ASYNC_COMMIT" = 1 ]; then
  # A role whose sessions commit without waiting for the WAL flush; superuser only to keep
  # the throwaway cluster simple (a real deployment grants it what the CGIs need).
  "${as_pg[@]}" "$pgbin/psql" -X -q -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE cgi_async LOGIN SUPERUSER" -c "ALTER ROLE cgi_async SET synchronous_commit = off" >/dev/null
  bench_config "$tmp/async.toml" "postgresql:///postgres?host=$sock&user=cgi_async"
fi

# ---- nginx, fcgiwrap --------------------------------------------------------------------

cc -O2 -o "$tmp/trivial_cgi" "$root/bench/trivial_cgi.c"
printf '{"ok":true,"method":"GET"}\n' >"$tmp/www/static.json"

start_fcgiwrap() {  # start_fcgiwrap SOCKET PROGRAM...: one fcgiwrap allowed to run PROGRAMs
  local sock_path=$1 args=() i
  shift
  for p in "$@"; do args+=(-p "$p"); done
  # env -i: the CGIs see only what nginx passes; setsid: one process group to stop.
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    setsid fcgiwrap -s "unix:$sock_path" -c "$FCGI_CHILDREN" -f "${args[@]}" \
    </dev/null >>"$tmp/logs/fcgiwrap.log" 2>&1 &
  bench_own "$!"
  for ((i = 0; i < 50; i++)); do [ -S "$sock_path" ] && return 0; sleep 0.1; done
  die "fcgiwrap did not create $sock_path"
}
start_fcgiwrap "$tmp/run/httvps.sock" "$BIN_DIR/httvps" "$BIN_DIR/validate-device" ${VARIANT:+"$VARIANT"}
start_fcgiwrap "$tmp/run/trivial.sock" "$tmp/trivial_cgi"

api_locations() {  # api_locations CONFIG [VALIDATE-DEVICE]: the httvps routes of templates/nginx/local.conf.in
  cat <<EOF
        location = /api/v1/validate-device {
            fastcgi_pass unix:$tmp/run/httvps.sock;
            fastcgi_param SCRIPT_FILENAME "${2:-$BIN_DIR/validate-device}";
            fastcgi_param SCRIPT_NAME "";
            fastcgi_param PATH_INFO \$uri;
            fastcgi_param HTTVPS_CONFIG "$1";
            include /etc/nginx/fastcgi_params;
        }
        location /api/ {
            fastcgi_pass unix:$tmp/run/httvps.sock;
            fastcgi_param SCRIPT_FILENAME "$BIN_DIR/httvps";
            fastcgi_param SCRIPT_NAME "";
            fastcgi_param PATH_INFO \$uri;
            fastcgi_param HTTVPS_CONFIG "$1";
            include /etc/nginx/fastcgi_params;
        }
EOF
}
user_line=""
if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
{
  cat <<EOF
# bench/cgi.sh: the routing of templates/nginx/local.conf.in, plus the two floors.
$user_line
worker_processes 1;
pid "$tmp/run/nginx.pid";
error_log "$tmp/nginx/logs/error.log" warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log "$tmp/nginx/logs/access.log";
    server_tokens off;
    client_body_temp_path "$tmp/nginx/tmp/client_body";
    fastcgi_temp_path "$tmp/nginx/tmp/fastcgi";
    proxy_temp_path "$tmp/nginx/tmp/proxy";
    scgi_temp_path "$tmp/nginx/tmp/scgi";
    uwsgi_temp_path "$tmp/nginx/tmp/uwsgi";
    server {
        listen 127.0.0.1:$port;
        location = /trivial {
            fastcgi_pass unix:$tmp/run/trivial.sock;
            fastcgi_param SCRIPT_FILENAME "$tmp/trivial_cgi";
            include /etc/nginx/fastcgi_params;
        }
        location / { root "$tmp/www"; }
EOF
  api_locations "$tmp/direct.toml"
  echo "    }"
  if [ "$PGBOUNCER" = 1 ]; then
    echo "    server {"
    echo "        listen 127.0.0.1:$port_pgb;"
    api_locations "$tmp/pgbouncer.toml"
    echo "    }"
  fi
  if [ "$ASYNC_COMMIT" = 1 ]; then
    echo "    server {"
    echo "        listen 127.0.0.1:$port_async;"
    api_locations "$tmp/async.toml"
    echo "    }"
  fi
  if [ -n "$VARIANT" ]; then
    echo "    server {"
    echo "        listen 127.0.0.1:$port_variant;"
    api_locations "$tmp/direct.toml" "$VARIANT"
    echo "    }"
    if [ "$PGBOUNCER" = 1 ]; then
      echo "    server {"
      echo "        listen 127.0.0.1:$port_variant_pgb;"
      api_locations "$tmp/pgbouncer.toml" "$VARIANT"
      echo "    }"
    fi
  fi
  echo "}"
} >"$tmp/nginx/nginx.conf"
nginx -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" 2>"$tmp/logs/nginx-start.err" ||
  die "nginx failed to start: $(cat "$tmp/logs/nginx-start.err")"
for ((i = 0; i < 50; i++)); do web_pid "$tmp/run" nginx >/dev/null && break; sleep 0.1; done
web_wait_health "$port" 50 >/dev/null

# ---- the targets ------------------------------------------------------------------------

# Each target: NAME|URL|LUA (empty for GET)
targets=(
  "static file (nginx)|http://127.0.0.1:$port/static.json|"
  "trivial C CGI|http://127.0.0.1:$port/trivial|"
  "validate-device|http://127.0.0.1:$port/api/v1/validate-device|lua"
  "health (httvps)|http://127.0.0.1:$port/api/v1/health|"
)
if [ "$PGBOUNCER" = 1 ]; then
  targets+=("validate-device, pgbouncer|http://127.0.0.1:$port_pgb/api/v1/validate-device|lua")
  targets+=("health, pgbouncer|http://127.0.0.1:$port_pgb/api/v1/health|")
fi
if [ "$ASYNC_COMMIT" = 1 ]; then
  targets+=("validate-device, async commit|http://127.0.0.1:$port_async/api/v1/validate-device|lua")
fi
if [ -n "$VARIANT" ]; then
  targets+=("$VARIANT_NAME|http://127.0.0.1:$port_variant/api/v1/validate-device|lua")
  if [ "$PGBOUNCER" = 1 ]; then
    targets+=("$VARIANT_NAME, pgbouncer|http://127.0.0.1:$port_variant_pgb/api/v1/validate-device|lua")
  fi
fi

# Every target must answer 200 (and validate-device "allowed") before it is measured.
read -r gw0 tok0 <"$tmp/pairs.txt"
for t in "${targets[@]}"; do
  IFS='|' read -r name url lua <<<"$t"
  if [ -n "$lua" ]; then
    code=$(curl -sS -o "$tmp/answer" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $gw0" \
      -H 'Content-Type: application/json' --data-binary "{\"token\":\"$tok0\"}" "$url")
    [ "$code" = 200 ] && [ "$(jq -r .verdict "$tmp/answer" 2>/dev/null)" = allowed ] ||
      die "$name: expected 200 allowed, got $code: $(head -c 300 "$tmp/answer")"
    # Timestamps must read the same through every path (TimeZone=UTC in the session).
    jq -e '.limits.expires_at | test("Z$")' "$tmp/answer" >/dev/null || die "$name: expires_at is not UTC: $(cat "$tmp/answer")"
  else
    code=$(curl -sS -o "$tmp/answer" -w '%{http_code}' --max-time 10 "$url")
    [ "$code" = 200 ] || die "$name: expected 200, got $code: $(head -c 300 "$tmp/answer")"
  fi
done

to_ms() {  # wrk latency (812.00us, 1.20ms, 2.01s, 1.50m) -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

run_wrk() {  # run_wrk DURATION URL LUA OUT
  local d=$1 url=$2 lua=$3 out=$4 args=()
  if [ -n "$lua" ]; then args=(-s "$root/bench/validate.lua"); fi
  args+=(-t "$THREADS" -c "$CONNECTIONS" -d "$d" --latency --timeout 10s "$url")
  if [ -n "$lua" ]; then args+=(-- "$tmp/pairs.txt"); fi
  timeout $(($(seconds_of "$d") + 60)) wrk "${args[@]}" >"$out" 2>&1 || die "wrk failed on $url: $(tail -5 "$out")"
}

results=()
trivial_rps=
for t in "${targets[@]}"; do
  IFS='|' read -r name url lua <<<"$t"
  echo "== $name: $url" >&2
  if [ "$(seconds_of "$WARMUP")" -gt 0 ]; then run_wrk "$WARMUP" "$url" "$lua" "$tmp/warmup.txt"; fi
  out="$tmp/wrk-${#results[@]}.txt"
  run_wrk "$DURATION" "$url" "$lua" "$out"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  total=$(awk '/requests in/ {print $1}' "$out")
  non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' "$out")
  sockerr=$(sed -n 's/^ *Socket errors: //p' "$out")
  [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || die "$name: cannot read wrk output: $(cat "$out")"
  [ -z "$non2xx" ] || die "$name: $non2xx of $total responses were not 2xx/3xx; wrk said: $(cat "$out")"
  [ -z "$sockerr" ] || die "$name: socket errors ($sockerr); wrk said: $(cat "$out")"
  if [ "$name" = "trivial C CGI" ]; then trivial_rps=$rps; fi
  results+=("$name|$rps|$(to_ms "$p50")|$(to_ms "$p99")|$total")
done

echo
echo "== results: $DURATION per target, $CONNECTIONS connections, $THREADS wrk threads, fcgiwrap -c $FCGI_CHILDREN, load avg at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-30s | %10s | %9s | %9s | %10s | %9s |\n' target "requests/s" "p50 ms" "p99 ms" "requests" "vs trivial"
printf '| %-30s | %10s | %9s | %9s | %10s | %9s |\n' "$(printf -- '-%.0s' {1..30})" "---------:" "--------:" "--------:" "---------:" "--------:"
for r in "${results[@]}"; do
  IFS='|' read -r name rps p50 p99 total <<<"$r"
  ratio=$(awk -v a="$rps" -v b="$trivial_rps" 'BEGIN { printf "%.3f", a / b }')
  printf '| %-30s | %10.1f | %9s | %9s | %10s | %9s |\n' "$name" "$rps" "$p50" "$p99" "$total" "$ratio"
done

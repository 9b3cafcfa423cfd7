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
#   WARMUP           wrk warm-up per target and round, not reported [2s]
#   ROUNDS           run the list of targets this many times; figures cover all rounds [1]
#   CONNECTIONS      wrk connections [8]
#   THREADS          wrk threads [2]
#   FCGI_CHILDREN    fcgiwrap -c, CGIs run at once per fcgiwrap [2, as templates/nginx]
#   DEVICES          devices (one user each) the validate requests cycle through [16]
#   GATEWAYS         gateways the validate requests cycle through [4]
#   PGBOUNCER        1: also measure through pgbouncer [0]
#   PGBOUNCER_POOL_MODE  transaction or session [transaction]
#   PGBOUNCER_POOL_SIZE  server connections per pool [4]
#   ASYNC_COMMIT     1: also measure validate-device with synchronous_commit=off [0]
#   VARIANTS         other validate-device binaries to measure beside the built one,
#                    space-separated paths, e.g. from bench/profile_cgi.sh SAVE_VARIANTS=DIR;
#                    each is labelled with its file name [none]
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
ROUNDS=${ROUNDS:-1}
FCGI_CHILDREN=${FCGI_CHILDREN:-2}
DEVICES=${DEVICES:-16}
GATEWAYS=${GATEWAYS:-4}
PGBOUNCER=${PGBOUNCER:-0}
PGBOUNCER_POOL_MODE=${PGBOUNCER_POOL_MODE:-transaction}
PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-4}
ASYNC_COMMIT=${ASYNC_COMMIT:-0}
VARIANTS=${VARIANTS:-}

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
for v in ROUNDS CONNECTIONS THREADS FCGI_CHILDREN DEVICES GATEWAYS PGBOUNCER_POOL_SIZE; do
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
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install -y time)"
variants=()
for v in $VARIANTS; do
  [ -x "$v" ] || die "variant '$v' is not an executable"
  variants+=("$(cd "$(dirname "$v")" && pwd)/$(basename "$v")")
done
if [ "$PGBOUNCER" = 1 ]; then command -v pgbouncer >/dev/null || die "pgbouncer not found (apt-get install -y pgbouncer)"; fi

bench_init
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp" "$tmp/www"

echo "== machine"
bench_machine
echo "nginx:      $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes 1"
echo "fcgiwrap:   $(dpkg-query -W -f='${Version}' fcgiwrap 2>/dev/null || echo unknown) (-c $FCGI_CHILDREN)"
if [ "$PGBOUNCER" = 1 ]; then echo "pgbouncer:  $PGBOUNCER_POOL_MODE pooling, pool size $PGBOUNCER_POOL_SIZE"; fi
echo "wrk:        $(wrk -v 2>&1 | head -1 | awk '{print $2}') -t $THREADS -c $CONNECTIONS -d $DURATION (warm-up $WARMUP), $ROUNDS round(s)"
echo "binaries:   $BIN_DIR ($("$BIN_DIR/validate-device" --version))"
for v in "${variants[@]}"; do echo "variant:    $v"; done

# ---- PostgreSQL, data -----------------------------------------------------------------

bench_cluster

# One nginx server per configuration, so that each sees the same paths: the base port,
# pgbouncer, async commit, then two per variant (direct, pgbouncer).
nports=$((3 + 2 * ${#variants[@]}))
port=
for ((i = 0; i < 100; i++)); do
  p=$((20000 + RANDOM % 40000))
  free=1
  for ((j = 0; j < nports; j++)); do
    if web_port_in_use "$((p + j))"; then free=0; break; fi
  done
  if [ "$free" = 1 ]; then port=$p; break; fi
done
[ -n "$port" ] || die "no $nports free consecutive loopback ports found"
port_pgb=$((port + 1)) port_async=$((port + 2)) port_variants=$((port + 3))

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
start_fcgiwrap "$tmp/run/httvps.sock" "$BIN_DIR/httvps" "$BIN_DIR/validate-device" "${variants[@]}"
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
  for ((i = 0; i < ${#variants[@]}; i++)); do
    echo "    server {"
    echo "        listen 127.0.0.1:$((port_variants + 2 * i));"
    api_locations "$tmp/direct.toml" "${variants[$i]}"
    echo "    }"
    if [ "$PGBOUNCER" = 1 ]; then
      echo "    server {"
      echo "        listen 127.0.0.1:$((port_variants + 2 * i + 1));"
      api_locations "$tmp/pgbouncer.toml" "${variants[$i]}"
      echo "    }"
    fi
  done
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
for ((i = 0; i < ${#variants[@]}; i++)); do
  name=$(basename "${variants[$i]}")
  targets+=("$name|http://127.0.0.1:$((port_variants + 2 * i))/api/v1/validate-device|lua")
  if [ "$PGBOUNCER" = 1 ]; then
    targets+=("$name, pgbouncer|http://127.0.0.1:$((port_variants + 2 * i + 1))/api/v1/validate-device|lua")
  fi
done

# Every target must answer 200 (and validate-device "allowed") before it is measured.
read -r gw0 tok0 <"$tmp/pairs.txt"
for t in "${targets[@]}"; do
  IFS='|' read -r name url lua <<<"$t"
  if [ -n "$lua" ]; then
    code=$(curl -sS -o "$tmp/answer" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $gw0" \
      -H 'Content-Type: application/json' --data-binary "{\"token\":\"$tok0\"}" "$url")
    if [ "$code" != 200 ] || [ "$(jq -r .verdict "$tmp/answer" 2>/dev/null)" != allowed ]; then
      die "$name: expected 200 allowed, got $code: $(head -c 300 "$tmp/answer")"
    fi
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
  # GNU time adds wrk's own CPU seconds ("wrk-cpu USER SYSTEM") to the end of the output.
  timeout $(($(seconds_of "$d") + 60)) /usr/bin/time -f 'wrk-cpu %U %S' wrk "${args[@]}" >"$out" 2>&1 ||
    die "wrk failed on $url: $(tail -5 "$out")"
}

# Jiffies all CPUs spent busy, and in total, from /proc/stat: how saturated the machine was
# and how much CPU (wrk, nginx, fcgiwrap, the CGIs, pgbouncer, PostgreSQL) a request cost.
cpu_jiffies() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
hz=$(getconf CLK_TCK)

# CPU jiffies (user + system) of the long-lived parts of the stack: "fcgiwrap" (its own
# processes; the CGIs it starts are reaped without their times being kept), "postgres"
# (the postmaster with its reaped backends, and its live children), "pgbouncer", "nginx".
# wrk reports its own; the CGIs and the kernel's own work are what remains.
postmaster=$(head -1 "$(cat "$tmp/pg/location")/data/postmaster.pid")
nginx_pid=$(cat "$tmp/run/nginx.pid")
if ! [[ "$postmaster" =~ ^[0-9]+$ ]] || ! [[ "$nginx_pid" =~ ^[0-9]+$ ]]; then
  die "cannot read the postmaster's and nginx's PIDs"
fi
part_jiffies() {  # prints "fcgiwrap postgres pgbouncer nginx" jiffies, or nothing on failure
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$postmaster" -v ng="$nginx_pid" -v owned=" ${_bench_owned[*]} " '
    {
      pid = $1; line = $0; sub(/^.*\) /, "", line); n = split(line, f, " ")
      if (n < 15) next
      comm = $0; sub(/^[^(]*\(/, "", comm); sub(/\).*$/, "", comm)
      # f[1] state, f[2] ppid, f[3] pgrp, f[12..15] utime stime cutime cstime
      own = f[12] + f[13]; all = own + f[14] + f[15]
      if (pid == pm) { c["postgres"] += all; seen_pm = 1 }
      else if (f[2] == pm) c["postgres"] += own
      else if (f[3] == ng) { c["nginx"] += own; seen_ng = 1 }
      else if (index(owned, " " f[3] " ") && comm == "fcgiwrap") c["cgi"] += own
      else if (index(owned, " " f[3] " ") && comm == "pgbouncer") c["pgbouncer"] += own
    }
    END { if (seen_pm && seen_ng) printf "%d %d %d %d\n", c["cgi"], c["postgres"], c["pgbouncer"], c["nginx"] }'
}

# One measurement per line in $tmp/runs.tsv: target index, requests, seconds, p50 ms,
# p99 ms, busy jiffies, all jiffies, then the jiffies of fcgiwrap, postgres, pgbouncer,
# nginx and wrk. With ROUNDS > 1 the whole list of targets is run
# ROUNDS times, so that load which comes and goes meets every target.
: >"$tmp/runs.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  for ((k = 0; k < ${#targets[@]}; k++)); do
    IFS='|' read -r name url lua <<<"${targets[$k]}"
    echo "== round $round of $ROUNDS: $name: $url" >&2
    if [ "$(seconds_of "$WARMUP")" -gt 0 ]; then run_wrk "$WARMUP" "$url" "$lua" "$tmp/warmup.txt"; fi
    out="$tmp/wrk-$round-$k.txt"
    read -r cpu_busy0 cpu_all0 < <(cpu_jiffies)
    j_cgi0='' j_cgi1=''
    read -r j_cgi0 j_pg0 j_pgb0 j_ngx0 < <(part_jiffies) || true
    run_wrk "$DURATION" "$url" "$lua" "$out"
    read -r cpu_busy1 cpu_all1 < <(cpu_jiffies)
    read -r j_cgi1 j_pg1 j_pgb1 j_ngx1 < <(part_jiffies) || true
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    total=$(awk '/ requests in / {print $1}' "$out")
    secs=$(awk '/ requests in / {sub(/s,$/, "", $4); print $4}' "$out")
    non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' "$out")
    sockerr=$(sed -n 's/^ *Socket errors: //p' "$out")
    if [ -z "$total" ] || [ -z "$secs" ] || [ -z "$p50" ] || [ -z "$p99" ]; then
      die "$name: cannot read wrk output: $(cat "$out")"
    fi
    [ -z "$non2xx" ] || die "$name: $non2xx of $total responses were not 2xx/3xx; wrk said: $(cat "$out")"
    [ -z "$sockerr" ] || die "$name: socket errors ($sockerr); wrk said: $(cat "$out")"
    j_wrk=$(awk -v hz="$hz" '$1 == "wrk-cpu" {printf "%.0f", ($2 + $3) * hz}' "$out")
    if [ -n "$j_cgi0" ] && [ -n "$j_cgi1" ] && [ -n "$j_wrk" ]; then
      parts="$((j_cgi1 - j_cgi0))\t$((j_pg1 - j_pg0))\t$((j_pgb1 - j_pgb0))\t$((j_ngx1 - j_ngx0))\t$j_wrk"
    else
      note "$name: could not read the CPU of every part this round; left out of the second table"
      parts="-\t-\t-\t-\t-"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%b\n' "$k" "$total" "$secs" "$(to_ms "$p50")" "$(to_ms "$p99")" \
      $((cpu_busy1 - cpu_busy0)) $((cpu_all1 - cpu_all0)) "$parts" >>"$tmp/runs.tsv"
  done
done

# Per target: requests/s over all rounds; p50 and p99 as the median of the rounds' figures;
# CPU busy share and CPU milliseconds per request over all rounds.
summary() {  # summary INDEX -> "rps p50 p99 requests busy cpu_ms"
  awk -F'\t' -v k="$1" -v hz="$hz" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return a[int((n + 1) / 2)]
    }
    $1 == k { n++; req += $2; sec += $3; p50[n] = $4; p99[n] = $5; busy += $6; all += $7 }
    END { printf "%.1f %.2f %.2f %d %.0f%% %.2f\n", req / sec, median(p50, n), median(p99, n), req,
          100 * busy / all, busy * 1000 / hz / req }' "$tmp/runs.tsv"
}
trivial_rps=
for ((k = 0; k < ${#targets[@]}; k++)); do
  if [ "${targets[$k]%%|*}" = "trivial C CGI" ]; then read -r trivial_rps _ < <(summary "$k"); fi
done

echo
echo "== results: $ROUNDS x $DURATION per target, $CONNECTIONS connections, $THREADS wrk threads, fcgiwrap -c $FCGI_CHILDREN, load avg at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-44s | %10s | %9s | %9s | %10s | %8s | %10s | %10s |\n' target "requests/s" "p50 ms" "p99 ms" "requests" \
  "CPU busy" "CPU ms/req" "vs trivial"
printf '| %-44s | %10s | %9s | %9s | %10s | %8s | %10s | %10s |\n' "$(printf -- '-%.0s' {1..44})" "---------:" \
  "--------:" "--------:" "---------:" "-------:" "---------:" "---------:"
for ((k = 0; k < ${#targets[@]}; k++)); do
  read -r rps p50 p99 total busy cpu_ms < <(summary "$k")
  ratio=$(awk -v a="$rps" -v b="$trivial_rps" 'BEGIN { printf "%.3f", a / b }')
  printf '| %-44s | %10s | %9s | %9s | %10s | %8s | %10s | %10s |\n' "${targets[$k]%%|*}" "$rps" "$p50" "$p99" \
    "$total" "$busy" "$cpu_ms" "$ratio"
done

# Where the CPU of a request went, over all rounds, in milliseconds per request.
echo
echo "== CPU per request by part of the stack, ms (user + system; the CGIs and the kernel's own work by difference)"
printf '| %-44s | %8s | %10s | %9s | %7s | %8s | %7s | %18s |\n' target total PostgreSQL pgbouncer nginx fcgiwrap wrk \
  "CGIs, kernel, rest"
printf '| %-44s | %8s | %10s | %9s | %7s | %8s | %7s | %18s |\n' "$(printf -- '-%.0s' {1..44})" "-------:" \
  "---------:" "--------:" "------:" "-------:" "------:" "-----------------:"
for ((k = 0; k < ${#targets[@]}; k++)); do
  awk -F'\t' -v k="$k" -v hz="$hz" -v name="${targets[$k]%%|*}" '
    $1 == k && $8 != "-" { req += $2; busy += $6; fw += $8; pg += $9; pgb += $10; ngx += $11; w += $12 }
    END {
      if (req == 0) { printf "| %-44s | %8s | %10s | %9s | %7s | %8s | %7s | %18s |\n", name, "-", "-", "-", "-", "-", "-", "-"; exit }
      f = 1000 / hz / req
      printf "| %-44s | %8.2f | %10.2f | %9.2f | %7.2f | %8.2f | %7.2f | %18.2f |\n", name, busy * f, pg * f, pgb * f,
        ngx * f, fw * f, w * f, (busy - pg - pgb - ngx - fw - w) * f
    }' "$tmp/runs.tsv"
done

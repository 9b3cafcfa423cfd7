# shellcheck shell=bash
# Shared by bench/cgi.sh and bench/profile_cgi.sh. Source it after setting BENCH_NAME;
# it defines functions and, through bench_init, a temporary directory that is removed,
# with everything started in it, when the script exits.
#
#   bench_init                      $tmp, the exit trap, $pgbin, $as_pg
#   bench_machine                   prints the machine, the load and the versions
#   bench_cluster                   a private PostgreSQL (durable settings); sets $sock, $db_url
#   bench_config FILE DB-URL        writes an httvps config for DB-URL
#   bench_seed DEVICES GATEWAYS     plan, region, node, users, gateways, device tokens;
#                                   writes $tmp/pairs.txt ("GATEWAY-CREDENTIAL DEVICE-TOKEN")
#   bench_pgbouncer MODE POOL-SIZE  pgbouncer on a Unix socket only; sets $pgb_url
#   bench_own PID                   kill PID's process group on exit
#   die MESSAGE, note MESSAGE       to stderr, prefixed with $BENCH_NAME

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${BENCH_NAME:=bench}"

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
note() { echo "$BENCH_NAME: $*" >&2; }

WEB_NAME=$BENCH_NAME
export WEB_NAME
# shellcheck source=ci/lib/web.sh
source "$bench_root/ci/lib/web.sh"  # web_pid, web_port_in_use, web_wait_health

_bench_owned=()  # process-group leaders to stop on exit

bench_own() { _bench_owned+=("$1"); }

_bench_cleanup() {
  local code=$? pid i f
  trap - EXIT INT TERM
  if pid=$(web_pid "$tmp/run" nginx 2>/dev/null); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for pid in "${_bench_owned[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${_bench_owned[@]}"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  "$bench_root/ci/pg-cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  if [ -f "$tmp/pg/location" ]; then
    case "$(cat "$tmp/pg/location")" in /tmp/httvps-pg-*) rm -rf "$(cat "$tmp/pg/location")" ;; esac
  fi
  if [ "$code" -ne 0 ]; then
    for f in "$tmp"/nginx/logs/error.log "$tmp"/logs/*.log "$tmp"/pgbouncer/pgbouncer.log; do
      if [ -s "$f" ]; then echo "--- last lines of $f" >&2; tail -5 "$f" >&2; fi
    done
  fi
  rm -rf "$tmp"
  exit "$code"
}

bench_init() {
  tmp=$(mktemp -d /tmp/httvps-bench.XXXXXX)
  chmod 755 "$tmp"  # the PostgreSQL server runs as 'postgres' when we are root
  mkdir -p "$tmp/run" "$tmp/logs"
  trap _bench_cleanup EXIT
  trap 'exit 130' INT TERM
  pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
  [ -n "$pgbin" ] || die "PostgreSQL server binaries not found (apt-get install -y postgresql)"
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
}

bench_machine() {
  echo "cpu:        $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "memory:     $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel:     $(uname -sr)"
  echo "load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (at start; other work on the machine skews every figure)"
  echo "postgresql: $("$pgbin/postgres" --version | sed 's/^postgres (PostgreSQL) //') (fsync on, synchronous_commit on)"
  if command -v pgbouncer >/dev/null; then echo "pgbouncer:  $(pgbouncer --version | head -1 | sed 's/^PgBouncer //')"; fi
  echo "page fault: $(_bench_fault_cost) µs per anonymous page fault (process start pays hundreds)"
  if [ "$(awk '{print ($1 > 0.5)}' /proc/loadavg)" = 1 ]; then
    note "warning: load average $(cut -d' ' -f1 /proc/loadavg) before the run; something else is busy"
  fi
}

# The cost of one anonymous page fault, median of 5 passes over 8000 pages. Process start,
# fork and PostgreSQL's backend start are dominated by page faults; virtual machines can
# make them many times dearer than bare metal, which moves every CGI figure.
_bench_fault_cost() {
  cat >"$tmp/fault_cost.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}
int main(void) {
  const size_t n = 8000, page = 4096;
  double t[5];
  for (int r = 0; r < 5; r++) {
    char* p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < n; i++) p[i * page] = 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    t[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / (double)n;
    munmap(p, n * page);
  }
  qsort(t, 5, sizeof t[0], cmp);
  printf("%.2f\n", t[2]);
  return 0;
}
EOF
  cc -O2 -o "$tmp/fault_cost" "$tmp/fault_cost.c" && "$tmp/fault_cost"
}

bench_cluster() {
  sock=$("$bench_root/ci/pg-cluster.sh" start "$tmp/pg")
  # shellcheck disable=SC2034  # for the caller
  db_url="postgresql:///postgres?host=$sock&user=postgres"
}

bench_config() {  # bench_config FILE DATABASE-URL
  if [ ! -f "$tmp/secrets.key" ]; then
    openssl rand -base64 32 >"$tmp/secrets.key"
    chmod 600 "$tmp/secrets.key"
  fi
  cat >"$1" <<EOF
[database]
url = "$2"

[log]
format = "json"

[secrets]
key_file = "$tmp/secrets.key"

[public]
api_url = "http://127.0.0.1:8080"
EOF
}

bench_seed() {  # bench_seed DEVICES GATEWAYS (needs $BIN_DIR and HTTVPS_CONFIG)
  : "${BIN_DIR:?bench_seed needs BIN_DIR}"
  local devices=$1 gateways=$2 H=$BIN_DIR/httvps g d token gws=()
  "$H" migrate up >/dev/null 2>"$tmp/logs/seed.log" || die "migrate failed: $(tail -3 "$tmp/logs/seed.log")"
  {
    "$H" plan create basic --data-limit 10GB --duration 30d --device-limit 2
    "$H" region create eu
    "$H" node create fra-1 --region eu --host 127.0.0.1 --port 8388
    printf 'node-secret-123\n' | "$H" node set-secret fra-1 --secret-stdin
  } >/dev/null 2>>"$tmp/logs/seed.log" || die "seeding failed: $(tail -3 "$tmp/logs/seed.log")"
  for ((g = 1; g <= gateways; g++)); do
    gws+=("$("$H" -o json gateway add "gw-$g" 2>>"$tmp/logs/seed.log" | jq -r .credential)")
    [[ "${gws[-1]}" == htg_* ]] || die "gateway add gave no credential: $(tail -3 "$tmp/logs/seed.log")"
  done
  : >"$tmp/pairs.txt"
  for ((d = 1; d <= devices; d++)); do
    "$H" user create "user$d" --plan basic >/dev/null 2>>"$tmp/logs/seed.log" ||
      die "user create failed: $(tail -3 "$tmp/logs/seed.log")"
    token=$("$BIN_DIR/issue-key" -o json --user "user$d" --device phone 2>>"$tmp/logs/seed.log" | jq -r .gateway_token)
    [[ "$token" == htv_* ]] || die "issue-key gave no token for user$d: $(tail -3 "$tmp/logs/seed.log")"
    echo "${gws[$(((d - 1) % gateways))]} $token" >>"$tmp/pairs.txt"
  done
}

# pgbouncer as a plain process (as 'postgres' when we are root), listening on a Unix socket
# only. httvps sends TimeZone, DateStyle and statement_timeout in the 'options' startup
# parameter (tools/core/db.cpp), which pgbouncer refuses; it is ignored here and the same
# settings come from the database entry and connect_query instead.
bench_pgbouncer() {  # bench_pgbouncer POOL-MODE POOL-SIZE
  local dir="$tmp/pgbouncer" i
  mkdir -p "$dir"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
postgres = host=$sock dbname=postgres user=postgres timezone=UTC datestyle=ISO connect_query='SET statement_timeout = 30000'

[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $dir
unix_socket_mode = 0700
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = $1
default_pool_size = $2
max_client_conn = 200
ignore_startup_parameters = options
logfile = $dir/pgbouncer.log
log_connections = 0
log_disconnections = 0
EOF
  echo '"postgres" ""' >"$dir/userlist.txt"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$dir"; fi
  setsid "${as_pg[@]}" pgbouncer "$dir/pgbouncer.ini" </dev/null >"$tmp/logs/pgbouncer.out" 2>&1 &
  bench_own "$!"
  for ((i = 0; i < 50; i++)); do [ -S "$dir/.s.PGSQL.6432" ] && break; sleep 0.1; done
  [ -S "$dir/.s.PGSQL.6432" ] || die "pgbouncer did not start: $(tail -3 "$dir/pgbouncer.log" 2>/dev/null)"
  # What a CGI's session gets through pgbouncer must be what db.cpp asks for directly.
  local got
  got=$("$pgbin/psql" -X -qAt -d "host=$dir port=6432 user=postgres dbname=postgres options='-c TimeZone=Asia/Tokyo'" \
    -c "SELECT current_setting('TimeZone') || ' ' || current_setting('DateStyle') || ' ' || current_setting('statement_timeout')") ||
    die "cannot query through pgbouncer"
  [ "$got" = "UTC ISO, MDY 30s" ] || die "sessions through pgbouncer have '$got', not 'UTC ISO, MDY 30s'"
  # shellcheck disable=SC2034  # for the caller
  pgb_url="postgresql:///postgres?host=$dir&port=6432&user=postgres"
}

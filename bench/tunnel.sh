#!/usr/bin/env bash
# bench/tunnel.sh: what a byte, a round trip, a new stream and an idle stream cost through
# the httvps tunnel, side by side with raw TCP, shadowsocks-libev and v2ray (VLESS over
# WebSocket, with and without TLS), all measured in the same run on loopback.
#
# Every tunnel is set up as a plain TCP port forward, LOCAL-PORT -> TARGET, so the same
# tools measure every row: iperf3 for throughput (one stream, then -P 8), and
# bench/tunnel/pingpong.c (compiled here with cc -O2) as the echo server and the probes.
#
#   raw         iperf3 and the echo server directly: the floor
#   ss          ss-tunnel -> ss-server (shadowsocks-libev, chacha20-ietf-poly1305)
#   v2ray-ws    v2ray dokodemo-door -> VLESS over WebSocket -> v2ray freedom
#   v2ray-wss   the same inside TLS
#   httvps      httvps-client --forward -> httvps-gateway (TLS, upstream = "direct")
#   httvps-ss   httvps-client --forward -> httvps-gateway (TLS, upstream = "nodes") -> ss-server
#
# Figures per row: throughput (Gbit/s, one stream and 8 parallel streams); CPU seconds per
# GB carried, for each tunnel process (utime + stime from /proc/PID/stat around each
# iperf3 run); round-trip time of a 64-byte ping-pong (median and p99) and what it adds to
# raw TCP; time to open a new stream (connect + the echo of its first byte, mean); resident
# memory per idle stream (1,000 idle streams held open through the forwarder, the RSS
# growth of each tunnel process / 1,000); for httvps also per idle client connection (more
# httvps-client processes, one idle WebSocket each, the gateway's RSS growth / their number;
# in the other rows every stream is its own connection to the server).
#
# The httvps rows need the binaries (--bin-dir) and the local stack (ci/stack.sh up):
# the gateway checks the demo device (var/demo-device.json) through validate-device with
# the stack's gateway credential (var/gateway-credential). For httvps-ss the nodes come
# from validate-device: the stack's node, ss-server on 127.0.0.1:8388 with the password in
# var/node-secret; when nothing listens there the bench starts that ss-server itself.
# A row whose programs are missing is skipped with the reason; nothing is built here but
# the C helper, and no figure is ever made up.
#
# Usage: bench/tunnel.sh [--quick] [--rows LIST] [--seconds N] [--rounds N] [--reverse] [--streams N] [--clients N]
#                        [--bin-dir DIR] [--gateway-threads N] [--output table|json]
#
# Progress goes to stderr, the tables (or one JSON document) to stdout. Everything runs in
# a temporary directory, on free loopback ports, and stops on exit. Every process shares
# the machine's cores with iperf3 and whatever else runs: compare rows of one run, never
# runs of different days, and read nothing here as a pass/fail verdict.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=bench/tunnel.sh

all_rows="raw,ss,v2ray-ws,v2ray-wss,httvps,httvps-ss"
rows_opt=$all_rows
seconds=10
seconds_given=
rounds=1
reverse=0
quick=0
streams=1000
streams_given=
clients=50
clients_given=
bin_dir_opt=build/release/bin
gateway_threads=1
output=table
control_url=http://127.0.0.1:${HTTVPS_PORT:-8080}

usage() {
  cat <<EOF
usage: bench/tunnel.sh [options]

  --rows LIST          comma-separated rows, in the order to measure and print; ratios are
                       to the first [$all_rows]
  --seconds N          length of each iperf3 run [10]
  --rounds N           measure every row N times, interleaved, and report the medians [1]
  --quick              short runs to smoke-test the script (2 s, fewer round trips,
                       200 idle streams, 10 idle clients)
  --reverse            iperf3 -R: the bulk data flows from the target back to the client
                       (a download through the tunnel) instead of towards the target
  --streams N          idle streams held open for the memory figure [1000]
  --clients N          idle httvps-client connections for the gateway's figure [50]
  --bin-dir DIR        where httvps-gateway and httvps-client are [build/release/bin]
  --gateway-threads N  the gateway's [gateway] threads (0: one per core) [1]
  --output FORMAT      table or json [table]
  -h, --help           this help
EOF
}

die_usage() { echo "$BENCH_NAME: $*" >&2; usage >&2; exit 2; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die_usage "$1 needs a positive integer, not '$2'"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --rows) [ $# -ge 2 ] || die_usage "--rows needs a value"; rows_opt=$2; shift 2 ;;
    --rows=*) rows_opt=${1#*=}; shift ;;
    --seconds) [ $# -ge 2 ] || die_usage "--seconds needs a value"; positive "$1" "$2"; seconds=$2; seconds_given=1; shift 2 ;;
    --seconds=*) positive --seconds "${1#*=}"; seconds=${1#*=}; seconds_given=1; shift ;;
    --rounds) [ $# -ge 2 ] || die_usage "--rounds needs a value"; positive "$1" "$2"; rounds=$2; shift 2 ;;
    --rounds=*) positive --rounds "${1#*=}"; rounds=${1#*=}; shift ;;
    --streams) [ $# -ge 2 ] || die_usage "--streams needs a value"; positive "$1" "$2"; streams=$2; streams_given=1; shift 2 ;;
    --streams=*) positive --streams "${1#*=}"; streams=${1#*=}; streams_given=1; shift ;;
    --clients) [ $# -ge 2 ] || die_usage "--clients needs a value"; positive "$1" "$2"; clients=$2; clients_given=1; shift 2 ;;
    --clients=*) positive --clients "${1#*=}"; clients=${1#*=}; clients_given=1; shift ;;
    --bin-dir) [ $# -ge 2 ] || die_usage "--bin-dir needs a value"; bin_dir_opt=$2; shift 2 ;;
    --bin-dir=*) bin_dir_opt=${1#*=}; shift ;;
    --gateway-threads) [ $# -ge 2 ] || die_usage "--gateway-threads needs a value"
      [[ "$2" =~ ^[0-9]+$ ]] || die_usage "--gateway-threads needs a number, not '$2'"; gateway_threads=$2; shift 2 ;;
    --output) [ $# -ge 2 ] || die_usage "--output needs a value"; output=$2; shift 2 ;;
    --output=*) output=${1#*=}; shift ;;
    --quick) quick=1; shift ;;
    --reverse) reverse=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown option '$1'" ;;
  esac
done
case "$output" in table | json) ;; *) die_usage "--output must be table or json, not '$output'" ;; esac

rtt_count=5000 open_count=300
if [ "$quick" = 1 ]; then
  [ -n "$seconds_given" ] || seconds=2
  [ -n "$streams_given" ] || streams=200
  [ -n "$clients_given" ] || clients=10
  rtt_count=500 open_count=30
fi

IFS=',' read -r -a rows <<<"$rows_opt"
[ ${#rows[@]} -gt 0 ] || die_usage "--rows is empty"
for r in "${rows[@]}"; do
  case ",$all_rows," in *",$r,"*) ;; *) die_usage "no row named '$r' (rows: $all_rows)" ;; esac
done

case "$bin_dir_opt" in /*) bin_dir=$bin_dir_opt ;; *) bin_dir=$root/$bin_dir_opt ;; esac
# The gateway and the client take HTTVPS_* variables over their TOML (and the client reads
# $HTTVPS_CONFIG or ./httvps.toml): none of the caller's may leak into what is measured.
for v in $(compgen -e | grep '^HTTVPS_' || true); do unset "$v"; done

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"  # die, note, bench_own, _bench_cleanup; web_port_in_use
if [ "$output" = json ]; then  # errors as one JSON document on stderr, as the house style has it
  die() { jq -cn --arg m "$BENCH_NAME: $*" '{error: {message: $m}}' >&2; exit 1; }
fi

for t in iperf3 cc openssl jq setsid curl ss; do
  command -v "$t" >/dev/null || die "$t not found (ci/install-deps.sh installs it)"
done

tmp=$(mktemp -d /tmp/httvps-tunnel.XXXXXX)
mkdir -p "$tmp/run" "$tmp/logs"
trap _bench_cleanup EXIT
trap 'exit 130' INT TERM
# 1,000 idle streams need 2,000 descriptors in a forwarder and as many in the echo server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((2 * streams + 256)) ] ||
  die "the open-files limit ($(ulimit -n)) is too low for $streams idle streams"
hz=$(getconf CLK_TCK)

# ---- helpers ----------------------------------------------------------------------------

# Ports come from below the kernel's ephemeral range: a port in that range may be the local
# end of some outgoing connection (the bench makes thousands), which no connect test sees
# but which makes a later bind fail.
declare -A _ports_taken=()
read -r _ephemeral_low _ < /proc/sys/net/ipv4/ip_local_port_range
[ "$_ephemeral_low" -gt 12000 ] || die "the ephemeral port range starts at $_ephemeral_low; the bench needs 10000-12000 free of it"
free_port() {  # free_port VAR: a loopback port nothing listens on and not handed out before
  local _fp_port _fp_try
  for ((_fp_try = 0; _fp_try < 500; _fp_try++)); do
    _fp_port=$((10000 + RANDOM % (_ephemeral_low - 10000)))
    [ -z "${_ports_taken[$_fp_port]:-}" ] || continue
    web_port_in_use "$_fp_port" && continue
    _ports_taken[$_fp_port]=1
    printf -v "$1" '%s' "$_fp_port"
    return 0
  done
  die "no free loopback port found"
}

wait_port() {  # wait_port PORT PID: until PORT accepts connections; fails when PID died
  local i
  for ((i = 0; i < 100; i++)); do
    web_port_in_use "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start LOG CMD...: CMD in its own process group (stopped on exit), output to
# $tmp/logs/LOG.log; sets $started to its PID.
start() {
  local log=$1
  shift
  setsid "$@" </dev/null >>"$tmp/logs/$log.log" 2>&1 &
  started=$!
  bench_own "$started"
}

stop_pids() {  # stop_pids PID...: TERM their process groups, then KILL what is left
  local pid i keep=() o
  for pid in "$@"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for o in "${_bench_owned[@]}"; do
    for pid in "$@"; do [ "$o" = "$pid" ] && continue 2; done
    keep+=("$o")
  done
  _bench_owned=("${keep[@]}")
}

jiffies_of() {  # utime + stime of PID (all its threads)
  local line
  line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  line=${line##*) }
  awk '{print $12 + $13}' <<<"$line"
}
rss_of() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }  # kB

# Sums a per-PID figure over a space-separated PID list.
sum_of() {  # sum_of FUNCTION "PID..."
  local f=$1 pid v total=0
  for pid in $2; do
    v=$("$f" "$pid") || return 1
    [ -n "$v" ] || return 1
    total=$((total + v))
  done
  echo "$total"
}

# ---- what every row shares ----------------------------------------------------------------

note "compiling bench/tunnel/pingpong.c"
cc -O2 -o "$tmp/pingpong" "$root/bench/tunnel/pingpong.c" 2>"$tmp/logs/cc.log" ||
  die "cannot compile bench/tunnel/pingpong.c: $(tail -3 "$tmp/logs/cc.log")"
pingpong=$tmp/pingpong

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/logs/openssl.log" ||
  die "openssl could not make a certificate: $(tail -3 "$tmp/logs/openssl.log")"
chmod 600 "$tmp/key.pem"

iperf_port='' echo_port='' gw_port='' gw_admin=''
free_port iperf_port
free_port echo_port
start iperf3 iperf3 -s -B 127.0.0.1 -p "$iperf_port"
iperf_pid=$started
start echo "$pingpong" serve "$echo_port"
echo_pid=$started
wait_port "$iperf_port" "$iperf_pid" || die "iperf3 -s did not start: $(tail -3 "$tmp/logs/iperf3.log")"
wait_port "$echo_port" "$echo_pid" || die "the echo server did not start: $(tail -3 "$tmp/logs/echo.log")"

# ---- the rows: each sets up LOCAL-PORT -> TARGET forwards -------------------------------
#
# setup_ROW sets fwd_bulk (-> iperf3) and fwd_echo (-> echo server), and registers its
# processes with add_proc LABEL PID (one label may have several PIDs; their figures add up);
# it returns 1 with $skip set when the row cannot run here.

row_title() {
  case "$1" in
    raw) echo "raw TCP (iperf3 direct)" ;;
    ss) echo "shadowsocks-libev (ss-tunnel -> ss-server)" ;;
    v2ray-ws) echo "v2ray VLESS over WebSocket" ;;
    v2ray-wss) echo "v2ray VLESS over WebSocket + TLS" ;;
    httvps) echo "httvps (client -> gateway TLS -> direct)" ;;
    httvps-ss) echo "httvps (client -> gateway TLS -> ss-server)" ;;
  esac
}

proc_labels=() proc_pids=()
add_proc() {  # add_proc LABEL PID
  local i
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do
    if [ "${proc_labels[$i]}" = "$1" ]; then proc_pids[i]="${proc_pids[$i]} $2"; return 0; fi
  done
  proc_labels+=("$1")
  proc_pids+=("$2")
}
row_started=()  # PIDs to stop when the row is done
gateway_pids=""
row_note=""

ss_config() {  # ss_config FILE PORT PASSWORD: a shadowsocks-libev config (the password stays off the command line)
  jq -n --arg p "$3" --argjson port "$2" \
    '{server: "127.0.0.1", server_port: $port, password: $p, method: "chacha20-ietf-poly1305", timeout: 300}' >"$1"
  chmod 600 "$1"
}

need() {  # need PROGRAM...: sets $skip unless every PROGRAM is on PATH
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null || { skip="not installed: $p (ci/install-deps.sh installs it)"; return 1; }
  done
}

setup_raw() {
  fwd_bulk=$iperf_port fwd_echo=$echo_port
}

setup_ss() {
  need ss-server ss-tunnel || return 1
  local port pw
  free_port port
  free_port fwd_bulk
  free_port fwd_echo
  pw=$(openssl rand -base64 24)
  ss_config "$tmp/ss.json" "$port" "$pw"
  start ss-server ss-server -c "$tmp/ss.json" -n 65536 --no-delay
  row_started+=("$started"); add_proc ss-server "$started"
  wait_port "$port" "$started" || { fail="ss-server did not start: $(tail -2 "$tmp/logs/ss-server.log")"; return 1; }
  start ss-tunnel ss-tunnel -c "$tmp/ss.json" -b 127.0.0.1 -l "$fwd_bulk" -L "127.0.0.1:$iperf_port" -n 65536 --no-delay
  row_started+=("$started"); add_proc ss-tunnel "$started"
  wait_port "$fwd_bulk" "$started" || { fail="ss-tunnel did not start: $(tail -2 "$tmp/logs/ss-tunnel.log")"; return 1; }
  start ss-tunnel ss-tunnel -c "$tmp/ss.json" -b 127.0.0.1 -l "$fwd_echo" -L "127.0.0.1:$echo_port" -n 65536 --no-delay
  row_started+=("$started"); add_proc ss-tunnel "$started"
  wait_port "$fwd_echo" "$started" || { fail="ss-tunnel did not start: $(tail -2 "$tmp/logs/ss-tunnel.log")"; return 1; }
}

render() {  # render TEMPLATE OUT NAME=VALUE...: replaces @NAME@ (values are ports, paths, a UUID)
  local in=$1 out=$2 kv args=()
  shift 2
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$in" >"$out"
  ! grep -q '@[A-Z_]*@' "$out" || die "$out: a placeholder was left: $(grep -o '@[A-Z_]*@' "$out" | head -1)"
}

setup_v2ray() {  # setup_v2ray none|tls
  need v2ray || return 1
  local port uuid
  free_port port
  free_port fwd_bulk
  free_port fwd_echo
  uuid=$(cat /proc/sys/kernel/random/uuid)
  render "$root/bench/tunnel/v2ray-server.json.in" "$tmp/v2ray-server-$1.json" PORT="$port" UUID="$uuid" \
    SECURITY="$1" CERT="$tmp/cert.pem" KEY="$tmp/key.pem"
  render "$root/bench/tunnel/v2ray-client.json.in" "$tmp/v2ray-client-$1.json" PORT="$port" UUID="$uuid" \
    SECURITY="$1" LPORT_BULK="$fwd_bulk" TARGET_BULK="$iperf_port" LPORT_ECHO="$fwd_echo" TARGET_ECHO="$echo_port"
  chmod 600 "$tmp"/v2ray-*.json
  start v2ray-server v2ray -config "$tmp/v2ray-server-$1.json"
  row_started+=("$started"); add_proc "v2ray server" "$started"
  wait_port "$port" "$started" || { fail="the v2ray server did not start: $(tail -2 "$tmp/logs/v2ray-server.log")"; return 1; }
  start v2ray-client v2ray -config "$tmp/v2ray-client-$1.json"
  row_started+=("$started"); add_proc "v2ray client" "$started"
  wait_port "$fwd_echo" "$started" || { fail="the v2ray client did not start: $(tail -2 "$tmp/logs/v2ray-client.log")"; return 1; }
  wait_port "$fwd_bulk" "$started" || { fail="the v2ray client did not start: $(tail -2 "$tmp/logs/v2ray-client.log")"; return 1; }
}
setup_v2ray-ws() { setup_v2ray none; }
setup_v2ray-wss() { setup_v2ray tls; }

# The httvps rows need the binaries and the local stack's control plane.
httvps_ready() {
  local b
  for b in httvps-gateway httvps-client; do
    [ -x "$bin_dir/$b" ] || { skip="not built: $bin_dir_opt/$b is missing"; return 1; }
  done
  if ! "$root/ci/stack.sh" status >"$tmp/logs/stack-status.log" 2>&1; then
    skip="the local stack is not running (start it: make up; 'ci/stack.sh status' says: $(grep -v ' running' "$tmp/logs/stack-status.log" | tr -s ' ' | paste -sd ';' -))"
    return 1
  fi
  [ -s "$root/var/gateway-credential" ] || { skip="var/gateway-credential is missing (make up writes it)"; return 1; }
  token=$(jq -r '.gateway_token // empty' "$root/var/demo-device.json" 2>/dev/null) || true
  [[ "$token" == htv_* ]] || { skip="no gateway_token in var/demo-device.json (make up writes it)"; return 1; }
}

gateway_config() {  # gateway_config FILE PORT ADMIN-PORT UPSTREAM
  cat >"$1" <<EOF
# bench/tunnel.sh: one gateway for one row of the bench
[gateway]
listen = "127.0.0.1:$2"
tls_cert = "$tmp/cert.pem"
tls_key = "$tmp/key.pem"
path = "/tunnel"
threads = $gateway_threads
admin_listen = "127.0.0.1:$3"
control_url = "$control_url"
credential_file = "$root/var/gateway-credential"
spool_dir = "$tmp/spool-$2"
upstream = "$4"
allow_private_targets = true

[log]
level = "warn"
EOF
}

# start_client LOG GATEWAY-PORT FORWARD...: one httvps-client with --forward FORWARD...; the
# URI (with the token) goes through a file, off the process list. insecure=1: the bench's
# certificate is self-signed (the TLS work is the same as with verification).
start_client() {
  local log=$1 port=$2 f args=()
  shift 2
  for f in "$@"; do args+=(--forward "$f"); done
  if [ ! -s "$tmp/uri-$port" ]; then
    (umask 077 && echo "httvps://$token@127.0.0.1:$port/tunnel?security=tls&insecure=1" >"$tmp/uri-$port")
  fi
  [ -f "$tmp/client.toml" ] || printf '# bench/tunnel.sh: the clients read nothing else\n[log]\nlevel = "warn"\n' >"$tmp/client.toml"
  start "$log" "$bin_dir/httvps-client" --config "$tmp/client.toml" "${args[@]}" --uri-file "$tmp/uri-$port"
}

setup_httvps_common() {  # setup_httvps_common UPSTREAM
  local i
  free_port gw_port
  free_port gw_admin
  free_port fwd_bulk
  free_port fwd_echo
  gateway_config "$tmp/gateway-$1.toml" "$gw_port" "$gw_admin" "$1"
  start "gateway-$1" "$bin_dir/httvps-gateway" --config "$tmp/gateway-$1.toml"
  row_started+=("$started"); add_proc httvps-gateway "$started"
  gateway_pids=$started
  for ((i = 0; i < 100; i++)); do
    curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$gw_admin/healthz" 2>/dev/null && break
    kill -0 "$started" 2>/dev/null || break
    sleep 0.1
  done
  curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$gw_admin/healthz" 2>/dev/null ||
    { fail="httvps-gateway did not become healthy: $(tail -2 "$tmp/logs/gateway-$1.log")"; return 1; }
  start_client "client-$1" "$gw_port" "127.0.0.1:$fwd_bulk=127.0.0.1:$iperf_port" "127.0.0.1:$fwd_echo=127.0.0.1:$echo_port"
  row_started+=("$started"); add_proc httvps-client "$started"
  { wait_port "$fwd_echo" "$started" && wait_port "$fwd_bulk" "$started"; } ||
    { fail="httvps-client did not start: $(tail -2 "$tmp/logs/client-$1.log")"; return 1; }
}

setup_httvps() {
  httvps_ready || return 1
  setup_httvps_common direct
}

setup_httvps-ss() {
  httvps_ready || return 1
  local pid
  # The node validate-device names for the demo device: the stack's ss-server on 8388.
  if web_port_in_use 8388; then
    pid=$(ss -Hltnp 'sport = :8388' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    if [ -n "$pid" ]; then
      add_proc "ss-server (stack's)" "$pid"
    else
      row_note="the ss-server on 8388 is not ours and its CPU is not shown"
    fi
  else
    need ss-server || return 1
    [ -s "$root/var/node-secret" ] || { skip="var/node-secret is missing (make up writes it)"; return 1; }
    ss_config "$tmp/ss-node.json" 8388 "$(cat "$root/var/node-secret")"
    start ss-node ss-server -c "$tmp/ss-node.json" -n 65536 --no-delay
    row_started+=("$started"); add_proc ss-server "$started"
    wait_port 8388 "$started" || { fail="ss-server on 8388 did not start: $(tail -2 "$tmp/logs/ss-node.log")"; return 1; }
    row_note="nothing listened on 127.0.0.1:8388 (the stack's node): the bench started ss-server there with var/node-secret"
  fi
  setup_httvps_common nodes
}

# ---- the measurements ---------------------------------------------------------------------

# iperf_run STREAMS OUT: one iperf3 run through fwd_bulk; writes "bits_per_second bytes" to
# OUT and the CPU jiffies of every process label to OUT.cpu (one line per label, in order).
iperf_run() {
  local n=$1 out=$2 i before=() after=()
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do before+=("$(sum_of jiffies_of "${proc_pids[$i]}")") || return 1; done
  local dir=()
  if [ "$reverse" = 1 ]; then dir=(-R); fi
  timeout $((seconds + 30)) iperf3 -c 127.0.0.1 -p "$fwd_bulk" -t "$seconds" -P "$n" "${dir[@]}" --connect-timeout 10000 -J \
    >"$out.json" 2>"$out.err" || { fail="iperf3 -P $n failed: $(jq -r '.error // empty' "$out.json" 2>/dev/null) $(tail -2 "$out.err")"; return 1; }
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do after+=("$(sum_of jiffies_of "${proc_pids[$i]}")") || return 1; done
  jq -r '"\(.end.sum_received.bits_per_second) \(.end.sum_received.bytes)"' "$out.json" >"$out"
  : >"$out.cpu"
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do echo $((after[i] - before[i])) >>"$out.cpu"; done
}

# hold_idle N PORT OUT: holds N idle streams through PORT; writes the RSS growth (kB) of
# every process label to OUT while they are open.
hold_idle() {
  local n=$1 port=$2 out=$3 i pid before=() after=()
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do before+=("$(sum_of rss_of "${proc_pids[$i]}")") || return 1; done
  rm -f "$tmp/hold.in"
  mkfifo "$tmp/hold.in"
  "$pingpong" hold "$port" "$n" <"$tmp/hold.in" >"$tmp/hold.out" 2>"$tmp/hold.err" &
  pid=$!
  exec 7>"$tmp/hold.in"
  for ((i = 0; i < 600; i++)); do
    grep -q '^ready' "$tmp/hold.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^ready' "$tmp/hold.out"; then
    exec 7>&-
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    fail="could not hold $n idle streams: $(cat "$tmp/hold.err")"
    return 1
  fi
  sleep 1  # let lazily freed and lazily grown memory settle
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do after+=("$(sum_of rss_of "${proc_pids[$i]}")") || return 1; done
  exec 7>&-
  wait "$pid" 2>/dev/null || true
  : >"$out"
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do echo $((after[i] - before[i])) >>"$out"; done
  sleep 0.5  # let the forwarders close the streams before the next figure
}

# idle_clients N GATEWAY-PORT: sets conn_kb to the gateway's RSS growth (kB) with N more
# clients, each with one WebSocket kept open (made to connect by one stream that then
# closes). The clients stay up (their PIDs in $idle_client_pids) until the caller stops
# them, so that the idle streams measured next cannot reuse memory they would free.
idle_clients() {
  local n=$1 i p ports=() pids=() before after open
  idle_client_pids=()
  before=$(sum_of rss_of "$gateway_pids") || return 1
  for ((i = 0; i < n; i++)); do
    free_port p
    ports+=("$p")
    start_client "idle-clients" "$gw_port" "127.0.0.1:$p=127.0.0.1:$echo_port"
    pids+=("$started")
    idle_client_pids+=("$started")
  done
  for ((i = 0; i < n; i++)); do
    if ! wait_port "${ports[$i]}" "${pids[$i]}" ||
      ! timeout 30 "$pingpong" open "${ports[$i]}" 1 >/dev/null 2>>"$tmp/logs/idle-clients.log"; then
      fail="idle client $((i + 1)) of $n did not come up: $(tail -2 "$tmp/logs/idle-clients.log")"
      return 1
    fi
  done
  sleep 1
  after=$(sum_of rss_of "$gateway_pids") || return 1
  conn_kb=$((after - before))
  # The figure means something only if the clients really hold their connections.
  open=$(curl -fsS --max-time 5 "http://127.0.0.1:$gw_admin/metrics" 2>/dev/null |
    awk '$1 == "httvps_gateway_connections_open" {print $2}') || true
  if [ -n "$open" ] && [ "${open%.*}" -lt $((n + 1)) ]; then
    row_note="${row_note:+$row_note; }only ${open%.*} tunnel connections were open with $n idle clients and the bench's own"
  fi
}

# measure ROW: every figure of one row into $tmp/row-ROW.json
measure() {
  local row=$1 title
  title=$(row_title "$row")
  proc_labels=() proc_pids=() row_started=() gateway_pids="" row_note="" skip="" fail=""
  note "== $row: $title"
  if ! "setup_$row"; then
    local status=skipped why=$skip
    if [ -z "$skip" ]; then status=failed why=$fail; fi
    note "$row: $status: $why"
    stop_pids "${row_started[@]}"
    jq -n --arg row "$row" --arg title "$title" --arg status "$status" --arg why "$why" \
      '{row: $row, title: $title, status: $status, note: $why}' >"$tmp/row-$row.r$round.json"
    return 0
  fi
  if ! _measure_row "$row"; then
    note "$row: failed: $fail"
    stop_pids "${row_started[@]}"
    jq -n --arg row "$row" --arg title "$title" --arg why "$fail" \
      '{row: $row, title: $title, status: "failed", note: $why}' >"$tmp/row-$row.r$round.json"
    return 0
  fi
  stop_pids "${row_started[@]}"
}

_measure_row() {
  local row=$1 i err rtt open rtt_med rtt_p99 rtt_mean open_med open_p99 open_mean
  note "$row: probing the forward"
  if ! err=$(timeout 60 "$pingpong" rtt "$fwd_echo" 10 64 2>&1 >/dev/null); then
    fail="no echo through the forward: ${err:-timed out}"
    return 1
  fi
  local mem_file="$tmp/$row.idle"
  conn_kb="" idle_client_pids=()
  if [ -n "$gateway_pids" ]; then
    note "$row: the gateway's memory with $clients more idle clients"
    idle_clients "$clients" "$gw_port" || { stop_pids "${idle_client_pids[@]}"; return 1; }
  fi
  if [ ${#proc_labels[@]} -gt 0 ]; then
    note "$row: memory with $streams idle streams"
    hold_idle "$streams" "$fwd_echo" "$mem_file" || { stop_pids "${idle_client_pids[@]}"; return 1; }
  fi
  stop_pids "${idle_client_pids[@]}"
  note "$row: $rtt_count ping-pongs of 64 bytes"
  rtt=$(timeout 300 "$pingpong" rtt "$fwd_echo" "$rtt_count" 64 2>"$tmp/logs/pingpong.log") ||
    { fail="ping-pong failed: $(tail -2 "$tmp/logs/pingpong.log")"; return 1; }
  note "$row: opening $open_count streams"
  open=$(timeout 300 "$pingpong" open "$fwd_echo" "$open_count" 2>"$tmp/logs/pingpong.log") ||
    { fail="opening streams failed: $(tail -2 "$tmp/logs/pingpong.log")"; return 1; }
  note "$row: iperf3, 1 stream, $seconds s"
  iperf_run 1 "$tmp/$row.p1" || return 1
  note "$row: iperf3, 8 streams, $seconds s"
  iperf_run 8 "$tmp/$row.p8" || return 1

  local bps1 bytes1 bps8 bytes8
  read -r bps1 bytes1 <"$tmp/$row.p1"
  read -r bps8 bytes8 <"$tmp/$row.p8"
  local procs='[]' label cpu1 cpu8 kb conn
  for ((i = 0; i < ${#proc_labels[@]}; i++)); do
    label=${proc_labels[$i]}
    cpu1=$(sed -n "$((i + 1))p" "$tmp/$row.p1.cpu")
    cpu8=$(sed -n "$((i + 1))p" "$tmp/$row.p8.cpu")
    kb=$(sed -n "$((i + 1))p" "$mem_file")
    conn=null
    if [ "$label" = httvps-gateway ] && [ -n "$conn_kb" ]; then conn=$conn_kb; fi
    procs=$(jq -c --arg l "$label" --argjson c1 "$cpu1" --argjson c8 "$cpu8" --argjson b1 "$bytes1" \
      --argjson b8 "$bytes8" --argjson kb "$kb" --argjson n "$streams" --argjson hz "$hz" \
      --argjson conn "$conn" --argjson clients "$clients" \
      '. + [{name: $l,
             cpu_s_per_gb: {one_stream: ($c1 / $hz / ($b1 / 1e9)), eight_streams: ($c8 / $hz / ($b8 / 1e9))},
             idle_stream_kib: ($kb / $n * 1000 / 1024),
             idle_connection_kib: (if $conn == null then null else $conn / $clients * 1000 / 1024 end)}]' <<<"$procs")
  done
  read -r rtt_med rtt_p99 rtt_mean <<<"$rtt"
  read -r open_med open_p99 open_mean <<<"$open"
  jq -n --arg row "$row" --arg title "$title" --arg note "$row_note" \
    --argjson bps1 "$bps1" --argjson bps8 "$bps8" --argjson bytes1 "$bytes1" --argjson bytes8 "$bytes8" \
    --argjson rm "$rtt_med" --argjson rp "$rtt_p99" --argjson ra "$rtt_mean" \
    --argjson om "$open_med" --argjson op "$open_p99" --argjson oa "$open_mean" --argjson procs "$procs" \
    '{row: $row, title: $title, status: "ok", note: (if $note == "" then null else $note end),
      throughput_gbit_s: {one_stream: ($bps1 / 1e9), eight_streams: ($bps8 / 1e9)},
      bytes: {one_stream: $bytes1, eight_streams: $bytes8},
      rtt_64b_us: {median: $rm, p99: $rp, mean: $ra},
      open_stream_us: {median: $om, p99: $op, mean: $oa},
      processes: $procs}' >"$tmp/row-$row.r$round.json"
}

# ---- run ------------------------------------------------------------------------------------

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
note "$(nproc) cores, load average $load_start at the start; rows: ${rows[*]}; iperf3 runs of $seconds s"
if [ "$(awk '{print ($1 > 0.5)}' /proc/loadavg)" = 1 ]; then
  note "warning: load average $(cut -d' ' -f1 /proc/loadavg) before the run; something else is busy"
fi
for ((round = 1; round <= rounds; round++)); do
  [ "$rounds" = 1 ] || note "=== round $round of $rounds"
  for r in "${rows[@]}"; do measure "$r"; done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

versions=$(jq -n --arg iperf3 "$(iperf3 --version | head -1)" \
  --arg ss "$(ss-server -h 2>&1 | sed -n 's/^shadowsocks-libev \([0-9.]*\).*/\1/p' | head -1)" \
  --arg v2ray "$(v2ray -version 2>/dev/null | head -1)" \
  --arg openssl "$(openssl version)" '{iperf3: $iperf3, "shadowsocks-libev": $ss, v2ray: $v2ray, openssl: $openssl}')
# One record per row: with several rounds, every figure is the median of the rounds that
# measured the row ("rounds" says how many); a row no round measured keeps its reason.
for r in "${rows[@]}"; do
  cat "$tmp/row-$r".r*.json | jq -s '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    map(select(.status == "ok")) as $ok |
    if ($ok | length) == 0 then .[0] + {rounds: 0}
    else $ok[0] as $t |
      reduce ([$t | paths(numbers)][]) as $p ($t; setpath($p; [$ok[] | getpath($p)] | median)) + {rounds: ($ok | length)}
    end'
done | jq -s \
  --arg at "$started_at" --arg cpu "$(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
  --arg kernel "$(uname -sr)" --arg l0 "$load_start" --arg l1 "$load_end" --argjson seconds "$seconds" \
  --argjson streams "$streams" --argjson clients "$clients" --argjson rtt "$rtt_count" --argjson open "$open_count" \
  --argjson versions "$versions" --argjson gwt "$gateway_threads" --argjson rounds "$rounds" --argjson reverse "$reverse" \
  '{started_at: $at, machine: {cpu: $cpu, kernel: $kernel, load_average_start: $l0, load_average_end: $l1},
    settings: {rounds: $rounds, iperf3_seconds: $seconds, direction: (if $reverse == 1 then "download (iperf3 -R)" else "upload" end), idle_streams: $streams, idle_clients: $clients,
               ping_pongs: $rtt, opens: $open, gateway_threads: $gwt},
    versions: $versions, rows: .}' >"$tmp/result.json"

if [ "$output" = json ]; then
  cat "$tmp/result.json"
  exit 0
fi

# ---- the tables -------------------------------------------------------------------------------

jq -r '
  # A number with D decimals ("-" for none): jq has no printf.
  def f(d): if . == null then "-" else
    ((. * pow(10; d)) | round) as $n | ($n | fabs | tostring) as $s |
    (if d == 0 then $s else
      ("0" * ([d + 1 - ($s | length), 0] | max)) + $s | .[0:length - d] + "." + .[length - d:] end) |
    (if $n < 0 then "-" + . else . end) end;
  def ratio($a; $b): if $a == null or $b == null or $b == 0 then "-" else ($a / $b | f(2)) end;
  def cpu(k): if (.processes | length) == 0 then null else ([.processes[].cpu_s_per_gb[k]] | add) end;
  (.rows | map(select(.status == "ok")) | first) as $base |
  "== \(.started_at), \(.machine.cpu), load average \(.machine.load_average_start) at the start, \(.machine.load_average_end) at the end",
  "== \(.settings.rounds) round(s), medians; iperf3 \(.settings.iperf3_seconds) s per run, \(.settings.direction); \(.settings.ping_pongs) ping-pongs; \(.settings.opens) stream opens; ratios (x) to \($base.title // "none")",
  "",
  "| tunnel | 1 stream Gbit/s | x | 8 streams Gbit/s | x | CPU s/GB, 1 / 8 streams | RTT 64 B p50 µs | p99 µs | added µs | open stream µs | x |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  (.rows[] |
    if .status != "ok" then "| \(.title) | \(.status): \(.note) | | | | | | | | | |"
    else
      "| \(.title) | \(.throughput_gbit_s.one_stream | f(2)) | \(ratio(.throughput_gbit_s.one_stream; $base.throughput_gbit_s.one_stream)) | \(.throughput_gbit_s.eight_streams | f(2)) | \(ratio(.throughput_gbit_s.eight_streams; $base.throughput_gbit_s.eight_streams)) | \(cpu("one_stream") | f(2)) / \(cpu("eight_streams") | f(2)) | \(.rtt_64b_us.median | f(1)) | \(.rtt_64b_us.p99 | f(1)) | \(.rtt_64b_us.median - $base.rtt_64b_us.median | f(1)) | \(.open_stream_us.mean | f(1)) | \(ratio(.open_stream_us.mean; $base.open_stream_us.mean)) |"
    end),
  "",
  "== per tunnel process: CPU seconds per GB carried (user + system), resident memory per idle stream (\(.settings.idle_streams) held open) and, for the gateway, per idle client connection (\(.settings.idle_clients) more clients; in the other rows every stream is its own connection)",
  "",
  "| tunnel | process | CPU s/GB, 1 stream | CPU s/GB, 8 streams | KiB per idle stream | KiB per idle client connection |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
  (.rows[] | select(.status == "ok") | . as $r | .processes[] |
    "| \($r.title) | \(.name) | \(.cpu_s_per_gb.one_stream | f(2)) | \(.cpu_s_per_gb.eight_streams | f(2)) | \(.idle_stream_kib | f(1)) | \(.idle_connection_kib | f(1)) |"),
  (.rows[] | select(.status == "ok" and .note != null) | "", "note: \(.title): \(.note)")
' "$tmp/result.json"

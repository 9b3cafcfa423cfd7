#!/usr/bin/env bash
# bench/rotate_nodes.sh: how long one rotate-nodes run takes over many nodes, side by side
# with baselines measured in the same run. The claim (docs/nodes.md): probes run at once,
# so a run over 1,000 nodes takes about as long as its slowest probe, not their sum.
#
#   bench/rotate_nodes.sh                  1,000 nodes
#   NODES=200 bench/rotate_nodes.sh        a quicker look
#
# Cases, each measured on the run after a first one (health settled):
#   one node          a real Shadowsocks probe through ss-server to the canary: the baseline
#   NODES answering   NODES nodes, all the same ss-server, each probed through Shadowsocks
#   NODES silent      NODES nodes that accept the connection and never answer, with a
#                     probe timeout of TIMEOUT_MS: compared with one timeout and with the
#                     sum of the timeouts (what probing one after another would take)
#
# Environment (defaults in brackets):
#   HTTVPS_BIN_DIR   the binaries to measure [build/release/bin]
#   NODES            nodes per case [1000]
#   TIMEOUT_MS       nodes.probe_timeout_ms for the silent case [2000]
#
# Everything runs on this machine (PostgreSQL from ci/pg-cluster.sh); a run records every
# node's probe in one transaction, so the database is part of the figure. Figures vary between runs and machines: compare the rows of one run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${HTTVPS_BIN_DIR:-$root/build/release/bin}
NODES=${NODES:-1000}
TIMEOUT_MS=${TIMEOUT_MS:-2000}
case "$NODES" in '' | *[!0-9]*) echo "bench/rotate_nodes.sh: NODES must be a number" >&2; exit 2 ;; esac
case "$TIMEOUT_MS" in '' | *[!0-9]*) echo "bench/rotate_nodes.sh: TIMEOUT_MS must be a number" >&2; exit 2 ;; esac

BENCH_NAME=bench/rotate_nodes.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
for b in httvps rotate-nodes; do
  [ -x "$BIN_DIR/$b" ] || die "no $b in $BIN_DIR (build it, or set HTTVPS_BIN_DIR)"
done
command -v ss-server >/dev/null || die "ss-server is not installed (apt-get install -y shadowsocks-libev)"
# One socket per probe: the run needs more than the usual 1,024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((NODES + 64)) ] || die "the open-files limit $(ulimit -n) is too low for $NODES nodes"

bench_init
bench_machine
echo "nodes:      $NODES per case; silent probe timeout $TIMEOUT_MS ms"
bench_cluster
psql_in() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d "$1" "${@:2}"; }
psql_in postgres -c "CREATE DATABASE nodes"
export HTTVPS_CONFIG=$tmp/httvps.toml
bench_config "$HTTVPS_CONFIG" "host=$sock user=postgres dbname=nodes"
H=$BIN_DIR/httvps
"$H" --log-level warn migrate up >/dev/null

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  die "nothing listens on port $1"
}
start() {  # start NAME CMD...: in its own process group, stopped at exit
  local name=$1
  shift
  setsid "$@" >"$tmp/logs/$name.log" 2>&1 &
  bench_own $!
}

M=chacha20-ietf-poly1305
http_port=$(free_port)
# The canary: answers every request with 204 and takes a thousand connections at once
# (python3 -m http.server's listen backlog of 5 would itself time probes out).
start http python3 -c "
import asyncio
async def answer(r, w):
    try:
        await r.readuntil(b'\r\n\r\n')
        w.write(b'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n')
        await w.drain()
    except Exception:
        pass
    w.close()
async def main():
    server = await asyncio.start_server(answer, '127.0.0.1', $http_port, backlog=65535)
    await server.serve_forever()
asyncio.run(main())"
ss_port=$(free_port)
start ss ss-server -s 127.0.0.1 -p "$ss_port" -k bench-secret-0123 -m $M
silent_port=$(free_port)
# Accepts nothing: the kernel completes the handshakes into the backlog, no byte comes back.
start silent python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $silent_port)); s.listen(65535)
while True: time.sleep(3600)"
wait_port "$http_port"
wait_port "$ss_port"
wait_port "$silent_port"

# add_nodes NAME-PREFIX COUNT PORT: a region of COUNT nodes on PORT, each with the secret.
add_nodes() {
  local prefix=$1 count=$2 port=$3 i
  "$H" region create "$prefix" >/dev/null
  psql_in nodes -c "INSERT INTO nodes (region_id, name, kind, host, port, method)
    SELECT r.id, '$prefix-' || i, 'shadowsocks', '127.0.0.1', $port, '$M'
      FROM regions r, generate_series(1, $count) AS i WHERE r.name = '$prefix'"
  for ((i = 1; i <= count; i++)); do
    printf 'bench-secret-0123\n' | "$H" node set-secret "$prefix-$i" --secret-stdin >/dev/null
  done
}
# drop REGION: its nodes go (every node is probed, whatever its state, so each case runs alone).
drop() { psql_in nodes -c "DELETE FROM nodes WHERE region_id = (SELECT id FROM regions WHERE name = '$1')"; }

now_ms() { date +%s%N | cut -b1-13; }
# measure REGION TIMEOUT-MS: runs twice, prints "WALL-SECONDS JOB-SECONDS UP DOWN-OR-DEGRADED" of the second.
measure() {
  local set=(--set "nodes.canary=127.0.0.1:$http_port" --set "nodes.probe_timeout_ms=$2")
  "$BIN_DIR/rotate-nodes" -o json "${set[@]}" >/dev/null 2>>"$tmp/logs/rotate.log" || die "rotate-nodes failed"
  local t0 t1 out
  t0=$(now_ms)
  out=$("$BIN_DIR/rotate-nodes" -o json "${set[@]}" 2>>"$tmp/logs/rotate.log") || die "rotate-nodes failed"
  t1=$(now_ms)
  local up bad
  up=$(psql_in nodes -c "SELECT count(*) FROM nodes n JOIN regions r ON r.id = n.region_id WHERE r.name = '$1' AND n.health = 'up'")
  bad=$(psql_in nodes -c "SELECT count(*) FROM nodes n JOIN regions r ON r.id = n.region_id WHERE r.name = '$1' AND n.health IN ('degraded', 'down')")
  psql_in nodes -c "SELECT string_agg(DISTINCT last_probe_error, '; ') FROM nodes WHERE health <> 'up'" >"$tmp/$1-errors"
  printf '%s %s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1000}')" \
    "$(jq -r '.duration_seconds' <<<"$out")" "$up" "$bad"
}

note "one node"
add_nodes one 1 "$ss_port"
read -r w1 j1 u1 _ < <(measure one 5000)
drop one
note "$NODES answering nodes (one set-secret each first)"
add_nodes ans "$NODES" "$ss_port"
read -r wa ja ua _ < <(measure ans 5000)
drop ans
note "$NODES silent nodes (one set-secret each first)"
add_nodes sil "$NODES" "$silent_port"
read -r ws js _ bs < <(measure sil "$TIMEOUT_MS")
[ "$u1" = 1 ] || die "the single node is not up ($u1)"
[ "$ua" = "$NODES" ] || die "only $ua of $NODES answering nodes are up: $(cat "$tmp/ans-errors")"
[ "$bs" = "$NODES" ] || die "only $bs of $NODES silent nodes failed their probe"
timeout_s=$(awk -v t="$TIMEOUT_MS" 'BEGIN {printf "%.2f", t / 1000}')
sum_s=$(awk -v t="$TIMEOUT_MS" -v n="$NODES" 'BEGIN {printf "%.0f", t * n / 1000}')

echo
printf '%-44s %8s %10s %10s   %s\n' "case (second run of each)" "nodes" "wall (s)" "job (s)" "baseline, same run"
printf '%-44s %8s %10s %10s   %s\n' "one node, Shadowsocks probe to the canary" 1 "$w1" "$j1" "-"
printf '%-44s %8s %10s %10s   %s\n' "answering, Shadowsocks probe to the canary" "$NODES" "$wa" "$ja" \
  "one node: $w1 s ($(awk -v a="$wa" -v b="$w1" 'BEGIN {printf "%.1fx", a / b}'))"
printf '%-44s %8s %10s %10s   %s\n' "silent, probe timeout $TIMEOUT_MS ms" "$NODES" "$ws" "$js" \
  "one timeout: $timeout_s s ($(awk -v a="$ws" -v b="$timeout_s" 'BEGIN {printf "%.2fx", a / b}')); one after another: $sum_s s"
echo
echo "wall: the process from start to exit (start-up, connect, the run); job: the run as rotate-nodes measures it,"
echo "which includes the transaction that records every node's probe."

#!/usr/bin/env bash
# Usage accounting end to end (docs/usage-accounting.md), through real processes only:
# traffic.py → httvps-client (forwards) → httvps-gateway (TLS) → ss-server → traffic.py
# servers that count what arrives; usage batches → nginx + fcgiwrap → httvps → a private
# PostgreSQL cluster (this test stops it, so it does not use the shared fixture's);
# aggregate-usage. It checks:
#   - exactness: known byte counts up and down end up, byte for byte, in the records, the
#     rollups (device, user, node; hour and day; billed with the node's multiplier) and the
#     subscription; the heartbeat records the session (in pages of one session);
#   - the quota at the byte: a download stops at the plan's limit, the user becomes
#     limited, the next HELLO is refused with quota;
#   - the speed limit paces a download (a lower bound on its duration only);
#   - faults: kill -9 of the gateway mid-transfer (the meter file hands the unspooled
#     counts to the next start), PostgreSQL stopped during traffic (batches wait in the
#     spool, then arrive once), a kill -9 while batches wait in the spool, two concurrent
#     aggregate-usage runs: the totals equal the bytes that crossed, nothing twice.
source "$(dirname "$0")/lib.sh"
WEB_NAME=usage_e2e_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
ISSUE_KEY=$HTTVPS_BIN_DIR/issue-key
GATEWAY=$HTTVPS_BIN_DIR/httvps-gateway
CLIENT=$HTTVPS_BIN_DIR/httvps-client
AGGREGATE=$HTTVPS_BIN_DIR/aggregate-usage
TRAFFIC="$HTTVPS_SOURCE_DIR/tests/system/usage/traffic.py"
T=$TEST_TMP

# ---- a private PostgreSQL cluster, so that stopping it harms no other test ------------------
pg_dir="$T/pg"
pg_sock=$("$HTTVPS_SOURCE_DIR/ci/pg-cluster.sh" start "$pg_dir" --fast | tail -1)
defer "'$HTTVPS_SOURCE_DIR/ci/pg-cluster.sh' stop '$pg_dir'"
psql -X -q -h "$pg_sock" -U postgres -d postgres -c "CREATE DATABASE usage_e2e"
export HTTVPS_DATABASE_URL="host=$pg_sock user=postgres dbname=usage_e2e"
write_config "$HTTVPS_DATABASE_URL"
q() { psql -X -q -At -h "$pg_sock" -U postgres -d usage_e2e -v ON_ERROR_STOP=1 -c "$1"; }
"$HTTVPS" migrate up >/dev/null
check "the private cluster is migrated and the CGI answers from it" -- web_wait_health "$port" 50

wait_listen() {
  local i
  for ((i = 0; i < 100; i++)); do
    # /proc/net/tcp: local address HEX_IP:HEX_PORT, state 0A is LISTEN.
    awk -v p="$(printf ':%04X' "$1")" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp && return 0
    sleep 0.1
  done
  return 1
}
# wait_for DESCRIPTION SECONDS COMMAND...: retries COMMAND every 0.2 s; passes when it succeeds.
wait_for() {
  local desc=$1 seconds=$2 i
  shift 2
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then pass "$desc"; return 0; fi
    sleep 0.2
  done
  fail "$desc (not within ${seconds}s)"
  return 0
}
start() {  # start NAME COMMAND...: in the background, logs in $T/NAME.log, killed at exit
  local name=$1
  shift
  "$@" >"$T/$name.out" 2>"$T/$name.log" &
  eval "pid_$name=$!"
  defer "kill $! 2>/dev/null; wait $! 2>/dev/null"
}

# ---- the node, the servers that count, the data ---------------------------------------------
ss_port=$(free_port)
start ss ss-server -s 127.0.0.1 -p "$ss_port" -k node-secret-0123 -m chacha20-ietf-poly1305
sink_port=$(free_port)
start sink python3 "$TRAFFIC" sink "$sink_port" "$T/sink.count"
src5_port=$(free_port)
start src5 python3 "$TRAFFIC" source "$src5_port" 5000000
src_big_port=$(free_port)
start src_big python3 "$TRAFFIC" source "$src_big_port" 50000000
check "ss-server and the counting servers listen" -- wait_port "$ss_port"
wait_port "$sink_port" && wait_port "$src5_port" && wait_port "$src_big_port"

"$HTTVPS" plan create exact >/dev/null
"$HTTVPS" plan create small --data-limit 2000000 --reset-strategy month >/dev/null
"$HTTVPS" plan create slow --speed-limit 16mbit >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port "$ss_port" --method chacha20-ietf-poly1305 \
  --usage-multiplier 2 >/dev/null
printf 'node-secret-0123\n' | "$HTTVPS" node set-secret fra-1 --secret-stdin >/dev/null
for u in alice:exact carol:small dave:slow; do
  "$HTTVPS" user create "${u%%:*}" --plan "${u##*:}" --region eu >/dev/null
done
"$HTTVPS" -o json gateway add gw-usage | jq -r .credential >"$T/gateway-credential"
node_id=$(q "SELECT id FROM nodes WHERE name = 'fra-1'")

# ---- the gateway --------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
gw_port=$(free_port)
admin_port=$(free_port)
gateway_config() {  # gateway_config USAGE_INTERVAL_MS
  cat >"$T/gateway.toml" <<EOF
[log]
level = "info"
format = "json"
[gateway]
name = "gw-usage"
listen = "127.0.0.1:$gw_port"
tls_cert = "$T/cert.pem"
tls_key = "$T/key.pem"
admin_listen = "127.0.0.1:$admin_port"
control_url = "$base"
credential_file = "$T/gateway-credential"
spool_dir = "$T/spool"
usage_interval_ms = $1
heartbeat_seconds = 1
heartbeat_page = 1
revalidate_seconds = 2
threads = 2
drain_seconds = 5
EOF
}
start_gateway() {
  "$GATEWAY" --config "$T/gateway.toml" >>"$T/gateway.out" 2>>"$T/gateway.log" &
  pid_gateway=$!
  defer "kill $pid_gateway 2>/dev/null; wait $pid_gateway 2>/dev/null"
  wait_port "$gw_port"
}
gateway_config 300
check "the gateway starts with its spool and meter file" -- start_gateway
check "the meter file is in the spool directory" -- test -s "$T/spool/meters.bin"
pin=$("$GATEWAY" --config "$T/gateway.toml" --print-pin)
metric() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# metric_is NAME OP VALUE: a test of the metric's value now (for wait_for, which retries).
metric_is() { test "$(metric "$1")" "$2" "$3"; }

# One client per user, with forwards to the counting servers.
client_for() {  # client_for USER: sets PORTS to the local ports "UP DOWN5 DOWNBIG"
  local user=$1 token up d5 dbig
  token=$("$ISSUE_KEY" -o json --user "$user" --device laptop | jq -r .gateway_token)
  echo "httvps://$token@127.0.0.1:$gw_port/tunnel?security=tls&pin=$pin" >"$T/$user.uri"
  up=$(free_port); d5=$(free_port); dbig=$(free_port)
  start "client_$user" "$CLIENT" --uri-file "$T/$user.uri" --forward "127.0.0.1:$up=127.0.0.1:$sink_port" \
    --forward "127.0.0.1:$d5=127.0.0.1:$src5_port" --forward "127.0.0.1:$dbig=127.0.0.1:$src_big_port"
  # Listening is checked without connecting: a connection to a forward would be a stream,
  # and the source servers would send real bytes through it.
  wait_listen "$up" && wait_listen "$d5" && wait_listen "$dbig"
  PORTS="$up $d5 $dbig"
}
client_for alice
read -r a_up a_d5 a_big <<<"$PORTS"
alice_dev=$(q "SELECT d.id FROM devices d JOIN users u ON u.id = d.user_id WHERE u.username = 'alice'")
rec_sum() {  # rec_sum USER COLUMN: what the control plane has stored for USER
  q "SELECT coalesce(sum(r.$2), 0) FROM usage_records r JOIN devices d ON d.id = r.device_id
      JOIN users u ON u.id = d.user_id WHERE u.username = '$1'"
}
sink_count() { cat "$T/sink.count"; }
stored_is() { [ "$(rec_sum "$1" "$2")" = "$3" ]; }

# ---- 1. exactness -------------------------------------------------------------------------
expect_eq "3,000,000 bytes go up through the tunnel" 3000000 "$(python3 "$TRAFFIC" upload "$a_up" 3000000)"
expect_eq "5,000,000 bytes come down" 5000000 "$(python3 "$TRAFFIC" download "$a_d5")"
sink_is() { test "$(sink_count)" = "$1"; }
wait_for "the sink counted every byte" 20 sink_is 3000000
wait_for "the control plane stored exactly 3,000,000 bytes up for alice" 20 stored_is alice upload_bytes 3000000
wait_for "and exactly 5,000,000 down" 20 stored_is alice download_bytes 5000000
expect_eq "every record names the node and the session" "0" \
  "$(q "SELECT count(*) FROM usage_records WHERE device_id = $alice_dev AND (node_id IS DISTINCT FROM $node_id OR session_key NOT LIKE 'gw-usage-%')")"
live_session() {
  test "$(q "SELECT count(*) FROM sessions WHERE device_id = $alice_dev AND ended_at IS NULL AND client_addr = '127.0.0.1'")" = 1
}
wait_for "the heartbeat recorded alice's live session" 10 live_session
expect_eq "batches are numbered per gateway, each stored once" \
  "$(q "SELECT count(*) FROM usage_batches")" "$(q "SELECT count(DISTINCT batch_seq) FROM usage_batches")"

expect_exit 0 "aggregate-usage runs" -- "$AGGREGATE" -o json
expect_eq "the subscription shows exactly those bytes, billed at the node's 2x" "3000000 5000000 16000000" \
  "$(q "SELECT s.upload_bytes || ' ' || s.download_bytes || ' ' || s.used_bytes FROM subscriptions s
         JOIN users u ON u.id = s.user_id WHERE u.username = 'alice'")"
for scope in "device $alice_dev" "user $(q "SELECT id FROM users WHERE username = 'alice'")" "node $node_id"; do
  set -- $scope
  for g in hour day; do
    expect_eq "the $g rollups of the $1 add up to the same bytes" "3000000 5000000 16000000" \
      "$(q "SELECT sum(upload_bytes) || ' ' || sum(download_bytes) || ' ' || sum(billed_bytes) FROM usage_rollups
             WHERE granularity = '$g' AND scope = '$1' AND scope_id = $2")"
  done
done
expect_exit 0 "a second run finds nothing new" -- "$AGGREGATE" -o json
expect_eq "and changes nothing" "16000000" \
  "$(q "SELECT sum(billed_bytes) FROM usage_rollups WHERE granularity = 'day' AND scope = 'node'")"

# ---- 2. the quota at the byte -------------------------------------------------------------
client_for carol
read -r c_up c_d5 c_big <<<"$PORTS"
got=$(python3 "$TRAFFIC" download "$c_big")
# 2,000,000 billed bytes at 2x: 1,000,000 bytes may cross. The gateway stops at that byte;
# "within one frame" leaves room for one 64 KiB DATA frame.
if [ "$got" -le 1000000 ] && [ "$got" -ge $((1000000 - 65536)) ]; then
  pass "a 50 MB download stops at the quota ($got of 1,000,000 bytes allowed)"
else
  fail "a 50 MB download stops at the quota: got $got bytes, 1,000,000 allowed"
fi
wait_for "the metrics count the connection ended at the quota" 10 metric_is httvps_gateway_quota_exhausted_total -ge 1
wait_for "the control plane stored exactly the 1,000,000 bytes the quota allowed" 20 stored_is carol download_bytes 1000000
expect_exit 0 "aggregate-usage runs" -- "$AGGREGATE" -o json
expect_eq "carol is limited now" limited "$(q "SELECT status FROM users WHERE username = 'carol'")"
expect_exit 1 "the next HELLO is refused" -- "$CLIENT" --check --uri-file "$T/carol.uri" -o json
expect_eq "with the reason quota" quota "$(jq -r .reason <<<"$OUT")"

# ---- 3. the speed limit -------------------------------------------------------------------
client_for dave
read -r d_up d_d5 d_big <<<"$PORTS"
t0=$(date +%s.%N)
dave_got=$(python3 "$TRAFFIC" download "$d_d5")
t1=$(date +%s.%N)
expect_eq "dave's download completes" 5000000 "$dave_got"
# 16 Mbit/s is 2,000,000 bytes/s: 5,000,000 bytes need at least 2.45 s after a
# 100,000-byte burst. Only this lower bound is checked: a token bucket cannot be beaten,
# while a busy machine can always be slower.
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
if awk -v s="$secs" 'BEGIN { exit !(s >= 2.4) }'; then
  pass "the plan's 16 Mbit/s paces it (${secs}s for 5 MB)"
else
  fail "the plan's 16 Mbit/s paces it: 5 MB took only ${secs}s"
fi
check "streams waited for the bucket" -- test "$(metric httvps_gateway_speed_waits_total)" -gt 0
# The client learns its limits from WELCOME, and a change from the LIMITS frame the gateway
# sends after each re-validation (every 2 s here).
expect_exit 0 "--check shows the limits WELCOME gave" -- "$CLIENT" --check --uri-file "$T/dave.uri" -o json
expect_eq "dave's speed limit and no data limit" "16000000 null" \
  "$(jq -r '"\(.limits.speed_limit_bps) \(.limits.bytes_remaining)"' <<<"$OUT")"
"$HTTVPS" plan update slow --speed-limit 32mbit >/dev/null
dave_limits_changed() { grep '"the gateway changed this device' "$T/client_dave.log" | grep -q '"speed_limit_bps":32000000'; }
wait_for "a LIMITS frame tells dave's running client the new speed limit" 15 dave_limits_changed
# With one session a heartbeat page (heartbeat_page = 1), alice's and dave's live sessions
# arrive in two pages of one round, and the round's last page ended carol's.
two_pages_one_round() {
  test "$(q "SELECT count(*) || ' ' || count(DISTINCT heartbeat_round) || ' ' || bool_and(heartbeat_round LIKE 'r%')
               FROM sessions WHERE ended_at IS NULL")" = "2 1 true"
}
wait_for "a heartbeat in pages records the two live sessions under one round" 10 two_pages_one_round

# ---- 4. kill -9 mid-transfer ----------------------------------------------------------------
# A slow reporter (60 s) so that this transfer is only in the meter file when the
# gateway dies; the upload runs at full speed and the gateway is killed once 8 MB arrived.
before_up=$(rec_sum alice upload_bytes)
before_sink=$(sink_count)
kill -TERM "$pid_gateway"; wait "$pid_gateway" 2>/dev/null || true
gateway_config 60000
start_gateway
expect_eq "alice's client reconnects to the restarted gateway" 5000000 "$(python3 "$TRAFFIC" download "$a_d5")"
before_up=$(rec_sum alice upload_bytes)
python3 "$TRAFFIC" upload "$a_up" 400000000 >/dev/null 2>&1 &
up_pid=$!
sink_grew() { [ "$(sink_count)" -gt $((before_sink + 8000000)) ]; }
wait_for "the upload is under way (8 MB at the sink)" 60 sink_grew
kill -9 "$pid_gateway"
wait "$up_pid" 2>/dev/null || true
sink_settled() {
  local a
  a=$(sink_count)
  sleep 0.5
  [ "$a" = "$(sink_count)" ] && [ "$a" -gt "$before_sink" ]
}
wait_for "the sink settles after the crash" 10 sink_settled
crossed=$(( $(sink_count) - before_sink ))
gateway_config 300
start_gateway
# The reporter thread recovers the meter file after the listener is up: wait for its line.
recovered_logged() { grep -q "recovered usage metered before a crash" "$T/gateway.log"; }
wait_for "the restart recovers what the meter file held" 20 recovered_logged
grep -E "recovered|listening|replay|stopped|draining|spool" "$T/gateway.log" | cut -c1-300 >&2
# Stored must equal what crossed, except bytes the gateway had counted into its own
# buffers (at most one 64 KiB Shadowsocks seal batch of the stream) when it died.
in_bounds() {
  local stored
  stored=$(( $(rec_sum alice upload_bytes) - before_up ))
  [ "$stored" -ge "$crossed" ] && [ "$stored" -le $((crossed + 65536)) ]
}
wait_for "after kill -9 the stored upload equals the $crossed bytes that crossed (up to one seal batch)" 30 in_bounds
echo "# crossed $crossed, stored $(( $(rec_sum alice upload_bytes) - before_up ))" >&2
q "SELECT b.batch_seq, b.received_at, r.session_key, r.node_id, r.upload_bytes, r.download_bytes FROM usage_records r JOIN usage_batches b ON b.id = r.batch_id ORDER BY r.id" >&2
grep -i "recovered\|replay\|spool" "$T/gateway.log" >&2
sleep 1
stored_after=$(( $(rec_sum alice upload_bytes) - before_up ))
sleep 1.5
expect_eq "and nothing arrives twice" "$stored_after" "$(( $(rec_sum alice upload_bytes) - before_up ))"

# ---- 5. PostgreSQL stopped during traffic, and a kill -9 while batches wait -----------------
# A download first: alice's client is connected to the new gateway and its answer cached.
expect_eq "alice's client works through the restarted gateway" 5000000 "$(python3 "$TRAFFIC" download "$a_d5")"
before_up=$(rec_sum alice upload_bytes)
"$HTTVPS_SOURCE_DIR/ci/pg-cluster.sh" stop "$pg_dir" >/dev/null
expect_eq "2,000,000 bytes go up while the database is down" 2000000 "$(python3 "$TRAFFIC" upload "$a_up" 2000000)"
wait_for "the batches wait in the spool" 10 metric_is httvps_gateway_spool_pending_batches -gt 0
kill -9 "$pid_gateway"
start_gateway
"$HTTVPS_SOURCE_DIR/ci/pg-cluster.sh" start "$pg_dir" --fast >/dev/null
wait_for "once the database is back the spool replays: exactly 2,000,000 more bytes" 30 \
  stored_is alice upload_bytes $((before_up + 2000000))
wait_for "the spool is empty again" 10 metric_is httvps_gateway_spool_pending_batches = 0

# ---- 6. re-validation ends an open connection ----------------------------------------------
# dave's client reconnects lazily after the restarts: a download makes sure it is connected.
expect_eq "dave's client is connected" 5000000 "$(python3 "$TRAFFIC" download "$d_d5")"
ended_before=$(metric httvps_gateway_access_ended_total)
"$ISSUE_KEY" --revoke dave/laptop >/dev/null
wait_for "revoking dave's device ends his open connection at the next re-validation" 15 \
  metric_is httvps_gateway_access_ended_total -gt "$ended_before"
expect_contains "the gateway says why" '"reason":"device_revoked"' "$(grep '"access ended"' "$T/gateway.log" | tail -1)"
expect_eq "and nothing more goes through for him" 0 "$(python3 "$TRAFFIC" download "$d_d5")"

# ---- 7. two aggregate-usage runs at once ----------------------------------------------------
"$AGGREGATE" -o json >"$T/agg1.json" 2>"$T/agg1.log" &
agg1=$!
"$AGGREGATE" -o json >"$T/agg2.json" 2>"$T/agg2.log" &
agg2=$!
check "the first concurrent run succeeds" -- wait "$agg1"
check "the second concurrent run succeeds" -- wait "$agg2"
expect_eq "no batch is left unaggregated" 0 "$(q "SELECT count(*) FROM usage_batches WHERE aggregated_at IS NULL")"
for u in alice carol dave; do
  raw=$(q "SELECT coalesce(sum(r.upload_bytes), 0) || ' ' || coalesce(sum(r.download_bytes), 0) FROM usage_records r
             JOIN devices d ON d.id = r.device_id JOIN users x ON x.id = d.user_id WHERE x.username = '$u'")
  expect_eq "$u's subscription equals every stored record, counted once" "$raw" \
    "$(q "SELECT s.upload_bytes || ' ' || s.download_bytes FROM subscriptions s JOIN users x ON x.id = s.user_id
           WHERE x.username = '$u'")"
  expect_eq "$u's daily user rollups equal the same records" "$raw" \
    "$(q "SELECT coalesce(sum(upload_bytes), 0) || ' ' || coalesce(sum(download_bytes), 0) FROM usage_rollups
           WHERE granularity = 'day' AND scope = 'user' AND scope_id = (SELECT id FROM users WHERE username = '$u')")"
done
expect_not_contains "no credential or token in the gateway's log" "htg_" "$(cat "$T/gateway.log")"
expect_not_contains "no device token in the gateway's log" "htv_" "$(cat "$T/gateway.log")"

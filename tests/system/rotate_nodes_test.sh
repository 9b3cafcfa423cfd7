#!/usr/bin/env bash
# rotate-nodes through real processes (docs/nodes.md): three ss-server nodes in two regions
# (kill one: its devices move within the region, validate-device stops offering it, a tunnel
# through httvps-gateway works; bring it back: up after up_after good runs; a region with no
# node is reported), a real ss-manager (a device's ss:// key works after a run and is
# refused after revoke or while its user is limited; its port's traffic counter becomes the
# device's usage exactly once; the gateway secret rotates under a live transfer that completes), a
# real v2ray running the rendered vless config with a v2ray client built from the device's
# vless:// link, --dry-run, and two runs at once doing the work once.
source "$(dirname "$0")/lib.sh"
WEB_NAME=rotate_nodes_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL
ROTATE=$HTTVPS_BIN_DIR/rotate-nodes
ISSUE_KEY=$HTTVPS_BIN_DIR/issue-key
VALIDATE=$HTTVPS_BIN_DIR/validate-device
GATEWAY=$HTTVPS_BIN_DIR/httvps-gateway
CLIENT=$HTTVPS_BIN_DIR/httvps-client
PROBE=$HTTVPS_BIN_DIR/ss_manager_probe
T=$TEST_TMP
for tool in ss-server ss-manager ss-local v2ray; do
  command -v "$tool" >/dev/null || { fail "$tool is installed"; exit 1; }
done

# start NAME CMD...: in the background, logs in $T/NAME.log, stopped at exit; pid in pid_NAME.
start() {
  local name=$1
  shift
  "$@" >"$T/$name.log" 2>&1 &
  eval "pid_$name=$!"
  defer "kill $! 2>/dev/null; wait $! 2>/dev/null"
}
stop() { local p; p=$(eval echo "\$pid_$1"); kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; }
node_field() { "$HTTVPS" -o json node show "$1" | jq -r ".$2"; }
rotate() { "$ROTATE" -o json "$@" 2>"$T/rotate.err"; }
devices_on() { sql "SELECT count(*) FROM devices WHERE status = 'active' AND node_id = (SELECT id FROM nodes WHERE name = '$1')"; }

# --- Content (also the canary) and three Shadowsocks nodes: eu-1, eu-2 in eu; us-1 in us.
mkdir -p "$T/www"
echo "canary page" >"$T/www/index.html"
head -c 12000000 /dev/urandom >"$T/www/big.bin"
big_sha=$(sha256sum "$T/www/big.bin" | cut -d' ' -f1)
http_port=$(free_port)
start http python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$T/www"
M=chacha20-ietf-poly1305
p_eu1=$(free_port); p_eu2=$(free_port); p_us1=$(free_port)
start eu1 ss-server -s 127.0.0.1 -p "$p_eu1" -k secret-eu1-0123 -m $M
start eu2 ss-server -s 127.0.0.1 -p "$p_eu2" -k secret-eu2-0123 -m $M
start us1 ss-server -s 127.0.0.1 -p "$p_us1" -k secret-us1-0123 -m $M
wait_port "$http_port" && wait_port "$p_eu1" && wait_port "$p_eu2" && wait_port "$p_us1"

cat >>"$config" <<EOF

[nodes]
canary = "127.0.0.1:$http_port"
probe_timeout_ms = 1500
down_after = 1
up_after = 2
port_span = 20
vless_config_dir = "$T/v2ray"
vless_listen = "127.0.0.1"
EOF

"$HTTVPS" plan create basic --data-limit 10GB --duration 30d --device-limit 5 >/dev/null
for r in eu us mgr vl; do "$HTTVPS" region create $r >/dev/null; done
mk_node() {  # NAME REGION PORT SECRET
  "$HTTVPS" node create "$1" --region "$2" --host 127.0.0.1 --port "$3" --method $M >/dev/null
  printf '%s\n' "$4" | "$HTTVPS" node set-secret "$1" --secret-stdin >/dev/null
}
mk_node eu-1 eu "$p_eu1" secret-eu1-0123
mk_node eu-2 eu "$p_eu2" secret-eu2-0123
mk_node us-1 us "$p_us1" secret-us1-0123
"$HTTVPS" user create alice --plan basic --region eu >/dev/null
"$HTTVPS" user create bob --plan basic --region us >/dev/null
for d in a b c d; do "$ISSUE_KEY" -o json --user alice --device "$d" >"$T/alice-$d.json"; done
"$ISSUE_KEY" -o json --user bob --device phone >/dev/null
token_a=$(jq -r .gateway_token "$T/alice-a.json")

# --- A first run: every node is probed through Shadowsocks to the canary and comes up.
expect_exit 0 "a first run succeeds" -- rotate
expect_eq "it saw three nodes up" "3" "$(jq -r '.health.up' <<<"$OUT")"
expect_eq "eu-1 is up" "up" "$(node_field eu-1 health)"
check "eu-1 has a latency" -- test "$(node_field eu-1 last_latency_ms)" != null
expect_eq "the devices of eu spread over both nodes" "2 2" "$(devices_on eu-1) $(devices_on eu-2)"
expect_eq "the run is recorded in job_runs" "ok" "$(sql "SELECT status FROM job_runs WHERE job = 'rotate-nodes' ORDER BY id DESC LIMIT 1")"

# A node whose secret is wrong fails the Shadowsocks probe although TCP connects.
printf 'not-the-secret\n' | "$HTTVPS" node set-secret us-1 --secret-stdin --overlap 0 >/dev/null
expect_exit 0 "a run with a wrong secret on us-1" -- rotate
expect_eq "us-1 is down: the request through it failed" "down" "$(node_field us-1 health)"
check "its error is recorded" -- test "$(node_field us-1 last_probe_error)" != null
expect_contains "a region with no node that can serve is reported in the summary" '"region":"us"' \
  "$(jq -c '.regions_without_serving_node' <<<"$OUT")"
expect_contains "and loudly on stderr" "region 'us' has no node that can serve" "$(cat "$T/rotate.err")"
expect_eq "and in the audit log" "1" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'region.no-healthy-node'")"
printf 'secret-us1-0123\n' | "$HTTVPS" node set-secret us-1 --secret-stdin --overlap 0 >/dev/null

# --- Kill eu-1: one run moves its devices to eu-2, validate-device stops offering it.
stop eu1
wait_closed "$p_eu1" || true
expect_exit 0 "--dry-run prints the plan" -- rotate --dry-run
expect_eq "the plan has eu-1 going down" "down" "$(jq -r '.health_changes[] | select(.node == "eu-1") | .to' <<<"$OUT")"
expect_eq "and two moves to eu-2" "2" "$(jq '[.moves[] | select(.to == "eu-2")] | length' <<<"$OUT")"
expect_eq "--dry-run changed nothing" "up 2" "$(node_field eu-1 health) $(devices_on eu-1)"
expect_exit 0 "a run after eu-1 died" -- rotate
expect_eq "eu-1 is down" "down" "$(node_field eu-1 health)"
expect_eq "all four devices of eu are on eu-2" "0 4" "$(devices_on eu-1) $(devices_on eu-2)"
expect_eq "the health change is audited with its evidence" "connect: Connection refused" \
  "$(sql "SELECT after->'probe'->>'error' FROM audit_log WHERE action = 'node.health' AND target_id = (SELECT id::text FROM nodes WHERE name = 'eu-1') ORDER BY id DESC LIMIT 1")"
expect_eq "each move is audited" "2" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'device.move' AND actor = 'job:rotate-nodes'")"
expect_exit 0 "validate-device allows alice's device" -- "$VALIDATE" -o json --token "$token_a"
expect_eq "and offers eu-2 alone" "eu-2" "$(jq -r '[.nodes[].name] | join(",")' <<<"$OUT")"
# Links follow the device: the subscription of every eu device now serves eu-2's address.
sub_ports=""
for d in a b c d; do
  sub_ports+="$(curl -sf "$(jq -r .links.subscription_url "$T/alice-$d.json")?format=outline" | jq -r .server_port) "
done
expect_eq "the subscriptions of all four devices name eu-2" "$p_eu2 $p_eu2 $p_eu2 $p_eu2 " "$sub_ports"

# The tunnel through the gateway works with eu-1 dead.
"$HTTVPS" -o json gateway add gw-test | jq -r .credential >"$T/gateway-credential"
gw_port=$(free_port)
cat >"$T/gateway.toml" <<EOF
[log]
format = "json"
[gateway]
name = "gw-test"
listen = "127.0.0.1:$gw_port"
admin_listen = ""
control_url = "$base"
credential_file = "$T/gateway-credential"
threads = 1
EOF
start gateway "$GATEWAY" --config "$T/gateway.toml"
check "the gateway listens" -- wait_port "$gw_port"
echo "httvps://$token_a@127.0.0.1:$gw_port/tunnel?security=none" >"$T/a.uri"
socks=$(free_port)
start client_a "$CLIENT" --uri-file "$T/a.uri" --socks "127.0.0.1:$socks"
wait_port "$socks" || true
expect_exit 0 "a page arrives through client, gateway and eu-2" -- \
  curl -sf --max-time 20 --socks5-hostname "127.0.0.1:$socks" "http://127.0.0.1:$http_port/index.html"
expect_eq "the page" "canary page" "$OUT"

# --- Bring eu-1 back: up after two good runs, and devices do not flap back.
start eu1 ss-server -s 127.0.0.1 -p "$p_eu1" -k secret-eu1-0123 -m $M
wait_port "$p_eu1" || true
rotate >/dev/null
expect_eq "one good probe is not enough" "down" "$(node_field eu-1 health)"
rotate >/dev/null
expect_eq "two good probes bring eu-1 up" "up" "$(node_field eu-1 health)"
expect_eq "devices stay where they are" "0 4" "$(devices_on eu-1) $(devices_on eu-2)"
"$HTTVPS" node drain eu-2 >/dev/null
expect_eq "node drain sets draining" "draining" "$(node_field eu-2 admin_state)"
rotate >/dev/null
expect_eq "a run moves every device off the drained node" "4 0" "$(devices_on eu-1) $(devices_on eu-2)"
"$HTTVPS" node enable eu-2 >/dev/null
expect_eq "node enable makes it active again" "active" "$(node_field eu-2 admin_state)"
"$HTTVPS" device create --user bob --name tablet --region us >/dev/null
expect_exit 0 "a run after a device was made without a node" -- rotate
expect_eq "gives it the region's node" "no node us-1" \
  "$(jq -r '.moves[] | select(.from == null) | "\(.reason) \(.to)"' <<<"$OUT")"
expect_exit 0 "node show lists the devices on eu-1" -- "$HTTVPS" -o json node show eu-1
expect_eq "with their owners" "alice alice alice alice" "$(jq -r '[.assignments[].user] | join(" ")' <<<"$OUT")"
expect_exit 0 "region show lists its nodes with health and load" -- "$HTTVPS" -o json region show eu
expect_eq "eu's nodes" "eu-1:up:4 eu-2:up:0" "$(jq -r '[.region_nodes[] | "\(.name):\(.health):\(.devices)"] | join(" ")' <<<"$OUT")"

# --- ss-manager: per-device keys and the gateway secret on their own ports.
mport=$(free_port)
mkdir -p "$T/ssm"
start ssm ss-manager --manager-address "127.0.0.1:$mport" --executable "$(command -v ss-server)" -s 127.0.0.1 \
  -m $M -D "$T/ssm" -t 10
defer "for p in '$T/ssm'/.shadowsocks_*.pid; do [ -f \"\$p\" ] && kill \$(cat \"\$p\"); done"
for _ in $(seq 1 50); do "$PROBE" "127.0.0.1:$mport" ping >/dev/null 2>&1 && break; sleep 0.1; done
base_port=$(free_port)
"$HTTVPS" node create m-1 --region mgr --host 127.0.0.1 --port "$base_port" --method $M >/dev/null
printf '127.0.0.1:%s\n' "$mport" | "$HTTVPS" node set-manager m-1 >/dev/null
expect_eq "node show says m-1 is managed" "true" "$(node_field m-1 managed)"
"$HTTVPS" user create carol --plan basic --region mgr >/dev/null
"$ISSUE_KEY" -o json --user carol --device laptop >"$T/carol.json"
ss_link=$(jq -r .links.ss_link "$T/carol.json")
"$HTTVPS" -o json link parse "$ss_link" >"$T/carol-link.json"
c_port=$(jq -r .port "$T/carol-link.json")
check "issue-key gave carol's key a port of its own above the node's" -- test "$c_port" -gt "$base_port"
expect_exit 0 "a run with secret rotation on gives m-1 a gateway secret and carol's key" -- \
  rotate --set nodes.secret_rotation_days=30
expect_eq "one rotation (m-1's first secret)" "m-1" "$(jq -r '[.rotations[].node] | join(",")' <<<"$OUT")"
expect_contains "nodes without ss-manager are reported as not rotatable" '"node":"eu-1"' "$(jq -c .not_rotatable <<<"$OUT")"
wait_port "$c_port" || true
c_socks=$(free_port)
start carol ss-local -s 127.0.0.1 -p "$c_port" -k "$(jq -r .password "$T/carol-link.json")" \
  -m "$(jq -r .method "$T/carol-link.json")" -b 127.0.0.1 -l "$c_socks"
wait_port "$c_socks" || true
expect_exit 0 "ss-local with carol's ss:// link fetches a page through the managed node" -- \
  curl -sf --max-time 10 --socks5-hostname "127.0.0.1:$c_socks" "http://127.0.0.1:$http_port/index.html"

# --- Direct usage: ss-manager's counter of carol's port becomes her usage, exactly once.
expect_exit 0 "carol downloads 12 MB straight through m-1" -- \
  curl -sf --max-time 60 --socks5-hostname "127.0.0.1:$c_socks" "http://127.0.0.1:$http_port/big.bin" -o "$T/carol.got"
# ss-server reports its counters to ss-manager every few seconds: wait until carol's port
# shows the download, and until the count stands still.
carol_counter() { "$PROBE" "127.0.0.1:$mport" ping | jq -r --arg p "$c_port" '.[$p] // 0'; }
counter=0
for _ in $(seq 1 60); do
  counter=$(carol_counter)
  if [ "$counter" -ge 12000000 ]; then
    sleep 1
    [ "$(carol_counter)" = "$counter" ] && break
  fi
  sleep 0.5
done
check "ss-manager counts carol's download on her port ($counter bytes)" -- test "$counter" -ge 12000000
direct_bytes() {
  sql "SELECT coalesce(sum(r.upload_bytes + r.download_bytes), 0) FROM usage_records r
         JOIN usage_batches b ON b.id = r.batch_id
        WHERE b.node_id = (SELECT id FROM nodes WHERE name = 'm-1') AND b.gateway_id IS NULL
          AND r.device_id = (SELECT id FROM devices WHERE name = 'laptop' AND user_id = (SELECT id FROM users WHERE username = 'carol'))"
}
expect_exit 0 "a run dry-run reports carol's direct usage without recording it" -- rotate --dry-run
expect_eq "the plan holds m-1's counter" "$counter false" \
  "$(jq -r '.direct_usage[] | select(.node == "m-1") | "\(.bytes) \(.recorded)"' <<<"$OUT")"
expect_eq "and nothing is recorded" "0" "$(direct_bytes)"
expect_exit 0 "a run reads m-1's counters" -- rotate
expect_eq "it records carol's bytes from the counter, all of them" "$counter" \
  "$(jq -r '.direct_usage[] | select(.node == "m-1") | .bytes' <<<"$OUT")"
expect_eq "as usage of carol's device from m-1, with no gateway" "$counter" "$(direct_bytes)"
expect_eq "under a batch of the node" "1" "$(sql "SELECT count(*) FROM usage_batches WHERE node_id IS NOT NULL")"
expect_eq "and moves the stored counter on" "$counter" "$(sql "SELECT bytes FROM node_port_counters WHERE port = $c_port")"

expect_exit 0 "a second run changes nothing on m-1" -- rotate
expect_eq "no key changes" "[]" "$(jq -c '[.keys[] | select(.node == "m-1")]' <<<"$OUT")"
expect_eq "and counts nothing twice" "[] $counter" "$(jq -c '[.direct_usage[] | select(.node == "m-1")]' <<<"$OUT") $(direct_bytes)"
expect_exit 0 "aggregate-usage takes the node's batch" -- "$HTTVPS_BIN_DIR/aggregate-usage" -o json
expect_eq "carol's subscription holds her direct usage (m-1 bills x1)" "$counter" \
  "$(sql "SELECT used_bytes FROM subscriptions WHERE user_id = (SELECT id FROM users WHERE username = 'carol')")"

# A user who is no longer active loses the keys on the nodes at the next run, and gets them
# back when active again.
# expect_carol_cut WHY: a run removes carol's port from m-1, and her key is refused.
expect_carol_cut() {
  local code=0
  expect_exit 0 "a run after $1" -- rotate
  expect_eq "removes carol's port" "[$c_port]" "$(jq -c '.keys[] | select(.node == "m-1") | .remove_ports' <<<"$OUT")"
  wait_closed "$c_port" || true
  curl -sf --max-time 5 --socks5-hostname "127.0.0.1:$c_socks" "http://127.0.0.1:$http_port/index.html" >/dev/null 2>&1 ||
    code=$?
  check "carol's key is refused after $1" -- test "$code" -ne 0
}
sql "UPDATE users SET status = 'limited' WHERE username = 'carol'" >/dev/null
expect_carol_cut "carol was limited"
sql "UPDATE users SET status = 'active' WHERE username = 'carol'" >/dev/null
expect_exit 0 "a run after carol is active again" -- rotate
expect_eq "adds carol's port back" "[$c_port]" "$(jq -c '.keys[] | select(.node == "m-1") | .add_ports' <<<"$OUT")"
wait_port "$c_port" || true
expect_exit 0 "and her key works again" -- \
  curl -sf --max-time 10 --socks5-hostname "127.0.0.1:$c_socks" "http://127.0.0.1:$http_port/index.html"
"$ISSUE_KEY" --revoke carol/laptop >/dev/null
expect_carol_cut "carol's device was revoked"

# --- Secret rotation under a live transfer through the gateway.
"$HTTVPS" user create dave --plan basic --region mgr >/dev/null
token_d=$("$ISSUE_KEY" -o json --user dave --device pc | jq -r .gateway_token)
rotate >/dev/null
old_secret_port=$(sql "SELECT port FROM node_secrets WHERE node_id = (SELECT id FROM nodes WHERE name = 'm-1') AND retire_after IS NULL")
expect_exit 0 "validate-device allows dave" -- "$VALIDATE" -o json --token "$token_d"
expect_eq "and offers m-1 on its secret's port" "$old_secret_port" "$(jq -r '.nodes[0].port' <<<"$OUT")"
echo "httvps://$token_d@127.0.0.1:$gw_port/tunnel?security=none" >"$T/d.uri"
d_socks=$(free_port)
start client_d "$CLIENT" --uri-file "$T/d.uri" --socks "127.0.0.1:$d_socks"
wait_port "$d_socks" || true
curl -sf --max-time 60 --limit-rate 3M --socks5-hostname "127.0.0.1:$d_socks" "http://127.0.0.1:$http_port/big.bin" \
  -o "$T/big.got" &
transfer=$!
sleep 1
later=$(($(date +%s) + 40 * 86400))
expect_exit 0 "a run forty days later rotates m-1's secret during the transfer" -- \
  rotate --set nodes.secret_rotation_days=30 --now "$later"
new_secret_port=$(jq -r '.rotations[0].new_port' <<<"$OUT")
check "onto a new port" -- test "$new_secret_port" != "$old_secret_port" -a "$new_secret_port" != null
code=0
wait "$transfer" || code=$?
expect_eq "the transfer through the old secret completes" "0 $big_sha" "$code $(sha256sum "$T/big.got" | cut -d' ' -f1)"
expect_exit 0 "validate-device allows dave after the rotation" -- "$VALIDATE" -o json --token "$token_d"
expect_eq "and now hands out the new secret's port" "$new_secret_port" "$(jq -r '.nodes[0].port' <<<"$OUT")"
expect_eq "the old secret still works until retire_after" "1" \
  "$(sql "SELECT count(*) FROM node_secrets WHERE port = $old_secret_port AND retire_after > now()")"
sql "UPDATE node_secrets SET retire_after = created_at + interval '1 second' WHERE port = $old_secret_port" >/dev/null
expect_exit 0 "a run after the overlap" -- rotate
expect_eq "removes the old secret's port" "[$old_secret_port]" "$(jq -c '.keys[] | select(.node == "m-1") | .remove_ports' <<<"$OUT")"

# --- vless: the rendered config runs in v2ray; a client from the vless:// link fetches a page.
v_port=$(free_port)
"$HTTVPS" node create vl-1 --region vl --kind vless --host 127.0.0.1 --port "$v_port" >/dev/null
"$HTTVPS" user create erin --plan basic --region vl >/dev/null
vless_link=$("$ISSUE_KEY" -o json --user erin --device phone | jq -r .links.vless_link)
expect_exit 0 "a run renders vl-1's config" -- rotate
expect_eq "reporting erin's device as added" "1" "$(jq '[.vless_configs[] | select(.node == "vl-1") | .added[] | select(startswith("device-"))] | length' <<<"$OUT")"
expect_eq "the config is readable by its owner only (it holds device credentials)" "600" "$(stat -c %a "$T/v2ray/vl-1.json")"
expect_exit 0 "v2ray accepts the rendered config" -- v2ray -test -config "$T/v2ray/vl-1.json"
start v2ray v2ray -config "$T/v2ray/vl-1.json"
wait_port "$v_port" || true
expect_exit 0 "the next run probes vl-1 through VLESS" -- rotate
expect_eq "its probe went through VLESS to the canary" "null" "$(node_field vl-1 last_probe_error)"
rotate >/dev/null
expect_eq "vl-1 is up after two good probes" "up" "$(node_field vl-1 health)"
"$HTTVPS" -o json link parse "$vless_link" >"$T/vless.json"
vc_socks=$(free_port)
cat >"$T/v2ray-client.json" <<EOF
{"log": {"loglevel": "warning"},
 "inbounds": [{"listen": "127.0.0.1", "port": $vc_socks, "protocol": "socks", "settings": {"udp": false}}],
 "outbounds": [{"protocol": "vless", "settings": {"vnext": [{"address": "$(jq -r .host "$T/vless.json")",
   "port": $(jq -r .port "$T/vless.json"), "users": [{"id": "$(jq -r .uuid "$T/vless.json")", "encryption": "none"}]}]},
   "streamSettings": {"network": "tcp", "security": "none"}}]}
EOF
start v2ray_client v2ray -config "$T/v2ray-client.json"
wait_port "$vc_socks" || true
expect_exit 0 "a v2ray client built from erin's vless:// link fetches a page" -- \
  curl -sf --max-time 10 --socks5-hostname "127.0.0.1:$vc_socks" "http://127.0.0.1:$http_port/index.html"
"$ISSUE_KEY" --revoke erin/phone >/dev/null
expect_exit 0 "a run after erin's revoke" -- rotate
expect_eq "removes erin from vl-1's config" "1" "$(jq '[.vless_configs[] | select(.node == "vl-1") | .removed[]] | length' <<<"$OUT")"

# --- A node secret that no longer opens (a changed secrets.key) fails that node only.
mk_node bad-1 us "$p_us1" secret-us1-0123
sql "UPDATE node_secrets SET secret_sealed = 'v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE node_id = (SELECT id FROM nodes WHERE name = 'bad-1')" >/dev/null
expect_exit 0 "a run with a secret that does not open still finishes" -- rotate
expect_eq "that node is down" "down" "$(node_field bad-1 health)"
expect_eq "the others are up" "up up" "$(node_field us-1 health) $(node_field eu-1 health)"

# --- Two runs at once: one does the work, the other is skipped. A silent node makes runs slow.
silent=$(free_port)
start silent python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $silent)); s.listen(16); time.sleep(600)"
wait_port "$silent" || true
mk_node slow-1 us "$silent" secret-slow-0123
before=$(sql "SELECT count(*) FROM audit_log WHERE action = 'node.health'")
"$ROTATE" -o json >"$T/run1.json" 2>/dev/null &
r1=$!
"$ROTATE" -o json >"$T/run2.json" 2>/dev/null &
r2=$!
wait $r1; wait $r2
expect_eq "one run is ok and the other skipped" "ok skipped" \
  "$(jq -r .status "$T/run1.json" "$T/run2.json" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the slow node's health changed once" "1" \
  "$(($(sql "SELECT count(*) FROM audit_log WHERE action = 'node.health'") - before))"
expect_eq "job_runs has one skipped run" "1" "$(sql "SELECT count(*) FROM job_runs WHERE job = 'rotate-nodes' AND status = 'skipped'")"
expect_exit 0 "a run in text form with a textfile" -- "$ROTATE" --textfile "$T/rotate.prom"
expect_contains "prints its summary as key: value lines" "status:" "$OUT"
expect_eq "the textfile is readable for node_exporter" "644" "$(stat -c %a "$T/rotate.prom")"
expect_contains "the textfile has the regions gauge" 'httvps_job_regions_without_serving_node{job="rotate-nodes"}' "$(cat "$T/rotate.prom")"
expect_not_contains "no secret reaches the summary or stderr" "secret-eu1-0123" "$(cat "$T"/run1.json "$T"/run2.json "$T/rotate.err")"

#!/usr/bin/env bash
# bench/aggregate.sh: aggregate-usage over a large backlog, side by side with the floor
# measured in the same run on a copy of the same data: the plain single-statement rollup
# (INSERT … SELECT … GROUP BY) that computes the same hourly and daily rollups per device,
# user and node, and nothing else. Then an empty run.
#
#   bench/aggregate.sh                      10 million records, 100,000 devices
#   RECORDS=1000000 bench/aggregate.sh      a quicker look
#
# Environment (defaults in brackets):
#   HTTVPS_BIN_DIR   the binaries to measure [build/release/bin]
#   RECORDS          usage records to generate [10000000]
#   DEVICES          devices, two per user [100000]
#   BATCH_RECORDS    records per usage batch, as gateways send them (at most 5000) [5000]
#   BATCH_SIZE       aggregate-usage --batch-size [400, its default]
#   SPREAD           time: records arrive in time order, as gateways send them (each
#                    batch covers the next slice of the day); scattered: every batch
#                    covers the whole day again (the worst case for an incremental
#                    rollup: every transaction adds to nearly every rollup row) [time]
#
# aggregate-usage does more than the floor: it claims and marks batches, adds to sessions
# and subscriptions and checks limits, in transactions of BATCH_SIZE batches, so that it
# stays incremental and exactly once. The ratio is what that costs. Everything runs on
# this machine (PostgreSQL from ci/pg-cluster.sh with durable settings); figures vary
# between runs and machines: compare the rows of one run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${HTTVPS_BIN_DIR:-$root/build/release/bin}
RECORDS=${RECORDS:-10000000}
DEVICES=${DEVICES:-100000}
BATCH_RECORDS=${BATCH_RECORDS:-5000}
BATCH_SIZE=${BATCH_SIZE:-400}
SPREAD=${SPREAD:-time}
case "$SPREAD" in
  time) observed="(i - 1) * 86400 / $RECORDS" ;;
  scattered) observed="i % 86400" ;;
  *) echo "bench/aggregate.sh: SPREAD must be time or scattered" >&2; exit 2 ;;
esac

BENCH_NAME=bench/aggregate.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
[ -x "$BIN_DIR/aggregate-usage" ] || die "no aggregate-usage in $BIN_DIR (build it, or set HTTVPS_BIN_DIR)"

bench_init
bench_machine
echo "records:    $RECORDS for $DEVICES devices ($((DEVICES / 2)) users), $BATCH_RECORDS per batch, --batch-size $BATCH_SIZE, spread over one day: $SPREAD"
bench_cluster
psql_in() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d "$1" "${@:2}"; }
psql_in postgres -c "CREATE DATABASE agg"
url="host=$sock user=postgres dbname=agg"
HTTVPS_CONFIG= "$BIN_DIR/httvps" --database-url "$url" --log-level warn migrate up >/dev/null

now_ms() { date +%s%N | cut -b1-13; }
t0=$(now_ms)
psql_in agg <<SQL
INSERT INTO plans (name, data_limit_bytes, reset_strategy) VALUES ('bench', 1000000000000, 'month');
INSERT INTO regions (name) VALUES ('eu');
INSERT INTO nodes (region_id, name, kind, host, port, method, usage_multiplier)
  SELECT 1, 'n' || i, 'shadowsocks', '127.0.0.1', 8000 + i, 'aes-256-gcm', (ARRAY[1, 1.5, 2.25, 0.5])[i]
    FROM generate_series(1, 4) i;
INSERT INTO users (username) SELECT 'u' || i FROM generate_series(1, $DEVICES / 2) i;
-- In steady state every subscription has been evaluated: its next check is the next reset.
INSERT INTO subscriptions (user_id, plan_id, started_at, period_started_at, next_check_at)
  SELECT id, 1, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z' FROM users;
INSERT INTO devices (user_id, name) SELECT 1 + (i - 1) / 2, 'd' || i FROM generate_series(1, $DEVICES) i;
INSERT INTO gateways (name, credential_prefix, credential_hash)
  SELECT 'gw' || i, 'htg_bench' || i, repeat('0', 64) FROM generate_series(1, 4) i;
INSERT INTO usage_batches (gateway_id, batch_seq, record_count)
  SELECT 1 + b % 4, b, $BATCH_RECORDS FROM generate_series(1, ($RECORDS + $BATCH_RECORDS - 1) / $BATCH_RECORDS) b;
-- Devices report through their gateways over one day; a fifth of the records have no
-- node (the gateway's direct upstream).
INSERT INTO usage_records (batch_id, device_id, user_id, node_id, session_key, observed_at, upload_bytes, download_bytes)
  SELECT 1 + (i - 1) / $BATCH_RECORDS, d, 1 + (d - 1) / 2, CASE WHEN d % 5 = 0 THEN NULL ELSE 1 + d % 4 END,
         'gw' || (1 + d % 4) || '-' || d, timestamptz '2026-11-20T00:00:00Z' + ($observed) * interval '1 second',
         (i * 7919) % 65536, (i * 104729) % 1048576
    FROM generate_series(1::bigint, $RECORDS) i, LATERAL (SELECT 1 + (i * 7919) % $DEVICES AS d) x;
ANALYZE;
SQL
echo "generated:  $(( ($(now_ms) - t0) / 1000 )) s ($(psql_in agg -c "SELECT pg_size_pretty(pg_total_relation_size('usage_records'))") of records)"
psql_in postgres -c "CHECKPOINT"
psql_in postgres -c "CREATE DATABASE floor TEMPLATE agg"
psql_in floor -c "ANALYZE"

# The floor: the rollups alone, one statement, no claims, no sessions, no subscriptions.
t0=$(now_ms)
psql_in floor <<'SQL'
INSERT INTO usage_rollups (granularity, scope, scope_id, bucket, upload_bytes, download_bytes, billed_bytes)
SELECT g.granularity, k.scope, k.scope_id, g.bucket, sum(f.up), sum(f.down), sum(f.billed)
  FROM (SELECT date_trunc('hour', r.observed_at, 'UTC') AS hour, r.device_id, r.user_id, r.node_id,
               sum(r.upload_bytes) AS up, sum(r.download_bytes) AS down,
               sum(floor((r.upload_bytes + r.download_bytes) * coalesce(n.usage_multiplier, 1)))::bigint AS billed
          FROM usage_records r LEFT JOIN nodes n ON n.id = r.node_id
         GROUP BY 1, 2, 3, 4) f
 CROSS JOIN LATERAL (VALUES ('hour', f.hour), ('day', date_trunc('day', f.hour, 'UTC'))) AS g (granularity, bucket)
 CROSS JOIN LATERAL (VALUES ('device', f.device_id), ('user', f.user_id), ('node', f.node_id)) AS k (scope, scope_id)
 WHERE k.scope_id IS NOT NULL
 GROUP BY 1, 2, 3, 4;
SQL
floor_ms=$(($(now_ms) - t0))

t0=$(now_ms)
HTTVPS_CONFIG= "$BIN_DIR/aggregate-usage" --database-url "$url" --log-level warn --now 2026-11-21T00:30:00Z \
  --batch-size "$BATCH_SIZE" -o json >"$tmp/run.json"
agg_ms=$(($(now_ms) - t0))
same=$(psql_in postgres -c "SELECT 1" >/dev/null && \
  [ "$(psql_in agg -c "SELECT md5(string_agg(concat_ws(' ', granularity, scope, scope_id, bucket, upload_bytes, download_bytes, billed_bytes), '|' ORDER BY granularity, scope, scope_id, bucket)) FROM usage_rollups")" = \
    "$(psql_in floor -c "SELECT md5(string_agg(concat_ws(' ', granularity, scope, scope_id, bucket, upload_bytes, download_bytes, billed_bytes), '|' ORDER BY granularity, scope, scope_id, bucket)) FROM usage_rollups")" ] \
  && echo yes || echo NO)

t0=$(now_ms)
HTTVPS_CONFIG= "$BIN_DIR/aggregate-usage" --database-url "$url" --log-level warn --now 2026-11-21T00:30:00Z -o json >"$tmp/empty.json"
empty_ms=$(($(now_ms) - t0))

echo
printf '%-44s %10s\n' "" "seconds"
printf '%-44s %10.2f\n' "floor: INSERT … SELECT … GROUP BY (rollups)" "$(echo "$floor_ms / 1000" | bc -l)"
printf '%-44s %10.2f   %s batches, %s records\n' "aggregate-usage (everything, exactly once)" "$(echo "$agg_ms / 1000" | bc -l)" \
  "$(jq .batches "$tmp/run.json")" "$(jq .records "$tmp/run.json")"
printf '%-44s %10.2f\n' "ratio aggregate-usage / floor" "$(echo "$agg_ms / $floor_ms" | bc -l)"
printf '%-44s %10.3f   (%s s inside the job; the rest is process start and connect)\n' "an empty run afterwards" \
  "$(echo "$empty_ms / 1000" | bc -l)" "$(jq .duration_seconds "$tmp/empty.json")"
echo "rollups equal to the floor's: $same"

#!/usr/bin/env bash
# aggregate-usage as cron runs it: real processes on a real database. Two runs at once, and
# a run killed with SIGKILL mid-way and run again, give exactly the totals of one clean run;
# --now, --dry-run, the JSON summary, the job_runs row, the textfile, an empty run.
source "$(dirname "$0")/lib.sh"
AGG=$HTTVPS_BIN_DIR/aggregate-usage
fresh_db
base_db=$TEST_DB

# 50 users (half on a 16 MB monthly plan, half unlimited), 100 devices, 3 nodes with
# multipliers 1, 1.5 and 2.25, one gateway; 300 batches of 300 records over 5 days,
# a quarter of them without a node.
sql "
INSERT INTO plans (name, data_limit_bytes, reset_strategy) VALUES ('capped', 16000000, 'month'), ('open', NULL, 'month');
INSERT INTO regions (name) VALUES ('eu');
INSERT INTO nodes (region_id, name, kind, host, port, method, usage_multiplier)
  SELECT 1, 'n' || i, 'shadowsocks', '127.0.0.1', 8000 + i, 'aes-256-gcm', (ARRAY[1, 1.5, 2.25])[i] FROM generate_series(1, 3) i;
INSERT INTO users (username) SELECT 'u' || i FROM generate_series(1, 50) i;
INSERT INTO subscriptions (user_id, plan_id, started_at, period_started_at)
  SELECT id, 1 + id % 2, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z' FROM users;
INSERT INTO devices (user_id, name) SELECT 1 + (i - 1) % 50, 'd' || i FROM generate_series(1, 100) i;
INSERT INTO gateways (name, credential_prefix, credential_hash) VALUES ('gw', 'htg_test', repeat('0', 64));
INSERT INTO usage_batches (gateway_id, batch_seq, record_count) SELECT 1, b, 300 FROM generate_series(1, 300) b;
INSERT INTO usage_records (batch_id, device_id, user_id, node_id, session_key, observed_at, upload_bytes, download_bytes)
  SELECT b, x.d, 1 + (x.d - 1) % 50, CASE WHEN (b + r) % 4 = 0 THEN NULL ELSE 1 + (b + r) % 3 END, 's' || x.d,
         timestamptz '2026-11-20T00:00:00Z' + ((b * 300 + r) % 7200) * interval '1 minute',
         (b * 7 + r * 13) % 100000, (b * 11 + r * 17) % 200001
    FROM generate_series(1, 300) b, generate_series(1, 300) r, LATERAL (SELECT 1 + (b * 300 + r) % 100 AS d) x;
"

# Everything the job writes, as one digest.
digest() {
  psql -X -q -At -h "$HTTVPS_TEST_PGHOST" -U postgres -d "$1" -c "
  SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT format('r %s %s %s %s %s %s %s', granularity, scope, scope_id, bucket, upload_bytes, download_bytes, billed_bytes) AS x
      FROM usage_rollups
    UNION ALL SELECT format('s %s %s %s %s %s %s', user_id, used_bytes, upload_bytes, download_bytes, lifetime_used_bytes,
                            period_started_at) FROM subscriptions
    UNION ALL SELECT format('u %s %s', id, status) FROM users
    UNION ALL SELECT format('x %s %s %s %s %s', gateway_id, session_key, metered_upload_bytes, metered_download_bytes, billed_bytes)
      FROM sessions
    UNION ALL SELECT format('a %s %s', action, target_id) FROM audit_log WHERE actor = 'job:aggregate-usage'
    UNION ALL SELECT format('b %s', count(*)) FROM usage_batches WHERE aggregated_at IS NULL) t"
}
copy_db() {  # copy_db NAME: a copy of the seeded database
  psql -X -q -h "$HTTVPS_TEST_PGHOST" -U postgres -d postgres -c "CREATE DATABASE $1 TEMPLATE $base_db"
  defer "psql -X -q -h '$HTTVPS_TEST_PGHOST' -U postgres -d postgres -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)'"
}
url() { echo "host=$HTTVPS_TEST_PGHOST user=postgres dbname=$1"; }
NOW=2026-11-25T12:00:00Z
for c in clean twice killed dry; do copy_db "${base_db}_$c"; done

# The clean run, and what it must add up to: each record billed floor(bytes x multiplier).
expect_exit 0 "a clean run" -- "$AGG" --database-url "$(url "${base_db}_clean")" --now "$NOW" -o json --batch-size 7
expect_eq "it reports every batch and record" "300 90000" "$(jq -r '"\(.batches) \(.records)"' <<<"$OUT")"
want_billed=$(sql "SELECT sum(floor((r.upload_bytes + r.download_bytes) * coalesce(n.usage_multiplier, 1)))::bigint
                     FROM usage_records r LEFT JOIN nodes n ON n.id = r.node_id")
expect_eq "billed bytes are the per-record floors" "$want_billed" "$(jq -r .billed_bytes <<<"$OUT")"
TEST_DB=${base_db}_clean
expect_eq "the users' daily rollups add up to them" "$want_billed" \
  "$(sql "SELECT sum(billed_bytes) FROM usage_rollups WHERE granularity = 'day' AND scope = 'user'")"
expect_eq "and the subscriptions' periods too" "$want_billed" "$(sql "SELECT sum(used_bytes) FROM subscriptions")"
expect_eq "the capped users at their limit are limited" \
  "$(sql "SELECT count(*) FROM subscriptions WHERE plan_id = 1 AND used_bytes >= 16000000")" \
  "$(sql "SELECT count(*) FROM users WHERE status = 'limited'")"
check "some users are limited, so the transitions are part of the comparison" -- \
  test "$(sql "SELECT count(*) FROM users WHERE status = 'limited'")" -gt 0
expect_eq "the run is in job_runs" "ok|f|300" \
  "$(sql "SELECT status, dry_run, summary->>'batches' FROM job_runs WHERE job = 'aggregate-usage'")"
clean=$(digest "${base_db}_clean")

# Two runs at once, small transactions so that they interleave.
TEST_DB=${base_db}_twice
"$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" -o json --batch-size 2 >"$TEST_TMP/a.json" 2>"$TEST_TMP/a.err" &
pa=$!
"$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" -o json --batch-size 2 >"$TEST_TMP/b.json" 2>"$TEST_TMP/b.err" &
pb=$!
ca=0; wait $pa || ca=$?
cb=0; wait $pb || cb=$?
expect_eq "both concurrent runs succeed" "0 0" "$ca $cb"
expect_eq "together they aggregate every batch once" 300 "$(($(jq .batches "$TEST_TMP/a.json") + $(jq .batches "$TEST_TMP/b.json")))"
echo "# concurrent runs took $(jq .batches "$TEST_TMP/a.json") and $(jq .batches "$TEST_TMP/b.json") batches"
expect_eq "two concurrent runs give the totals of one clean run" "$clean" "$(digest "$TEST_DB")"

# SIGKILL in the middle of a run, then a run to the end.
TEST_DB=${base_db}_killed
"$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" --batch-size 1 >/dev/null 2>&1 &
pk=$!
for _ in $(seq 1 500); do
  [ "$(sql "SELECT count(*) FROM usage_batches WHERE aggregated_at IS NOT NULL")" -ge 20 ] && break
  sleep 0.01
done
kill -9 $pk 2>/dev/null || true
wait $pk 2>/dev/null || true
done_before=$(sql "SELECT count(*) FROM usage_batches WHERE aggregated_at IS NOT NULL")
echo "# killed after $done_before of 300 batches"
check "the run was killed mid-way" -- test "$done_before" -gt 0 -a "$done_before" -lt 300
expect_eq "the killed run's job_runs row stays 'running'" "running" \
  "$(sql "SELECT status FROM job_runs WHERE job = 'aggregate-usage' ORDER BY id LIMIT 1")"
expect_exit 0 "the next run finishes the work" -- "$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" -o json
expect_eq "a killed run and a rerun give the totals of one clean run" "$clean" "$(digest "$TEST_DB")"

# --dry-run: the same summary as the real run, nothing written but the job_runs row.
TEST_DB=${base_db}_dry
before=$(digest "$TEST_DB")
expect_exit 0 "a dry run" -- "$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" -o json --dry-run --batch-size 7
dry=$OUT
expect_eq "changes nothing" "$before" "$(digest "$TEST_DB")"
expect_eq "and says so" "true" "$(jq -r .dry_run <<<"$dry")"
expect_eq "the job_runs row says dry_run" "t" "$(sql "SELECT dry_run FROM job_runs ORDER BY id DESC LIMIT 1")"
expect_exit 0 "the real run after it" -- "$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" -o json --batch-size 7
strip='del(.run_id, .duration_seconds, .dry_run)'
expect_eq "the dry run reported what the real run did" "$(jq -c "$strip" <<<"$OUT")" "$(jq -c "$strip" <<<"$dry")"

# An empty run: milliseconds, a textfile for node_exporter, a text summary.
prom="$TEST_TMP/metrics/aggregate_usage.prom"
mkdir -p "$(dirname "$prom")"
expect_exit 0 "an empty run" -- "$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW" -o json --textfile "$prom"
expect_eq "finds nothing to do" "0 0" "$(jq -r '"\(.batches) \(.users_limited)"' <<<"$OUT")"
check "in well under 100 ms of work ($(jq -r .duration_seconds <<<"$OUT") s)" -- \
  jq -e '.duration_seconds < 0.1' <<<"$OUT" >/dev/null
check "the textfile has the job's gauges" -- grep -q '^httvps_job_status{job="aggregate-usage"} 0$' "$prom"
check "with the last success" -- grep -q '^httvps_job_last_success_timestamp_seconds{job="aggregate-usage"} ' "$prom"
check "and the backlog" -- grep -q '^httvps_job_usage_backlog_batches{job="aggregate-usage"} 0$' "$prom"
check "and no temporary file left" -- test "$(ls "$(dirname "$prom")")" = aggregate_usage.prom
expect_exit 0 "text output" -- "$AGG" --database-url "$(url "$TEST_DB")" --now "$NOW"
check "is key: value lines" -- grep -Eq '^batches: +0$' <<<"$OUT"
expect_exit 2 "a bad --now is a usage error" -- "$AGG" --database-url "$(url "$TEST_DB")" --now tomorrow
expect_contains "naming it" "--now" "$ERR"
expect_exit 2 "a bad --batch-size too" -- "$AGG" --database-url "$(url "$TEST_DB")" --batch-size 0
expect_exit 75 "no database is a temporary failure" -- "$AGG" --database-url "host=/nonexistent user=x dbname=x"

# Simulated time: the monthly reset re-enables the limited users.
TEST_DB=${base_db}_clean
limited=$(sql "SELECT count(*) FROM users WHERE status = 'limited'")
expect_exit 0 "a run at the next month" -- "$AGG" --database-url "$(url "$TEST_DB")" --now 2026-12-01T00:00:00Z -o json
expect_eq "re-enables every limited user" "$limited" "$(jq -r .users_re_enabled <<<"$OUT")"
expect_eq "resets every subscription" 50 "$(jq -r .users_reset <<<"$OUT")"
expect_eq "nobody is limited any more" 0 "$(sql "SELECT count(*) FROM users WHERE status = 'limited'")"
expect_eq "each transition is audited" "$limited" \
  "$(sql "SELECT count(*) FROM audit_log WHERE actor = 'job:aggregate-usage' AND action = 'subscription.re-enabled'")"

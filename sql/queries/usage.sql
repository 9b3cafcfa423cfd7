-- Usage accounting (issue 5): what gateways report (tools/core/usage/ingest.cpp), what
-- aggregate-usage does with it (tools/core/usage/aggregate.cpp), and the unaggregated
-- usage validate-device subtracts. The billing rule lives here, once per query that
-- needs it: billed = floor((upload + download) * the node's usage_multiplier), per
-- record, in exact numeric arithmetic; a record without a node (or whose node is gone)
-- has multiplier 1.

-- name: usage_batch_insert
-- The batch row; nothing when (gateway, batch_seq) is already stored.
INSERT INTO usage_batches (gateway_id, batch_seq, record_count)
VALUES ($1::bigint, $2::bigint, $3::integer)
ON CONFLICT (gateway_id, batch_seq) DO NOTHING
RETURNING id;

-- name: usage_batch_get
SELECT id, record_count, received_at, aggregated_at
  FROM usage_batches
 WHERE gateway_id = $1::bigint AND batch_seq = $2::bigint;

-- name: usage_records_insert
-- Every record of a validated batch in one statement ($2: records_for_insert()).
INSERT INTO usage_records (batch_id, device_id, user_id, node_id, session_key, observed_at, upload_bytes, download_bytes)
SELECT $1::bigint, x.device_id, x.user_id, x.node_id, x.session, to_timestamp(x.observed_at), x.upload, x.download
  FROM jsonb_to_recordset($2::jsonb)
       AS x(session text, device_id bigint, user_id bigint, node_id bigint, observed_at bigint, upload bigint,
            download bigint);

-- name: sessions_heartbeat_upsert
-- The gateway's live sessions ($2: sessions_for_upsert()) named by one page of heartbeat
-- round $3, in key order so that concurrent writers lock rows in one order. Sessions of
-- devices that no longer exist are skipped; a node that no longer exists is recorded as none.
INSERT INTO sessions (gateway_id, session_key, device_id, node_id, client_addr, started_at, last_seen_at,
                      upload_bytes, download_bytes, heartbeat_round)
SELECT $1::bigint, x.session, x.device_id, n.id, x.client_addr, to_timestamp(x.started_at), now(), x.upload, x.download,
       $3::text
  FROM jsonb_to_recordset($2::jsonb)
       AS x(session text, device_id bigint, node_id bigint, client_addr text, started_at bigint, upload bigint,
            download bigint)
  JOIN devices d ON d.id = x.device_id
  LEFT JOIN nodes n ON n.id = x.node_id
 ORDER BY x.session
ON CONFLICT (gateway_id, session_key) DO UPDATE
   SET client_addr = EXCLUDED.client_addr, started_at = EXCLUDED.started_at, last_seen_at = now(),
       ended_at = NULL, upload_bytes = EXCLUDED.upload_bytes, download_bytes = EXCLUDED.download_bytes,
       heartbeat_round = EXCLUDED.heartbeat_round;

-- name: sessions_end_unseen
-- The last page of round $2: open sessions of the gateway that no page of the round named
-- have ended.
UPDATE sessions s SET ended_at = now()
 WHERE s.gateway_id = $1::bigint AND s.ended_at IS NULL AND s.heartbeat_round IS DISTINCT FROM $2::text;

-- name: gateway_heartbeat
UPDATE gateways SET version = $2, last_heartbeat_at = now() WHERE id = $1::bigint;

-- name: user_unaggregated_billed
-- The user's ($1) billed bytes stored but not yet aggregated, observed at or after $2
-- (Unix seconds: the start of the current period). Reads only the records of batches at or
-- after the oldest unaggregated one (usage_records_user_batch_idx), so its cost follows
-- the backlog, not the retention.
SELECT coalesce(sum(floor((r.upload_bytes + r.download_bytes) * coalesce(n.usage_multiplier, 1))), 0)::bigint AS billed
  FROM usage_records r
  JOIN usage_batches b ON b.id = r.batch_id AND b.aggregated_at IS NULL
  LEFT JOIN nodes n ON n.id = r.node_id
 WHERE r.user_id = $1::bigint
   AND r.batch_id >= (SELECT coalesce(min(id), 9223372036854775807) FROM usage_batches WHERE aggregated_at IS NULL)
   AND r.observed_at >= to_timestamp($2);

-- ---- aggregate-usage (tools/core/usage/aggregate.cpp) ----

-- name: usage_backlog
-- Unaggregated batches (usage_batches_unaggregated_idx): the progress line's total.
SELECT count(*) AS batches FROM usage_batches WHERE aggregated_at IS NULL;

-- name: usage_set_statement_timeout
-- aggregate-usage's own bound for the statements of the current transaction (milliseconds
-- as text, '0' for none), instead of database.statement_timeout_ms meant for CGI requests.
SELECT set_config('statement_timeout', $1, true) AS statement_timeout;

-- name: usage_claim_batches
-- Claims up to $1 unaggregated batches, oldest first. Batches another run holds are
-- skipped, not waited for; a batch that commits late (ids are not committed in order) is
-- still unaggregated and the next claim takes it: there is no watermark to skip it.
SELECT id FROM usage_batches
 WHERE aggregated_at IS NULL
 ORDER BY id
 LIMIT $1::integer
   FOR UPDATE SKIP LOCKED;

-- name: usage_lock_subscriptions
-- Locks the subscriptions (and users) the claimed batches ($1) touch, in user order,
-- before they are updated; the status pass locks in the same order (usage_subscription_states),
-- so two runs never wait on each other in opposite orders.
SELECT s.user_id FROM subscriptions s
  JOIN users u ON u.id = s.user_id
 WHERE s.user_id IN (SELECT DISTINCT r.user_id FROM usage_records r WHERE r.batch_id = ANY($1::bigint[]))
 ORDER BY s.user_id
   FOR UPDATE OF s, u;

-- name: usage_aggregate_claimed
-- Rolls the claimed batches ($1) up: hourly and daily rollups per device, user and node,
-- the sessions' metered bytes, the subscriptions' period and lifetime bytes; marks the
-- batches aggregated. Records observed before the subscription's current period count
-- in the rollups and the lifetime total only. Upserts run in key order. Returns the
-- totals and the users now at or over their data limit while still active.
WITH fine AS MATERIALIZED (
  SELECT date_trunc('hour', r.observed_at, 'UTC') AS hour, r.device_id, r.user_id, r.node_id, n.id AS live_node_id,
         b.gateway_id, r.session_key,
         coalesce(r.observed_at >= coalesce(s.period_started_at, s.created_at), false) AS in_period,
         count(*) AS records, sum(r.upload_bytes) AS up, sum(r.download_bytes) AS down,
         sum(floor((r.upload_bytes + r.download_bytes) * coalesce(n.usage_multiplier, 1)))::bigint AS billed,
         min(r.observed_at) AS first_at, max(r.observed_at) AS last_at
    FROM usage_records r
    JOIN usage_batches b ON b.id = r.batch_id
    LEFT JOIN nodes n ON n.id = r.node_id
    LEFT JOIN subscriptions s ON s.user_id = r.user_id
   WHERE r.batch_id = ANY($1::bigint[])
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
),
rollups AS (
  INSERT INTO usage_rollups AS u (granularity, scope, scope_id, bucket, upload_bytes, download_bytes, billed_bytes)
  SELECT g.granularity, k.scope, k.scope_id, g.bucket, sum(f.up), sum(f.down), sum(f.billed)
    FROM fine f
   CROSS JOIN LATERAL (VALUES ('hour', f.hour), ('day', date_trunc('day', f.hour, 'UTC'))) AS g (granularity, bucket)
   CROSS JOIN LATERAL (VALUES ('device', f.device_id), ('user', f.user_id), ('node', f.node_id)) AS k (scope, scope_id)
   WHERE k.scope_id IS NOT NULL
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4
  ON CONFLICT (granularity, scope, scope_id, bucket) DO UPDATE
     SET upload_bytes = u.upload_bytes + EXCLUDED.upload_bytes,
         download_bytes = u.download_bytes + EXCLUDED.download_bytes,
         billed_bytes = u.billed_bytes + EXCLUDED.billed_bytes
  RETURNING 1
),
sess AS (
  INSERT INTO sessions AS s (gateway_id, session_key, device_id, node_id, started_at, last_seen_at, upload_bytes,
                             download_bytes, metered_upload_bytes, metered_download_bytes, billed_bytes)
  SELECT f.gateway_id, f.session_key, min(f.device_id), max(f.live_node_id), min(f.first_at), max(f.last_at),
         sum(f.up), sum(f.down), sum(f.up), sum(f.down), sum(f.billed)
    FROM fine f
    JOIN devices d ON d.id = f.device_id
   WHERE f.session_key IS NOT NULL
   GROUP BY f.gateway_id, f.session_key
   ORDER BY f.gateway_id, f.session_key
  ON CONFLICT (gateway_id, session_key) DO UPDATE
     SET metered_upload_bytes = s.metered_upload_bytes + EXCLUDED.metered_upload_bytes,
         metered_download_bytes = s.metered_download_bytes + EXCLUDED.metered_download_bytes,
         billed_bytes = s.billed_bytes + EXCLUDED.billed_bytes,
         started_at = least(s.started_at, EXCLUDED.started_at),
         last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
  RETURNING 1
),
per_user AS (
  SELECT f.user_id,
         coalesce(sum(f.billed) FILTER (WHERE f.in_period), 0) AS period_billed,
         coalesce(sum(f.up) FILTER (WHERE f.in_period), 0) AS period_up,
         coalesce(sum(f.down) FILTER (WHERE f.in_period), 0) AS period_down,
         sum(f.billed) AS billed
    FROM fine f
   WHERE f.user_id IS NOT NULL
   GROUP BY f.user_id
),
subs AS (
  UPDATE subscriptions s
     SET used_bytes = s.used_bytes + p.period_billed,
         upload_bytes = s.upload_bytes + p.period_up,
         download_bytes = s.download_bytes + p.period_down,
         lifetime_used_bytes = s.lifetime_used_bytes + p.billed,
         updated_at = now()
    FROM per_user p
   WHERE s.user_id = p.user_id
  RETURNING s.user_id, s.used_bytes, s.plan_id
),
marked AS (
  UPDATE usage_batches SET aggregated_at = now() WHERE id = ANY($1::bigint[]) RETURNING 1
)
SELECT (SELECT count(*) FROM marked) AS batches,
       (SELECT coalesce(sum(records), 0) FROM fine)::bigint AS records,
       (SELECT coalesce(sum(up), 0) FROM fine)::bigint AS upload_bytes,
       (SELECT coalesce(sum(down), 0) FROM fine)::bigint AS download_bytes,
       (SELECT coalesce(sum(billed), 0) FROM fine)::bigint AS billed_bytes,
       (SELECT count(*) FROM rollups) AS rollup_rows,
       (SELECT count(*) FROM sess) AS sessions,
       (SELECT count(*) FROM subs) AS subscriptions,
       (SELECT coalesce(jsonb_agg(x.user_id ORDER BY x.user_id), '[]'::jsonb)
          FROM subs x
          JOIN plans p ON p.id = x.plan_id
          JOIN users u ON u.id = x.user_id
         WHERE p.data_limit_bytes IS NOT NULL AND x.used_bytes >= p.data_limit_bytes AND u.status = 'active') AS at_limit;

-- name: usage_status_candidates
-- Subscriptions due for a status evaluation at $1 (Unix seconds), after user $2, in user
-- order, at most $3 (subscriptions_next_check_idx: an idle run reads two index ranges).
SELECT user_id FROM subscriptions
 WHERE (next_check_at IS NULL OR next_check_at <= to_timestamp($1)) AND user_id > $2::bigint
 ORDER BY user_id
 LIMIT $3::integer;

-- name: usage_subscription_states
-- The facts evolve_subscription() needs for the users $1 (bigint[]), subscription and
-- user rows locked, in user order.
SELECT s.user_id, u.status AS user_status,
       extract(epoch FROM s.started_at)::bigint AS started_at,
       extract(epoch FROM s.expires_at)::bigint AS expires_at,
       extract(epoch FROM coalesce(s.period_started_at, s.created_at))::bigint AS period_started_at,
       s.used_bytes, s.upload_bytes, s.download_bytes,
       p.id AS plan_id, p.name AS plan, p.data_limit_bytes, p.duration_seconds, p.reset_strategy,
       np.id AS next_plan_id, np.name AS next_plan, np.data_limit_bytes AS next_data_limit_bytes,
       np.duration_seconds AS next_duration_seconds, np.reset_strategy AS next_reset_strategy,
       CASE WHEN s.next_check_at = 'infinity' THEN NULL ELSE extract(epoch FROM s.next_check_at)::bigint END
         AS next_check_at,
       s.next_check_at IS NULL AS next_check_unknown
  FROM subscriptions s
  JOIN users u ON u.id = s.user_id
  JOIN plans p ON p.id = s.plan_id
  LEFT JOIN plans np ON np.id = s.next_plan_id
 WHERE s.user_id = ANY($1::bigint[])
 ORDER BY s.user_id
   FOR UPDATE OF s, u;

-- name: usage_subscription_apply
-- Stores an evolution of user $1's subscription: plan, next plan, clock and period (Unix
-- seconds or null), next check ($7, null: never). $8: a new period began: its bytes are
-- then what is already aggregated from hours at or after the period's start (usage of the
-- new period that a run aggregated before the reset was applied), not simply zero.
UPDATE subscriptions s
   SET plan_id = $2::bigint, next_plan_id = $3::bigint,
       started_at = to_timestamp($4), expires_at = to_timestamp($5), period_started_at = to_timestamp($6),
       used_bytes = CASE WHEN $8::boolean THEN c.billed ELSE s.used_bytes END,
       upload_bytes = CASE WHEN $8::boolean THEN c.up ELSE s.upload_bytes END,
       download_bytes = CASE WHEN $8::boolean THEN c.down ELSE s.download_bytes END,
       last_reset_at = CASE WHEN $8::boolean THEN now() ELSE s.last_reset_at END,
       next_check_at = coalesce(to_timestamp($7), 'infinity'),
       updated_at = now()
  FROM (SELECT coalesce(sum(billed_bytes), 0) AS billed, coalesce(sum(upload_bytes), 0) AS up,
               coalesce(sum(download_bytes), 0) AS down
          FROM usage_rollups
         WHERE granularity = 'hour' AND scope = 'user' AND scope_id = $1::bigint AND bucket >= to_timestamp($6)) c
 WHERE s.user_id = $1::bigint
RETURNING s.used_bytes;

-- name: usage_set_next_check
-- Sets next_check_at of unchanged subscriptions ($1: [{"user_id":…, "at": unix|null}]).
UPDATE subscriptions s SET next_check_at = coalesce(to_timestamp(x.at), 'infinity')
  FROM jsonb_to_recordset($1::jsonb) AS x (user_id bigint, at bigint)
 WHERE s.user_id = x.user_id AND s.next_check_at IS DISTINCT FROM coalesce(to_timestamp(x.at), 'infinity');

-- name: usage_user_set_status
-- The job never touches a disabled user.
UPDATE users SET status = $2, updated_at = now() WHERE id = $1::bigint AND status <> 'disabled';

-- name: usage_prune_batches
-- Deletes up to $2 aggregated batches received before $1 (Unix seconds), their records
-- with them (ON DELETE CASCADE).
WITH gone AS (
  DELETE FROM usage_batches
   WHERE id IN (SELECT id FROM usage_batches
                 WHERE aggregated_at IS NOT NULL AND received_at < to_timestamp($1)
                 ORDER BY received_at
                 LIMIT $2::integer)
  RETURNING record_count
)
SELECT count(*) AS batches, coalesce(sum(record_count), 0)::bigint AS records FROM gone;

-- name: usage_prunable_batches
SELECT count(*) AS batches, coalesce(sum(record_count), 0)::bigint AS records
  FROM usage_batches
 WHERE aggregated_at IS NOT NULL AND received_at < to_timestamp($1);

-- name: usage_prune_sessions
-- Sessions that ended before $1, and open ones not seen since then (their gateway is gone).
WITH gone AS (
  DELETE FROM sessions
   WHERE (ended_at IS NOT NULL AND ended_at < to_timestamp($1))
      OR (ended_at IS NULL AND last_seen_at < to_timestamp($1))
  RETURNING 1
)
SELECT count(*) AS sessions FROM gone;

-- name: usage_prunable_sessions
SELECT count(*) AS sessions
  FROM sessions
 WHERE (ended_at IS NOT NULL AND ended_at < to_timestamp($1))
    OR (ended_at IS NULL AND last_seen_at < to_timestamp($1));

-- name: usage_snapshot_for_tests
-- Everything usage accounting writes, as one document (tests compare runs with it).
SELECT jsonb_build_object(
  'rollups', (SELECT coalesce(jsonb_agg(jsonb_build_array(granularity, scope, scope_id, extract(epoch FROM bucket)::bigint,
                                                          upload_bytes, download_bytes, billed_bytes)
                                        ORDER BY granularity, scope, scope_id, bucket), '[]'::jsonb)
                FROM usage_rollups),
  'subscriptions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'user_id', user_id, 'plan_id', plan_id, 'next_plan_id', next_plan_id, 'used', used_bytes,
                        'up', upload_bytes, 'down', download_bytes, 'lifetime', lifetime_used_bytes,
                        'started_at', extract(epoch FROM started_at)::bigint,
                        'expires_at', extract(epoch FROM expires_at)::bigint,
                        'period_started_at', extract(epoch FROM period_started_at)::bigint) ORDER BY user_id), '[]'::jsonb)
                      FROM subscriptions),
  'status', (SELECT coalesce(jsonb_object_agg(username, status), '{}'::jsonb) FROM users),
  'sessions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'key', session_key, 'device_id', device_id, 'node_id', node_id, 'up', upload_bytes, 'down', download_bytes,
                   'metered_up', metered_upload_bytes, 'metered_down', metered_download_bytes, 'billed', billed_bytes,
                   'started_at', extract(epoch FROM started_at)::bigint, 'ended', ended_at IS NOT NULL,
                   'client_addr', client_addr) ORDER BY gateway_id, session_key), '[]'::jsonb)
                 FROM sessions),
  'batches', (SELECT count(*) FROM usage_batches),
  'unaggregated', (SELECT count(*) FROM usage_batches WHERE aggregated_at IS NULL),
  'records', (SELECT count(*) FROM usage_records),
  'audit', (SELECT coalesce(jsonb_agg(jsonb_build_array(action, target_id) ORDER BY id), '[]'::jsonb)
              FROM audit_log WHERE actor = 'job:aggregate-usage')
) AS snapshot;

-- The admin API (tools/core/admin/api*.cpp): login, token checks, bulk actions and reads.

-- name: admin_auth_by_name
-- The only query besides admin_set_password that touches password_hash.
SELECT id, username, password_hash, role, disabled, token_epoch FROM admins WHERE username = $1;

-- name: admin_auth_by_id
SELECT id, username, role, disabled, token_epoch FROM admins WHERE id = $1;

-- name: admin_login_touch
UPDATE admins SET last_login_at = now() WHERE id = $1;

-- name: admin_token_revoke
INSERT INTO admin_token_revocations (jti, admin_id, expires_at) VALUES ($1, $2, to_timestamp($3))
ON CONFLICT (jti) DO NOTHING;

-- name: admin_token_is_revoked
SELECT EXISTS (SELECT 1 FROM admin_token_revocations WHERE jti = $1) AS revoked;

-- name: admin_token_prune
DELETE FROM admin_token_revocations WHERE expires_at < now();

-- name: subscription_reset_usage
-- A bulk "reset usage": the period starts again now; a user limited by its quota is active again.
WITH s AS (
  UPDATE subscriptions
     SET used_bytes = 0, upload_bytes = 0, download_bytes = 0, period_started_at = now(), last_reset_at = now(),
         updated_at = now()
   WHERE user_id = $1
  RETURNING user_id
)
UPDATE users SET status = 'active', updated_at = now() WHERE id IN (SELECT user_id FROM s) AND status = 'limited';

-- name: usage_series
-- Rollups of one scope (device, user, node) and id, oldest first.
SELECT bucket, upload_bytes AS upload, download_bytes AS download, billed_bytes AS billed
  FROM usage_rollups
 WHERE granularity = $1 AND scope = $2 AND scope_id = $3
   AND bucket >= to_timestamp($4) AND bucket < to_timestamp($5)
 ORDER BY bucket;

-- name: usage_series_region
-- A region's usage: the sum over its nodes.
SELECT r.bucket, sum(r.upload_bytes)::bigint AS upload, sum(r.download_bytes)::bigint AS download,
       sum(r.billed_bytes)::bigint AS billed
  FROM usage_rollups r JOIN nodes n ON n.id = r.scope_id
 WHERE r.granularity = $1 AND r.scope = 'node' AND n.region_id = (SELECT id FROM regions WHERE name = $2)
   AND r.bucket >= to_timestamp($3) AND r.bucket < to_timestamp($4)
 GROUP BY r.bucket
 ORDER BY r.bucket;

-- name: usage_series_all
-- Everyone's usage (the dashboard chart): the sum over users.
SELECT bucket, sum(upload_bytes)::bigint AS upload, sum(download_bytes)::bigint AS download,
       sum(billed_bytes)::bigint AS billed
  FROM usage_rollups
 WHERE granularity = $1 AND scope = 'user' AND bucket >= to_timestamp($2) AND bucket < to_timestamp($3)
 GROUP BY bucket
 ORDER BY bucket;

-- name: scope_user_id
SELECT id FROM users WHERE username = $1;

-- name: scope_node_id
SELECT id FROM nodes WHERE name = $1;

-- name: scope_device_id
SELECT id FROM devices WHERE id = $1;

-- name: sessions_live
-- Sessions that a gateway reported within the last $1 seconds and that have not ended.
SELECT s.id, g.name AS gateway, u.username AS user, d.id AS device_id, d.name AS device, n.name AS node,
       s.client_addr, s.started_at, s.last_seen_at, s.upload_bytes AS upload, s.download_bytes AS download
  FROM sessions s
  JOIN gateways g ON g.id = s.gateway_id
  JOIN devices d ON d.id = s.device_id
  JOIN users u ON u.id = d.user_id
  LEFT JOIN nodes n ON n.id = s.node_id
 WHERE s.ended_at IS NULL AND s.last_seen_at > now() - make_interval(secs => $1)
 ORDER BY s.last_seen_at DESC
 LIMIT $2;

-- name: job_runs_list
SELECT id, job, host, pid, started_at, finished_at, status, dry_run, summary, error
  FROM job_runs
 WHERE ($1::text IS NULL OR job = $1)
 ORDER BY id DESC
 LIMIT $2 OFFSET $3;

-- name: dashboard_users_by_status
SELECT status, count(*) AS n FROM users GROUP BY status ORDER BY status;

-- name: dashboard_nodes_by_health
SELECT health, admin_state, count(*) AS n FROM nodes GROUP BY health, admin_state ORDER BY health, admin_state;

-- name: dashboard_traffic_since
SELECT coalesce(sum(upload_bytes), 0)::bigint AS upload, coalesce(sum(download_bytes), 0)::bigint AS download,
       coalesce(sum(billed_bytes), 0)::bigint AS billed
  FROM usage_rollups
 WHERE granularity = 'hour' AND scope = 'user' AND bucket >= to_timestamp($1);

-- name: dashboard_live_sessions
SELECT count(*) AS n FROM sessions WHERE ended_at IS NULL AND last_seen_at > now() - interval '5 minutes';

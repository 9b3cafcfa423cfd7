-- validate-device, gateway authentication and rate limits (tools/core/access).

-- name: rate_limit_hits
SELECT coalesce((SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = to_timestamp($2)), 0) AS hits;

-- name: rate_limit_hit
INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, to_timestamp($2), 1)
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
RETURNING hits;

-- name: rate_limit_prune
DELETE FROM rate_limits WHERE window_start < now() - interval '1 day';

-- name: gateway_by_prefix
SELECT id, name, credential_hash, disabled FROM gateways WHERE credential_prefix = $1;

-- name: gateway_touch
UPDATE gateways SET last_heartbeat_at = now(), last_address = $2 WHERE id = $1;

-- name: access_facts
-- Everything decide_access() needs about one device, its user, subscription and plan.
SELECT d.id AS device_id, d.user_id, d.name AS device_name, u.username, d.status AS device_status, d.hwid,
       d.region_id, d.node_id, u.status AS user_status,
       extract(epoch FROM s.started_at)::bigint AS started_at,
       extract(epoch FROM s.expires_at)::bigint AS expires_at,
       extract(epoch FROM coalesce(s.period_started_at, s.created_at))::bigint AS period_started_at,
       s.used_bytes, p.data_limit_bytes, p.duration_seconds, p.speed_limit_bps, p.device_limit, p.reset_strategy,
       (SELECT count(*) FROM devices o WHERE o.user_id = d.user_id AND o.status = 'active' AND o.id <= d.id) AS device_rank
  FROM devices d
  JOIN users u ON u.id = d.user_id
  JOIN subscriptions s ON s.user_id = u.id
  JOIN plans p ON p.id = s.plan_id
 WHERE d.id = $1;

-- name: gateway_nodes_for_device
-- The nodes a gateway may use for a device, best first: its assigned node, then the other
-- nodes of its region that can serve (active, not down), healthiest and lightest first.
-- Only node kinds the gateway speaks (Shadowsocks) with a current secret are listed; a
-- secret on its own ss-manager port (0005) is reached there.
SELECT n.id, n.name, n.kind, n.host, coalesce(ns.port, n.port) AS port, ns.method, ns.secret_sealed, ns.id AS secret_id,
       n.health, n.usage_multiplier
  FROM nodes n
  JOIN LATERAL (SELECT id, method, secret_sealed, port FROM node_secrets s
                 WHERE s.node_id = n.id AND (s.retire_after IS NULL OR s.retire_after > now())
                 ORDER BY s.created_at DESC LIMIT 1) ns ON true
 WHERE n.region_id = $1 AND n.admin_state = 'active' AND n.health <> 'down' AND n.kind IN ('shadowsocks', 'outline')
 ORDER BY (n.id = $2) DESC,
          CASE n.health WHEN 'up' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END,
          (SELECT count(*) FROM devices d WHERE d.node_id = n.id AND d.status = 'active')::float8 / greatest(n.weight, 1),
          n.last_latency_ms NULLS LAST, n.id
 LIMIT 8;

-- name: region_has_node
-- Only node kinds the gateway can tunnel to count: a region of vless nodes alone serves
-- vless:// clients directly, not gateway tunnels.
SELECT EXISTS (SELECT 1 FROM nodes n WHERE n.region_id = $1 AND n.admin_state = 'active' AND n.health <> 'down'
                                     AND n.kind IN ('shadowsocks', 'outline')) AS present;

-- name: subscription_start
UPDATE subscriptions SET started_at = to_timestamp($2), expires_at = to_timestamp($3),
       period_started_at = to_timestamp($2), used_bytes = 0, upload_bytes = 0, download_bytes = 0, updated_at = now()
 WHERE user_id = $1 AND started_at IS NULL;

-- name: subscription_reset_period
-- Conditional on the period the decision saw, so a concurrent reset is not applied twice.
-- The new period starts with what aggregate-usage already counted of it (hours at or
-- after its start), as its own resets do (usage_subscription_apply).
UPDATE subscriptions s SET period_started_at = to_timestamp($2), used_bytes = c.billed, upload_bytes = c.up,
       download_bytes = c.down, last_reset_at = now(), updated_at = now()
  FROM (SELECT coalesce(sum(billed_bytes), 0) AS billed, coalesce(sum(upload_bytes), 0) AS up,
               coalesce(sum(download_bytes), 0) AS down
          FROM usage_rollups
         WHERE granularity = 'hour' AND scope = 'user' AND scope_id = $1::bigint AND bucket >= to_timestamp($2)) c
 WHERE s.user_id = $1 AND extract(epoch FROM coalesce(s.period_started_at, s.created_at))::bigint = $3;

-- name: user_set_status
UPDATE users SET status = $2, updated_at = now() WHERE id = $1 AND status <> 'disabled';

-- name: device_seen
UPDATE devices SET last_seen_at = now(), hwid = coalesce(hwid, $2) WHERE id = $1;

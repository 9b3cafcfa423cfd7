-- The Telegram bot (tools/core/telegram/bot.cpp, webapp.cpp).

-- name: telegram_update_seen
SELECT EXISTS (SELECT 1 FROM telegram_updates WHERE update_id = $1) AS seen;

-- name: telegram_update_record
INSERT INTO telegram_updates (update_id, chat_id, kind) VALUES ($1, $2, $3)
ON CONFLICT (update_id) DO NOTHING;

-- name: telegram_updates_prune
DELETE FROM telegram_updates WHERE received_at < now() - interval '1 day';

-- name: telegram_user
-- The account linked to a Telegram user, with its subscription for /usage and the Mini App.
SELECT u.id, u.username, u.status, p.name AS plan, s.used_bytes, p.data_limit_bytes,
       extract(epoch FROM s.expires_at)::bigint AS expires_at,
       s.started_at IS NOT NULL AS started,
       extract(epoch FROM coalesce(s.period_started_at, s.started_at, s.created_at))::bigint AS period_started_at
  FROM users u
  LEFT JOIN subscriptions s ON s.user_id = u.id
  LEFT JOIN plans p ON p.id = s.plan_id
 WHERE u.telegram_id = $1;

-- name: telegram_devices
-- The user's live devices with what they used since the period started ($2, unix seconds),
-- from the hourly rollups.
SELECT d.id, d.name, d.node_id, r.name AS region, n.kind AS node_kind, n.host AS node_host, coalesce(d.node_port, n.port) AS node_port,
       extract(epoch FROM d.last_seen_at)::bigint AS last_seen_at,
       coalesce((SELECT sum(ur.upload_bytes + ur.download_bytes) FROM usage_rollups ur
                  WHERE ur.granularity = 'hour' AND ur.scope = 'device' AND ur.scope_id = d.id
                    AND ur.bucket >= to_timestamp($2)), 0)::bigint AS used_bytes
  FROM devices d
  LEFT JOIN regions r ON r.id = d.region_id
  LEFT JOIN nodes n ON n.id = d.node_id
 WHERE d.user_id = $1 AND d.status = 'active'
 ORDER BY d.name, d.id;

-- name: telegram_service_nodes
-- How many nodes could serve a device now: /start says whether the service is up.
SELECT count(*) AS n FROM nodes WHERE admin_state = 'active' AND health <> 'down';

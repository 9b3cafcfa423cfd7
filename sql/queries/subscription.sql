-- The subscription endpoint (tools/core/keys/subscription.cpp).

-- name: subscription_view
SELECT d.id AS device_id, d.name AS device_name, d.status AS device_status, u.username, u.status AS user_status,
       n.kind AS node_kind, n.host AS node_host, coalesce(d.node_port, n.port) AS node_port,
       s.upload_bytes, s.download_bytes, p.data_limit_bytes,
       extract(epoch FROM s.expires_at)::bigint AS expires_at
  FROM devices d
  JOIN users u ON u.id = d.user_id
  JOIN subscriptions s ON s.user_id = u.id
  JOIN plans p ON p.id = s.plan_id
  LEFT JOIN nodes n ON n.id = d.node_id
 WHERE d.id = $1;

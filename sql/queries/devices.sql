-- Devices (tools/core/admin/devices.cpp). Credentials are issue-key's.

-- name: device_list
SELECT d.id, u.username AS user, d.name, d.status, r.name AS region, n.name AS node, d.hwid,
       d.last_seen_at, d.created_at
  FROM devices d
  JOIN users u ON u.id = d.user_id
  LEFT JOIN regions r ON r.id = d.region_id
  LEFT JOIN nodes n ON n.id = d.node_id
 WHERE ($1::text IS NULL OR u.username = $1)
   AND ($2::text IS NULL OR d.status = $2)
 ORDER BY u.username, d.name, d.id
 LIMIT $3 OFFSET $4;

-- name: device_get
SELECT d.id, u.username AS user, d.name, d.status, r.name AS region, n.name AS node, d.hwid,
       d.assigned_at, d.last_seen_at, d.revoked_at, d.created_at, d.updated_at
  FROM devices d
  JOIN users u ON u.id = d.user_id
  LEFT JOIN regions r ON r.id = d.region_id
  LEFT JOIN nodes n ON n.id = d.node_id
 WHERE d.id = $1;

-- name: device_count_live
SELECT count(*) AS n FROM devices WHERE user_id = $1 AND status = 'active';

-- name: device_insert
INSERT INTO devices (user_id, name, region_id)
VALUES ($1, $2, (SELECT id FROM regions WHERE name = $3))
RETURNING id;

-- name: device_update
UPDATE devices SET name = $2, region_id = (SELECT id FROM regions WHERE name = $3), updated_at = now()
 WHERE id = $1;

-- name: device_delete
DELETE FROM devices WHERE id = $1;

-- name: user_lock_for_devices
-- Serialises device creation per user so two concurrent creates cannot both pass the limit.
SELECT u.id, p.device_limit
  FROM users u
  LEFT JOIN subscriptions s ON s.user_id = u.id
  LEFT JOIN plans p ON p.id = s.plan_id
 WHERE u.username = $1
   FOR UPDATE OF u;

-- Device credentials (tools/core/keys). Tokens are looked up by their visible prefix and
-- compared by hash in constant time in C++; secrets never appear in these queries' results
-- except sealed.

-- name: credential_insert
INSERT INTO device_credentials (device_id, kind, prefix, secret_hash, secret_sealed, method, vless_uuid)
VALUES ($1, $2, $3, $4, $5, $6, $7::uuid)
RETURNING id;

-- name: credentials_revoke_live
UPDATE device_credentials SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL;

-- name: credentials_by_prefix
-- Live credentials first: a prefix of a revoked token may come back (48 random bits).
SELECT id, device_id, secret_hash, revoked_at IS NOT NULL AS revoked
  FROM device_credentials
 WHERE kind = $1 AND prefix = $2
 ORDER BY revoked_at IS NOT NULL, id DESC
 LIMIT 8;

-- name: credentials_live_of_device
SELECT id, kind, prefix, secret_sealed, method, vless_uuid::text AS vless_uuid, created_at
  FROM device_credentials
 WHERE device_id = $1 AND revoked_at IS NULL
 ORDER BY id;

-- name: device_assign_node
UPDATE devices SET node_id = $2, region_id = coalesce($3, region_id), assigned_at = now(), updated_at = now()
 WHERE id = $1;

-- name: device_revoke
UPDATE devices SET status = 'revoked', revoked_at = now(), updated_at = now()
 WHERE id = $1 AND status = 'active';

-- name: region_id_by_name
SELECT id FROM regions WHERE name = $1;

-- name: region_sole
-- The region to use when neither the request nor the user names one: the only region there is.
SELECT id, name FROM regions ORDER BY id LIMIT 2;

-- name: region_node_candidates
SELECT n.id, n.name, n.kind, n.host, n.port, n.method, n.weight, n.health, n.admin_state, n.last_latency_ms,
       (SELECT count(*) FROM devices d WHERE d.node_id = n.id AND d.status = 'active') AS devices
  FROM nodes n
 WHERE n.region_id = $1
 ORDER BY n.id;

-- name: node_by_id
SELECT n.id, n.name, n.kind, n.host, n.port, n.method, r.name AS region
  FROM nodes n JOIN regions r ON r.id = n.region_id
 WHERE n.id = $1;

-- name: user_region_of
SELECT u.id, u.region_id, r.name AS region FROM users u LEFT JOIN regions r ON r.id = u.region_id WHERE u.username = $1;

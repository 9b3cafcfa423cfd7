-- Gateways and node secrets (tools/core/admin/gateways.cpp, node_secrets.cpp).

-- name: gateway_list
SELECT id, name, credential_prefix, disabled, last_heartbeat_at, last_address, version, created_at
  FROM gateways ORDER BY name LIMIT $1 OFFSET $2;

-- name: gateway_get
SELECT id, name, credential_prefix, disabled, last_heartbeat_at, last_address, version, created_at, updated_at
  FROM gateways WHERE name = $1;

-- name: gateway_insert
INSERT INTO gateways (name, credential_prefix, credential_hash, disabled) VALUES ($1, $2, $3, $4) RETURNING id;

-- name: gateway_update
UPDATE gateways SET name = $2, disabled = $3, updated_at = now() WHERE id = $1;

-- name: gateway_delete
DELETE FROM gateways WHERE id = $1;

-- name: node_secret_retire_current
-- The previous secret stays valid for the overlap, so live sessions are not cut.
UPDATE node_secrets SET retire_after = now() + make_interval(secs => $2)
 WHERE node_id = $1 AND retire_after IS NULL;

-- name: node_secret_insert
INSERT INTO node_secrets (node_id, secret_sealed, method) VALUES ($1, $2, $3) RETURNING id;

-- name: node_secret_count
SELECT count(*) FILTER (WHERE retire_after IS NULL) AS current,
       count(*) FILTER (WHERE retire_after > now()) AS retiring
  FROM node_secrets WHERE node_id = $1;

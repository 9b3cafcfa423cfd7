-- Nodes (tools/core/admin).

-- name: node_list
SELECT n.id, n.name, r.name AS region, n.kind, n.host, n.port, n.host || ':' || n.port AS address, n.method,
       n.weight, n.usage_multiplier, n.data_limit_bytes AS data_limit, n.health, n.admin_state,
       n.last_probe_at, n.last_latency_ms,
       (SELECT count(*) FROM devices d WHERE d.node_id = n.id AND d.status = 'active') AS devices,
       n.created_at, n.updated_at
  FROM nodes n JOIN regions r ON r.id = n.region_id
 WHERE ($1::text IS NULL OR r.name = $1)
 ORDER BY r.name, n.name
 LIMIT $2 OFFSET $3;

-- name: node_get
SELECT n.id, n.name, r.name AS region, n.kind, n.host, n.port, n.host || ':' || n.port AS address, n.method,
       n.weight, n.usage_multiplier, n.data_limit_bytes AS data_limit, n.health, n.admin_state,
       n.consecutive_failures, n.consecutive_successes, n.last_probe_at, n.last_latency_ms, n.last_probe_error,
       n.manager_url_sealed IS NOT NULL AS managed,
       (SELECT count(*) FROM devices d WHERE d.node_id = n.id AND d.status = 'active') AS devices,
       n.created_at, n.updated_at
  FROM nodes n JOIN regions r ON r.id = n.region_id
 WHERE n.name = $1;

-- name: node_insert
INSERT INTO nodes (name, region_id, kind, host, port, method, weight, usage_multiplier, data_limit_bytes, admin_state)
VALUES ($1, (SELECT id FROM regions WHERE name = $2), $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id;

-- name: node_update
UPDATE nodes
   SET name = $2, region_id = (SELECT id FROM regions WHERE name = $3), kind = $4, host = $5, port = $6,
       method = $7, weight = $8, usage_multiplier = $9, data_limit_bytes = $10, admin_state = $11,
       updated_at = now()
 WHERE id = $1;

-- name: node_delete
DELETE FROM nodes WHERE id = $1;

-- rotate-nodes and the ports of nodes run by ss-manager (tools/core/nodes).

-- name: nodes_port_lock
-- Serialises port allocation on one node (issue-key and rotate-nodes both allocate).
SELECT id, kind, port, manager_url_sealed IS NOT NULL AS managed FROM nodes WHERE id = $1 FOR UPDATE;

-- name: nodes_free_port
-- The lowest port above the node's own ($2) within the span ($3) that no active device and
-- no live gateway secret of the node holds.
SELECT p AS port
  FROM generate_series($2::int + 1, least($2::int + $3::int, 65535)) p
 WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.node_id = $1 AND d.status = 'active' AND d.node_port = p)
   AND NOT EXISTS (SELECT 1 FROM node_secrets s WHERE s.node_id = $1 AND s.port = p
                                                  AND (s.retire_after IS NULL OR s.retire_after > now()))
 ORDER BY p
 LIMIT 1;

-- name: nodes_device_port_of
SELECT d.node_id, d.node_port, d.status FROM devices d WHERE d.id = $1;

-- name: nodes_device_set_port
UPDATE devices SET node_port = $2 WHERE id = $1;

-- name: nodes_all
-- Every node with what the job needs; the manager address stays sealed here.
SELECT n.id, n.name, n.region_id, r.name AS region, n.kind, n.host, n.port, n.method, n.weight, n.health,
       n.admin_state, n.consecutive_failures, n.consecutive_successes, n.last_latency_ms,
       n.manager_url_sealed, n.manager_cert_sha256,
       (SELECT count(*) FROM devices d WHERE d.node_id = n.id AND d.status = 'active') AS devices
  FROM nodes n JOIN regions r ON r.id = n.region_id
 ORDER BY n.id;

-- name: nodes_current_secret
-- The newest live gateway secret of a node, as validate-device hands it out.
SELECT s.id, s.secret_sealed, s.method, s.port, extract(epoch FROM s.created_at)::bigint AS created_at
  FROM node_secrets s
 WHERE s.node_id = $1 AND (s.retire_after IS NULL OR s.retire_after > now())
 ORDER BY s.created_at DESC, s.id DESC
 LIMIT 1;

-- name: nodes_live_secrets
-- Every gateway secret of a node that still works (the current one and those in overlap).
SELECT s.id, s.secret_sealed, s.method, s.port
  FROM node_secrets s
 WHERE s.node_id = $1 AND (s.retire_after IS NULL OR s.retire_after > now())
 ORDER BY s.created_at, s.id;

-- name: nodes_lock_for_probes
-- The health columns of the nodes $1 (a JSON array of ids), locked in id order for this
-- run's update; nodes deleted since the run started are absent.
SELECT id, health, consecutive_failures, consecutive_successes
  FROM nodes
 WHERE id IN (SELECT x::bigint FROM jsonb_array_elements_text($1::jsonb) AS x)
 ORDER BY id
   FOR UPDATE;

-- name: nodes_record_probes
-- Every node's probe result of the run at $2 (Unix seconds) in one statement, $1:
-- [{"id", "health", "failures", "successes", "latency_ms" (null after a failure), "error"}].
UPDATE nodes n
   SET health = x.health, consecutive_failures = x.failures, consecutive_successes = x.successes,
       last_probe_at = to_timestamp($2), last_latency_ms = x.latency_ms, last_probe_error = x.error
  FROM jsonb_to_recordset($1::jsonb)
       AS x(id bigint, health text, failures bigint, successes bigint, latency_ms integer, error text)
 WHERE n.id = x.id;

-- name: nodes_active_devices
-- Active devices with the region they belong to (their own, else their node's).
SELECT d.id, r.id AS region_id, r.name AS region, d.node_id
  FROM devices d
  LEFT JOIN nodes n ON n.id = d.node_id
  JOIN regions r ON r.id = coalesce(d.region_id, n.region_id)
 WHERE d.status = 'active'
 ORDER BY d.id;

-- name: nodes_device_move
-- Moves a device only if it is still where the plan saw it (issue-key may have moved it).
UPDATE devices SET node_id = $3, node_port = NULL, assigned_at = now(), updated_at = now()
 WHERE id = $1 AND status = 'active' AND node_id IS NOT DISTINCT FROM $2
RETURNING id;

-- name: nodes_ss_keys
-- The Shadowsocks keys a node must serve for devices: each active device's live password
-- (sealed) with its port (NULL: the node's port), while its user is active: a user who is
-- limited, expired, disabled or on hold loses the keys on the nodes (direct connections
-- stop at the next run) and gets them back when active again.
SELECT d.id AS device_id, d.node_port, c.secret_sealed, c.method, p.data_limit_bytes
  FROM devices d
  JOIN users u ON u.id = d.user_id AND u.status = 'active'
  JOIN device_credentials c ON c.device_id = d.id AND c.kind = 'shadowsocks' AND c.revoked_at IS NULL
  JOIN subscriptions s ON s.user_id = d.user_id
  JOIN plans p ON p.id = s.plan_id
 WHERE d.node_id = $1 AND d.status = 'active'
 ORDER BY d.id;

-- name: nodes_managed_without_port
-- Active devices on a managed node that have no port yet (assigned before the node had a manager).
SELECT d.id FROM devices d WHERE d.node_id = $1 AND d.status = 'active' AND d.node_port IS NULL ORDER BY d.id;

-- name: nodes_vless_users
-- The vless users of a node: each active device's live uuid, while its user is active
-- (like nodes_ss_keys).
SELECT d.id AS device_id, u.username, d.name AS device_name, c.vless_uuid::text AS uuid
  FROM devices d
  JOIN users u ON u.id = d.user_id AND u.status = 'active'
  JOIN device_credentials c ON c.device_id = d.id AND c.kind = 'vless' AND c.revoked_at IS NULL
 WHERE d.node_id = $1 AND d.status = 'active'
 ORDER BY d.id;

-- name: nodes_secret_insert
INSERT INTO node_secrets (node_id, secret_sealed, method, port) VALUES ($1, $2, $3, $4) RETURNING id;

-- name: nodes_set_manager
UPDATE nodes SET manager_url_sealed = $2, manager_cert_sha256 = $3, updated_at = now() WHERE id = $1;

-- name: nodes_set_admin_state
UPDATE nodes SET admin_state = $2, updated_at = now() WHERE id = $1;

-- name: nodes_assignments
-- The active devices on a node, for `httvps node show`.
SELECT u.username AS user, d.name AS device, d.node_port AS port, d.assigned_at
  FROM devices d JOIN users u ON u.id = d.user_id
 WHERE d.node_id = $1 AND d.status = 'active'
 ORDER BY u.username, d.name
 LIMIT 200;

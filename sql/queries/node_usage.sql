-- Direct-connection usage from node counters (tools/core/nodes/direct_usage.cpp,
-- domain/port_usage.hpp, migration 0006): rotate-nodes reads a managed node's per-port
-- traffic counters and stores what changed as a usage batch of the node.

-- name: node_port_counters_lock
-- The node's ($1) stored counters, locked until the read's transaction ends.
SELECT port, device_id, bytes
  FROM node_port_counters
 WHERE node_id = $1::bigint
 ORDER BY port
   FOR UPDATE;

-- name: node_port_counters_replace
-- The node's ($1) counters become exactly $2 ([{"port", "device_id", "bytes"}]). Devices
-- that no longer exist are left out.
WITH gone AS (
  DELETE FROM node_port_counters c
   WHERE c.node_id = $1::bigint
     AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS x(port integer) WHERE x.port = c.port)
)
INSERT INTO node_port_counters AS c (node_id, port, device_id, bytes, read_at)
SELECT $1::bigint, x.port, x.device_id, x.bytes, now()
  FROM jsonb_to_recordset($2::jsonb) AS x(port integer, device_id bigint, bytes bigint)
  JOIN devices d ON d.id = x.device_id
 ORDER BY x.port
ON CONFLICT (node_id, port) DO UPDATE
   SET device_id = EXCLUDED.device_id, bytes = EXCLUDED.bytes, read_at = EXCLUDED.read_at;

-- name: node_usage_batch_insert
-- A usage batch from node $1 for the usage $2 ([{"device_id", "bytes"}]; its devices that
-- still exist are its records): its sequence number is one past the node's last, or the
-- time in microseconds ($3) when that is larger, like a gateway's.
INSERT INTO usage_batches (node_id, batch_seq, record_count)
SELECT $1::bigint, greatest(coalesce(max(b.batch_seq) + 1, 0), $3::bigint),
       (SELECT count(*) FROM jsonb_to_recordset($2::jsonb) AS x(device_id bigint) JOIN devices d ON d.id = x.device_id)
  FROM usage_batches b
 WHERE b.node_id = $1::bigint
RETURNING id, batch_seq, record_count;

-- name: node_usage_records_insert
-- The batch's ($1) records: each device's ($3: [{"device_id", "bytes"}]) bytes on node $2,
-- billed to the device's user, observed now. ss-manager counts both directions as one total;
-- it is stored as download.
INSERT INTO usage_records (batch_id, device_id, user_id, node_id, session_key, observed_at, upload_bytes, download_bytes)
SELECT $1::bigint, x.device_id, d.user_id, $2::bigint, NULL, now(), 0, x.bytes
  FROM jsonb_to_recordset($3::jsonb) AS x(device_id bigint, bytes bigint)
  JOIN devices d ON d.id = x.device_id
 ORDER BY x.device_id;

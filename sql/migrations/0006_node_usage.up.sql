-- 0006_node_usage: usage that a node counts itself, for devices that connect to it directly
-- (their ss:// link, no gateway). rotate-nodes reads ss-manager's per-port traffic counters
-- and stores the change since its last read as a usage batch whose source is the node
-- (docs/usage-accounting.md, "Direct connections"). aggregate-usage treats such batches like
-- any other; their records carry no session.
-- SHIPPED MIGRATIONS ARE APPEND-ONLY: change the schema with a new NNNN pair.

-- A batch comes from a gateway or from a node. (node_id, batch_seq) is unique like
-- (gateway_id, batch_seq). A deleted node leaves its batches without a source.
ALTER TABLE usage_batches ALTER COLUMN gateway_id DROP NOT NULL;
ALTER TABLE usage_batches ADD COLUMN node_id bigint REFERENCES nodes (id) ON DELETE SET NULL;
ALTER TABLE usage_batches ADD CONSTRAINT usage_batches_one_source CHECK (gateway_id IS NULL OR node_id IS NULL);
ALTER TABLE usage_batches ADD CONSTRAINT usage_batches_node_seq_key UNIQUE (node_id, batch_seq);

-- The per-port traffic counter of a node as rotate-nodes last read it, and the device that
-- owned the port then: the next read's change is that device's usage. Written in the
-- transaction that stores the usage.
CREATE TABLE node_port_counters (
  node_id    bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  port       integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  device_id  bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  bytes      bigint NOT NULL CHECK (bytes >= 0),
  read_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, port)
);
CREATE INDEX node_port_counters_device_idx ON node_port_counters (device_id);

-- Reverts 0006_node_usage. Usage batches that came from nodes go with it (with their records):
-- the schema before 0006 has no place for them.
DROP TABLE IF EXISTS node_port_counters;
DELETE FROM usage_batches WHERE gateway_id IS NULL;
ALTER TABLE usage_batches DROP CONSTRAINT IF EXISTS usage_batches_node_seq_key;
ALTER TABLE usage_batches DROP CONSTRAINT IF EXISTS usage_batches_one_source;
ALTER TABLE usage_batches DROP COLUMN IF EXISTS node_id;
ALTER TABLE usage_batches ALTER COLUMN gateway_id SET NOT NULL;

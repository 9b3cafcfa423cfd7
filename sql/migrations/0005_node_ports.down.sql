-- Reverts 0005_node_ports.
ALTER TABLE nodes DROP COLUMN IF EXISTS manager_cert_sha256;
DROP INDEX IF EXISTS devices_node_port_key;
ALTER TABLE devices DROP COLUMN IF EXISTS node_port;
ALTER TABLE node_secrets DROP COLUMN IF EXISTS port;

-- 0005_node_ports: the ports a node run by ss-manager serves, and the Outline pin.
-- SHIPPED MIGRATIONS ARE APPEND-ONLY: change the schema with a new NNNN pair.
--
-- shadowsocks-libev serves one password per port. On a node whose ss-manager rotate-nodes
-- drives (nodes.manager_url_sealed set), every gateway secret and every device key gets a
-- port of its own above nodes.port; NULL means nodes.port itself (a node without a manager,
-- or a secret set by hand). During a secret rotation two secret ports are open at once.
ALTER TABLE node_secrets ADD COLUMN port integer CHECK (port BETWEEN 1 AND 65535);
ALTER TABLE devices ADD COLUMN node_port integer CHECK (node_port BETWEEN 1 AND 65535);
CREATE UNIQUE INDEX devices_node_port_key ON devices (node_id, node_port)
  WHERE status = 'active' AND node_port IS NOT NULL;
-- An Outline node's certSha256 (the API URL itself is manager_url_sealed).
ALTER TABLE nodes ADD COLUMN manager_cert_sha256 text CHECK (manager_cert_sha256 ~ '^[0-9A-F]{64}$');

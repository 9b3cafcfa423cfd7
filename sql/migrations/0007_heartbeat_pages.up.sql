-- 0007_heartbeat_pages: a gateway with more live sessions than one request body holds sends
-- its heartbeat in pages (docs/api.md, POST /api/v1/heartbeat). Each page marks the
-- sessions it names with the heartbeat's round; the last page ends the gateway's open
-- sessions that the round did not name.
-- SHIPPED MIGRATIONS ARE APPEND-ONLY: change the schema with a new NNNN pair.
ALTER TABLE sessions ADD COLUMN heartbeat_round text CHECK (length(heartbeat_round) BETWEEN 1 AND 64);

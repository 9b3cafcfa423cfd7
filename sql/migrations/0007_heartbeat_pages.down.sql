-- Reverts 0007_heartbeat_pages.
ALTER TABLE sessions DROP COLUMN IF EXISTS heartbeat_round;

-- Queries used by the core library itself: transactions, advisory locks, health.

-- name: tx_begin
BEGIN;

-- name: tx_commit
COMMIT;

-- name: tx_rollback
ROLLBACK;

-- name: advisory_lock
SELECT pg_advisory_lock($1::bigint);

-- name: advisory_try_lock
SELECT pg_try_advisory_lock($1::bigint) AS locked;

-- name: advisory_unlock
SELECT pg_advisory_unlock($1::bigint) AS unlocked;

-- name: health_check
SELECT current_setting('server_version') AS server_version,
       to_regclass('schema_migrations') IS NOT NULL AS migrated;

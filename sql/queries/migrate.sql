-- The migrator's own bookkeeping (tools/core/migrate.cpp). schema_migrations is created
-- here rather than by a migration, so that the first migration can be recorded.

-- name: migrate_bootstrap
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY CHECK (version > 0),
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: migrate_applied
SELECT version, name, checksum,
       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS applied_at
  FROM schema_migrations ORDER BY version;

-- name: migrate_record
INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3);

-- name: migrate_forget
DELETE FROM schema_migrations WHERE version = $1;

-- name: migrate_is_bootstrapped
SELECT to_regclass('schema_migrations') IS NOT NULL AS present;

-- name: migrate_max_version
SELECT coalesce(max(version), 0) AS version FROM schema_migrations;

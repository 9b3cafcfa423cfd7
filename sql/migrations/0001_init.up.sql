-- 0001_init: the whole httvps data model as the architecture brief foresees it.
-- SHIPPED MIGRATIONS ARE APPEND-ONLY. Never edit this file once released: the migrator
-- records its checksum and refuses to run against a database where it differs. Change
-- the schema with a new NNNN_title.up.sql / .down.sql pair.
--
-- Conventions: bigint identity keys; timestamptz everywhere; enums as text with CHECK
-- constraints (readable in psql, cheap to extend in a later migration); byte counts as
-- bigint; NULL limits mean "unlimited"; created_at/updated_at on every mutable table.

-- Administrators of the panel and the admin API.
CREATE TABLE admins (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  password_hash  text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  role           text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
  disabled       boolean NOT NULL DEFAULT false,
  token_epoch    integer NOT NULL DEFAULT 0,      -- bumped on logout/password change: old tokens die
  last_login_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- What a user buys: limits and how usage resets.
CREATE TABLE plans (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  description         text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
  data_limit_bytes    bigint CHECK (data_limit_bytes >= 0),          -- NULL: unlimited
  duration_seconds    bigint CHECK (duration_seconds > 0),           -- NULL: never expires
  device_limit        integer CHECK (device_limit BETWEEN 1 AND 1000), -- NULL: unlimited
  speed_limit_bps     bigint CHECK (speed_limit_bps > 0),            -- bits per second, NULL: unlimited
  reset_strategy      text NOT NULL DEFAULT 'none'
                      CHECK (reset_strategy IN ('none', 'day', 'week', 'month', 'month-rolling', 'year')),
  start_on_first_use  boolean NOT NULL DEFAULT false,                -- new subscriptions start on_hold
  archived            boolean NOT NULL DEFAULT false,                -- hidden from new subscriptions
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Groups of nodes; a device is served from its region.
CREATE TABLE regions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  display_name  text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Upstream servers. health is what probes saw; admin_state is what an admin decided.
CREATE TABLE nodes (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  region_id              bigint NOT NULL REFERENCES regions (id) ON DELETE RESTRICT,
  name                   text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  kind                   text NOT NULL CHECK (kind IN ('shadowsocks', 'outline', 'vless')),
  host                   text NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
  port                   integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  method                 text CHECK (method IN ('chacha20-ietf-poly1305', 'aes-256-gcm', 'aes-128-gcm',
                                                'xchacha20-ietf-poly1305')),
  weight                 integer NOT NULL DEFAULT 100 CHECK (weight BETWEEN 0 AND 10000),
  usage_multiplier       numeric(8, 3) NOT NULL DEFAULT 1.0 CHECK (usage_multiplier > 0 AND usage_multiplier <= 100),
  data_limit_bytes       bigint CHECK (data_limit_bytes >= 0),  -- per-node quota, NULL: none
  health                 text NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown', 'up', 'degraded', 'down')),
  admin_state            text NOT NULL DEFAULT 'active' CHECK (admin_state IN ('active', 'draining', 'disabled')),
  consecutive_failures   integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  consecutive_successes  integer NOT NULL DEFAULT 0 CHECK (consecutive_successes >= 0),
  last_probe_at          timestamptz,
  last_latency_ms        integer CHECK (last_latency_ms >= 0),
  last_probe_error       text,
  manager_url_sealed     text,  -- ss-manager address or Outline API URL (holds a secret): sealed
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'vless' OR method IS NOT NULL)
);
CREATE INDEX nodes_region_idx ON nodes (region_id);

-- Gateway-to-node Shadowsocks secrets. Rotation adds a new row while the old one stays
-- valid until retire_after, so live sessions survive.
CREATE TABLE node_secrets (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  node_id        bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  secret_sealed  text NOT NULL,
  method         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  retire_after   timestamptz,  -- NULL: current
  CHECK (retire_after IS NULL OR retire_after > created_at)
);
CREATE INDEX node_secrets_node_idx ON node_secrets (node_id, created_at DESC);

-- End users.
CREATE TABLE users (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username     text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$'),
  status       text NOT NULL DEFAULT 'active'
               CHECK (status IN ('active', 'disabled', 'limited', 'expired', 'on_hold')),
  telegram_id  bigint UNIQUE CHECK (telegram_id > 0),
  language     text CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
  note         text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  region_id    bigint REFERENCES regions (id) ON DELETE SET NULL,  -- default region for new devices
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_status_idx ON users (status);

-- A user's current plan and the usage of its current period (one row per user).
CREATE TABLE subscriptions (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id             bigint NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  plan_id             bigint NOT NULL REFERENCES plans (id) ON DELETE RESTRICT,
  next_plan_id        bigint REFERENCES plans (id) ON DELETE SET NULL,
  started_at          timestamptz,           -- NULL while on hold: starts at first connection
  expires_at          timestamptz,           -- NULL: never
  period_started_at   timestamptz,           -- start of the current reset period
  used_bytes          bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),        -- billed, this period
  upload_bytes        bigint NOT NULL DEFAULT 0 CHECK (upload_bytes >= 0),      -- this period
  download_bytes      bigint NOT NULL DEFAULT 0 CHECK (download_bytes >= 0),    -- this period
  lifetime_used_bytes bigint NOT NULL DEFAULT 0 CHECK (lifetime_used_bytes >= 0),
  last_reset_at       timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (expires_at IS NULL OR started_at IS NULL OR expires_at > started_at)
);
CREATE INDEX subscriptions_plan_idx ON subscriptions (plan_id);
CREATE INDEX subscriptions_expires_idx ON subscriptions (expires_at) WHERE expires_at IS NOT NULL;

-- One row per device of a user; each device has its own credentials.
CREATE TABLE devices (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$'),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  hwid          text CHECK (length(hwid) BETWEEN 1 AND 256),  -- bound on first use when given
  region_id     bigint REFERENCES regions (id) ON DELETE SET NULL,
  node_id       bigint REFERENCES nodes (id) ON DELETE SET NULL,  -- current assignment
  assigned_at   timestamptz,
  last_seen_at  timestamptz,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
-- Names are unique among a user's live devices; a revoked name may be reused.
CREATE UNIQUE INDEX devices_user_name_live_idx ON devices (user_id, name) WHERE status = 'active';
CREATE INDEX devices_user_idx ON devices (user_id);
CREATE INDEX devices_node_idx ON devices (node_id) WHERE status = 'active';

-- Credentials of a device. Tokens are stored as SHA-256 hashes behind a visible prefix;
-- Shadowsocks passwords (which nodes must know) are sealed with secrets.key; vless ids are
-- UUIDs, which the protocol sends in the clear anyway.
CREATE TABLE device_credentials (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id      bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('gateway_token', 'subscription_token', 'shadowsocks', 'vless')),
  prefix         text CHECK (length(prefix) BETWEEN 4 AND 32),   -- visible part, for lookup and display
  secret_hash    text CHECK (secret_hash ~ '^[0-9a-f]{64}$'),    -- sha256 hex of the whole token
  secret_sealed  text,                                           -- AEAD-sealed secret
  method         text,                                           -- shadowsocks cipher
  vless_uuid     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  CHECK (CASE kind
           WHEN 'gateway_token' THEN prefix IS NOT NULL AND secret_hash IS NOT NULL
           WHEN 'subscription_token' THEN prefix IS NOT NULL AND secret_hash IS NOT NULL
           WHEN 'shadowsocks' THEN secret_sealed IS NOT NULL AND method IS NOT NULL
           WHEN 'vless' THEN vless_uuid IS NOT NULL
         END)
);
CREATE INDEX device_credentials_device_idx ON device_credentials (device_id);
CREATE UNIQUE INDEX device_credentials_prefix_live_idx ON device_credentials (prefix)
  WHERE revoked_at IS NULL AND prefix IS NOT NULL;
CREATE UNIQUE INDEX device_credentials_vless_idx ON device_credentials (vless_uuid) WHERE vless_uuid IS NOT NULL;

-- Gateways authenticate to the control plane with their own token (hash stored).
CREATE TABLE gateways (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name               text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  credential_prefix  text NOT NULL UNIQUE,
  credential_hash    text NOT NULL CHECK (credential_hash ~ '^[0-9a-f]{64}$'),
  disabled           boolean NOT NULL DEFAULT false,
  last_heartbeat_at  timestamptz,
  last_address       text,
  version            text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Tunnel sessions as reported by gateway heartbeats and usage batches.
CREATE TABLE sessions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gateway_id    bigint NOT NULL REFERENCES gateways (id) ON DELETE CASCADE,
  session_key   text NOT NULL CHECK (length(session_key) BETWEEN 1 AND 128),  -- the gateway's id
  device_id     bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  node_id       bigint REFERENCES nodes (id) ON DELETE SET NULL,
  client_addr   text,
  started_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  ended_at      timestamptz,
  upload_bytes  bigint NOT NULL DEFAULT 0 CHECK (upload_bytes >= 0),
  download_bytes bigint NOT NULL DEFAULT 0 CHECK (download_bytes >= 0),
  UNIQUE (gateway_id, session_key)
);
CREATE INDEX sessions_device_idx ON sessions (device_id, started_at DESC);
CREATE INDEX sessions_live_idx ON sessions (last_seen_at) WHERE ended_at IS NULL;

-- Raw usage as gateways report it. (gateway_id, batch_seq) makes a batch idempotent: a
-- repeated batch is acknowledged and not stored twice.
CREATE TABLE usage_batches (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gateway_id    bigint NOT NULL REFERENCES gateways (id) ON DELETE RESTRICT,
  batch_seq     bigint NOT NULL CHECK (batch_seq >= 0),
  record_count  integer NOT NULL CHECK (record_count >= 0),
  received_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (gateway_id, batch_seq)
);

CREATE TABLE usage_records (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- aggregation watermark
  batch_id        bigint NOT NULL REFERENCES usage_batches (id) ON DELETE CASCADE,
  device_id       bigint NOT NULL,   -- no FK: usage of a since-deleted device is still counted
  node_id         bigint,
  session_key     text,
  observed_at     timestamptz NOT NULL,  -- end of the metered interval
  upload_bytes    bigint NOT NULL CHECK (upload_bytes >= 0),
  download_bytes  bigint NOT NULL CHECK (download_bytes >= 0)
);
CREATE INDEX usage_records_batch_idx ON usage_records (batch_id);

-- Rollups: one row per (granularity, scope, scope id, bucket start).
CREATE TABLE usage_rollups (
  granularity     text NOT NULL CHECK (granularity IN ('hour', 'day')),
  scope           text NOT NULL CHECK (scope IN ('device', 'user', 'node')),
  scope_id        bigint NOT NULL,
  bucket          timestamptz NOT NULL,
  upload_bytes    bigint NOT NULL DEFAULT 0 CHECK (upload_bytes >= 0),
  download_bytes  bigint NOT NULL DEFAULT 0 CHECK (download_bytes >= 0),
  billed_bytes    bigint NOT NULL DEFAULT 0 CHECK (billed_bytes >= 0),  -- after node multipliers
  PRIMARY KEY (granularity, scope, scope_id, bucket)
);
CREATE INDEX usage_rollups_bucket_idx ON usage_rollups (granularity, bucket);

-- Watermarks and other small state that jobs keep between runs.
CREATE TABLE job_state (
  job         text NOT NULL,
  key         text NOT NULL,
  value       bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, key)
);

-- One row per job run, whatever its outcome.
CREATE TABLE job_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job          text NOT NULL CHECK (job ~ '^[a-z][a-z0-9-]{0,63}$'),
  host         text NOT NULL,
  pid          integer NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
  dry_run      boolean NOT NULL DEFAULT false,
  summary      jsonb,
  error        text
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at DESC);

-- Every change, by whom, before and after.
CREATE TABLE audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL CHECK (actor ~ '^(cli|admin|api|job|gateway|telegram|system):'),
  action       text NOT NULL,           -- "plan.create", "device.revoke", "node.health" ...
  target_kind  text NOT NULL,
  target_id    text,
  before       jsonb,
  after        jsonb,
  request_id   text
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_kind, target_id, at DESC);

-- Fixed-window counters for rate limits of stateless CGI processes
-- (failed logins, failed token checks).
CREATE TABLE rate_limits (
  bucket        text NOT NULL,
  window_start  timestamptz NOT NULL,
  hits          integer NOT NULL DEFAULT 0 CHECK (hits >= 0),
  PRIMARY KEY (bucket, window_start)
);

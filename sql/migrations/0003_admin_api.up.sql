-- 0003_admin_api: what the admin API needs beyond 0001.
-- SHIPPED MIGRATIONS ARE APPEND-ONLY: change the schema with a new NNNN pair.
--
-- Logged-out admin tokens. A token is a signed, short-lived claim set; logging out puts
-- its id (jti) here until it would have expired anyway, so the list stays small.
-- (Changing a password bumps admins.token_epoch instead, which ends every token at once.)
CREATE TABLE admin_token_revocations (
  jti         text PRIMARY KEY CHECK (jti ~ '^[A-Za-z0-9_-]{16,64}$'),
  admin_id    bigint NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_token_revocations_expires_idx ON admin_token_revocations (expires_at);

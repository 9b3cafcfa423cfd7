-- 0004_usage: what usage accounting (issue 5) needs beyond 0001: batches that
-- aggregate-usage claims and marks, the user of every record, the metered bytes of a
-- session, and the moment aggregate-usage must next look at a subscription.
-- SHIPPED MIGRATIONS ARE APPEND-ONLY: change the schema with a new NNNN pair.

-- A batch is aggregated exactly once: aggregate-usage claims unaggregated batches
-- (FOR UPDATE SKIP LOCKED), rolls them up and sets aggregated_at in one transaction.
ALTER TABLE usage_batches ADD COLUMN aggregated_at timestamptz;
-- The backlog: an empty run reads this (empty) index, nothing else.
CREATE INDEX usage_batches_unaggregated_idx ON usage_batches (id) WHERE aggregated_at IS NULL;
-- Pruning of aggregated batches past the retention.
CREATE INDEX usage_batches_aggregated_idx ON usage_batches (received_at) WHERE aggregated_at IS NOT NULL;

-- The user the gateway billed (from validate-device). NULL only for rows stored before
-- 0004 whose device no longer exists.
ALTER TABLE usage_records ADD COLUMN user_id bigint CHECK (user_id > 0);
UPDATE usage_records r SET user_id = d.user_id FROM devices d WHERE d.id = r.device_id;
-- validate-device sums a user's stored but unaggregated usage: the user's records in the
-- batches at or after the oldest unaggregated one.
CREATE INDEX usage_records_user_batch_idx ON usage_records (user_id, batch_id);

-- Sessions: upload_bytes/download_bytes stay the gateway's live counters (heartbeats);
-- the metered_* columns are what aggregate-usage counted from usage records.
ALTER TABLE sessions
  ADD COLUMN metered_upload_bytes bigint NOT NULL DEFAULT 0 CHECK (metered_upload_bytes >= 0),
  ADD COLUMN metered_download_bytes bigint NOT NULL DEFAULT 0 CHECK (metered_download_bytes >= 0),
  ADD COLUMN billed_bytes bigint NOT NULL DEFAULT 0 CHECK (billed_bytes >= 0);
CREATE INDEX sessions_gateway_open_idx ON sessions (gateway_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended_idx ON sessions (ended_at) WHERE ended_at IS NOT NULL;

-- When aggregate-usage must next evaluate the subscription's status (reset, expiry):
-- NULL = as soon as possible, 'infinity' = only when something changes. Any change of
-- the facts it depends on (plan, clock, period, the user's status, the plan's terms, used
-- bytes going down) sets it back to NULL through the triggers below, unless the writer set
-- it too. Usage going up is not such a change: aggregate-usage checks the limit itself.
ALTER TABLE subscriptions ADD COLUMN next_check_at timestamptz;
CREATE INDEX subscriptions_next_check_idx ON subscriptions (next_check_at);

CREATE FUNCTION subscriptions_forget_next_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.next_check_at IS NOT DISTINCT FROM OLD.next_check_at
     AND ((NEW.plan_id, NEW.next_plan_id, NEW.started_at, NEW.expires_at, NEW.period_started_at)
          IS DISTINCT FROM
          (OLD.plan_id, OLD.next_plan_id, OLD.started_at, OLD.expires_at, OLD.period_started_at)
          OR NEW.used_bytes < OLD.used_bytes) THEN
    NEW.next_check_at := NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER subscriptions_forget_next_check BEFORE UPDATE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION subscriptions_forget_next_check();

CREATE FUNCTION users_status_forget_next_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE subscriptions SET next_check_at = NULL WHERE user_id = NEW.id AND next_check_at IS NOT NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER users_status_forget_next_check AFTER UPDATE OF status ON users
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION users_status_forget_next_check();

CREATE FUNCTION plans_terms_forget_next_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE subscriptions SET next_check_at = NULL
   WHERE (plan_id = NEW.id OR next_plan_id = NEW.id) AND next_check_at IS NOT NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER plans_terms_forget_next_check AFTER UPDATE ON plans
  FOR EACH ROW WHEN ((OLD.data_limit_bytes, OLD.duration_seconds, OLD.reset_strategy)
                     IS DISTINCT FROM (NEW.data_limit_bytes, NEW.duration_seconds, NEW.reset_strategy))
  EXECUTE FUNCTION plans_terms_forget_next_check();

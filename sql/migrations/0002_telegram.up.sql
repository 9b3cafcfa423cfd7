-- The Telegram bot (tools/core/telegram/). Telegram delivers every update at least once
-- and redelivers when an answer is lost, so the webhook records the update_id of every
-- update it has acted on and ignores a second delivery: a retried /key issues one device,
-- not two. Rows older than a day are pruned by the webhook itself.
CREATE TABLE telegram_updates (
  update_id    bigint PRIMARY KEY CHECK (update_id >= 0),
  chat_id      bigint,
  kind         text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),  -- "message", "callback_query", ...
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_updates_received_idx ON telegram_updates (received_at);

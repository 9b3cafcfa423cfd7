-- Reverts 0004_usage.
DROP TRIGGER IF EXISTS plans_terms_forget_next_check ON plans;
DROP FUNCTION IF EXISTS plans_terms_forget_next_check();
DROP TRIGGER IF EXISTS users_status_forget_next_check ON users;
DROP FUNCTION IF EXISTS users_status_forget_next_check();
DROP TRIGGER IF EXISTS subscriptions_forget_next_check ON subscriptions;
DROP FUNCTION IF EXISTS subscriptions_forget_next_check();
DROP INDEX IF EXISTS subscriptions_next_check_idx;
ALTER TABLE subscriptions DROP COLUMN IF EXISTS next_check_at;
DROP INDEX IF EXISTS sessions_ended_idx;
DROP INDEX IF EXISTS sessions_gateway_open_idx;
ALTER TABLE sessions DROP COLUMN IF EXISTS billed_bytes,
                     DROP COLUMN IF EXISTS metered_download_bytes,
                     DROP COLUMN IF EXISTS metered_upload_bytes;
DROP INDEX IF EXISTS usage_records_user_batch_idx;
ALTER TABLE usage_records DROP COLUMN IF EXISTS user_id;
DROP INDEX IF EXISTS usage_batches_aggregated_idx;
DROP INDEX IF EXISTS usage_batches_unaggregated_idx;
ALTER TABLE usage_batches DROP COLUMN IF EXISTS aggregated_at;

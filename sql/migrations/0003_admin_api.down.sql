-- Reverts 0003_admin_api.
DROP TABLE IF EXISTS admin_token_revocations;

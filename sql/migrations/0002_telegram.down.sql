-- Reverts 0002_telegram.
DROP TABLE IF EXISTS telegram_updates;

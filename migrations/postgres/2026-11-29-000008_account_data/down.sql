DROP TABLE account_exports;
ALTER TABLE users DROP COLUMN deleted_at;

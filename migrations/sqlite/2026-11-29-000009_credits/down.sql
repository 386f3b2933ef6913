ALTER TABLE listings DROP COLUMN bumped_at;
DROP TABLE credit_ledger;

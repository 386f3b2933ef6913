DROP INDEX users_mailbox_hash;
ALTER TABLE users DROP COLUMN previous_account_id;
ALTER TABLE users DROP COLUMN mailbox_hash;

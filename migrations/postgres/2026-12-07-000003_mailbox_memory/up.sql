-- A deleted account keeps a hash of its canonical mailbox (and the ratings it received, its
-- ban) for souk_domain::account::MAILBOX_MEMORY_DAYS: the same mailbox registered again
-- inherits them (previous_account_id names the deleted account for moderators), so deleting
-- and registering again no longer launders a reputation. The worker forgets both after it.
ALTER TABLE users ADD COLUMN mailbox_hash TEXT;
ALTER TABLE users ADD COLUMN previous_account_id BIGINT;
CREATE INDEX users_mailbox_hash ON users (mailbox_hash) WHERE mailbox_hash IS NOT NULL;

-- Hostile users: one account per mailbox, and reports weighed by their reporter's record.

-- The mailbox an address delivers to (plus-tags dropped; Gmail dots too): see
-- souk_domain::account::canonical_email. Filled at registration; rows from before this
-- migration are filled by the application at start (SQL cannot apply the rule portably).
ALTER TABLE users ADD COLUMN email_canonical TEXT;
CREATE UNIQUE INDEX users_email_canonical ON users (email_canonical);

-- A reporter's past reports, upheld or dismissed, weigh their next one.
CREATE INDEX reports_reporter ON reports (reporter_id, resolution);

-- Price-drop alerts: the lowest price favouriters were told about, and when. Raising the
-- price and lowering it again must not mail them again (see worker::alerts).
ALTER TABLE listings ADD COLUMN alerted_price BIGINT;
ALTER TABLE listings ADD COLUMN price_alerted_at TIMESTAMP;

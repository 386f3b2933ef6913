ALTER TABLE listings DROP COLUMN price_alerted_at;
ALTER TABLE listings DROP COLUMN alerted_price;
DROP INDEX reports_reporter;
DROP INDEX users_email_canonical;
ALTER TABLE users DROP COLUMN email_canonical;

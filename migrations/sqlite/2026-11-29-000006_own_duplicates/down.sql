DROP INDEX listings_user_text;
ALTER TABLE listings DROP COLUMN text_hash;

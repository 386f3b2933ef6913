-- A digest of an ad's normalised title and description (souk_domain::listing::text_fingerprint):
-- a seller posting the text of one of their active ads again is sent to edit or renew it.
ALTER TABLE listings ADD COLUMN text_hash TEXT;
CREATE INDEX listings_user_text ON listings (user_id, text_hash);

-- A photo upload reserves its slot before the body is read or decoded, so parallel uploads
-- to one ad cannot pass the cap of 8 photos together (souk_store::photos::reserve_slot).
-- A reservation ends with its photo row or its refusal; one left by a process that stopped
-- mid-upload stops counting at expires_at.
CREATE TABLE photo_reservations (
    id BIGSERIAL PRIMARY KEY,
    listing_id BIGINT NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX photo_reservations_listing ON photo_reservations (listing_id, expires_at);

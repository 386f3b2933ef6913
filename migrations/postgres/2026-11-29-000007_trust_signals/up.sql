-- Trust signals (souk_domain::signals): fingerprints of photos and texts looked up by band
-- for near copies, and what the automatic checks found, for moderators.
ALTER TABLE photos ADD COLUMN phash BIGINT;

-- Four rows per fingerprint, one per 16-bit band (band number in the high bits of band_key).
-- kind 1: a photo's perceptual hash; kind 2: an ad text's SimHash.
CREATE TABLE near_keys (
    id BIGSERIAL PRIMARY KEY,
    kind INTEGER NOT NULL,
    band_key INTEGER NOT NULL,
    hash BIGINT NOT NULL,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    photo_id BIGINT REFERENCES photos(id) ON DELETE CASCADE
);
CREATE INDEX near_keys_lookup ON near_keys (kind, band_key);
CREATE INDEX near_keys_listing ON near_keys (listing_id);
CREATE INDEX near_keys_photo ON near_keys (photo_id);

-- What a check found, with its evidence (JSON), until a moderator decides.
CREATE TABLE listing_flags (
    id BIGSERIAL PRIMARY KEY,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    other_listing_id BIGINT,
    evidence TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolution TEXT
);
CREATE INDEX listing_flags_listing ON listing_flags (listing_id, kind);
CREATE INDEX listing_flags_open ON listing_flags (resolved_at, id);

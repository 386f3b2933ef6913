-- Fingerprints of photos and ads that are gone (a photo removed, an ad purged, an account
-- deleted), kept for souk_domain::signals::PAST_FINGERPRINT_DAYS: whoever had a photo or a text
-- first stays first, so a copier whose copy outlives the original cannot become "first" and
-- get the owner's later ads flagged. key_id is the near_keys id it had (its age).
CREATE TABLE past_fingerprints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,
    band_key INTEGER NOT NULL,
    hash BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    key_id BIGINT NOT NULL,
    forget_after TIMESTAMP NOT NULL
);
CREATE INDEX past_fingerprints_lookup ON past_fingerprints (kind, band_key, key_id);
CREATE INDEX past_fingerprints_forget ON past_fingerprints (forget_after);

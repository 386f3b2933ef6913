-- Worker issue: contact between buyers and sellers, ad lifecycle emails, favourites, saved
-- searches, exactly-once email sends.

-- Emails go out in the recipient's language (ar, fr, en).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
-- Emails about price drops on favourites; the unsubscribe link turns them off.
ALTER TABLE users ADD COLUMN price_drop_alerts BOOLEAN NOT NULL DEFAULT TRUE;

-- Set when the expiry warning was queued; cleared by a renewal so the next period warns again.
ALTER TABLE listings ADD COLUMN expiry_warned_at TIMESTAMP;
-- Set when the expiry notice was queued (the sweep moved the ad to expired).
ALTER TABLE listings ADD COLUMN expired_at TIMESTAMP;
CREATE INDEX listings_status_deleted ON listings (status, deleted_at);

-- Written (and committed) before a job's side effect starts; a job found with it set after a
-- crash is checked before it is run again. See README, "Email delivery guarantee".
ALTER TABLE jobs ADD COLUMN effect_started_at TIMESTAMP;

CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    -- Kept when the ad is purged, so both sides keep their thread.
    listing_id BIGINT REFERENCES listings(id) ON DELETE SET NULL,
    listing_title TEXT NOT NULL,
    buyer_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seller_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    buyer_name TEXT NOT NULL,
    buyer_phone TEXT,
    created_at TIMESTAMP NOT NULL,
    last_message_at TIMESTAMP NOT NULL,
    UNIQUE (listing_id, buyer_id)
);
CREATE INDEX conversations_buyer ON conversations (buyer_id, last_message_at);
CREATE INDEX conversations_seller ON conversations (seller_id, last_message_at);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE favorites (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, listing_id)
);
CREATE INDEX favorites_listing ON favorites (listing_id);

CREATE TABLE saved_searches (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The query string of GET /v1/search, validated when saved.
    query TEXT NOT NULL,
    frequency TEXT NOT NULL,
    -- Ads with a larger id have not been looked at for this search yet (no repeats).
    last_listing_id BIGINT NOT NULL,
    last_sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches (user_id);

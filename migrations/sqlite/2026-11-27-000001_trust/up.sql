-- Trust issue: seller profiles, stores, reports, moderation, bans.

ALTER TABLE users ADD COLUMN wilaya INTEGER;
-- Show the account's phone on the public profile.
ALTER TABLE users ADD COLUMN phone_public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN banned_at TIMESTAMP;
ALTER TABLE users ADD COLUMN banned_reason TEXT;

-- A hidden ad keeps its status (it still expires) but is out of search, browse and reads.
-- hidden_by: moderator, reports (automatic) or ban (restored by an unban).
ALTER TABLE listings ADD COLUMN hidden_at TIMESTAMP;
ALTER TABLE listings ADD COLUMN hidden_by TEXT;
ALTER TABLE listings ADD COLUMN hidden_reason TEXT;

CREATE TABLE stores (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id BIGINT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    speciality TEXT NOT NULL,
    wilaya INTEGER NOT NULL,
    commune INTEGER,
    description TEXT NOT NULL,
    phone TEXT,
    opening_hours TEXT,
    logo_key TEXT,
    banner_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    reporter_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    comment TEXT,
    created_at TIMESTAMP NOT NULL,
    -- Set when a moderator decided (dismissed, hidden, ...); open reports have none.
    resolved_at TIMESTAMP,
    resolution TEXT,
    UNIQUE (listing_id, reporter_id)
);
CREATE INDEX reports_open ON reports (resolved_at, created_at);

-- Every moderation action: who did what to what, when and why.
CREATE TABLE moderation_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    moderator_id BIGINT,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_log_target ON moderation_log (target_kind, target_id);

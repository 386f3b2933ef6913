-- souk schema, SQLite flavour. Timestamps are UTC stored as TIMESTAMP (no zone):
-- the application writes UTC only, and SQLite has no zone type to mirror.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL DEFAULT 'user',
    email_verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE one_time_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);

CREATE TABLE listings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    attributes TEXT NOT NULL,
    price BIGINT,
    negotiable BOOLEAN NOT NULL,
    exchange BOOLEAN NOT NULL,
    wilaya INTEGER NOT NULL,
    commune INTEGER NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    show_phone BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    sold_at TIMESTAMP,
    deleted_at TIMESTAMP
);
-- Browse is newest-first within a status, optionally by category or wilaya.
CREATE INDEX listings_status_created ON listings (status, created_at DESC, id DESC);
CREATE INDEX listings_category_status_created ON listings (category, status, created_at DESC, id DESC);
CREATE INDEX listings_wilaya_status_created ON listings (wilaya, status, created_at DESC, id DESC);
CREATE INDEX listings_user_created ON listings (user_id, created_at DESC, id DESC);
-- The expiry sweep looks for active ads past their date.
CREATE INDEX listings_status_expires ON listings (status, expires_at);

CREATE TABLE photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    storage_key TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX photos_listing ON photos (listing_id, position);

-- Change feed: one row per write to a listing, in the same transaction. The search index
-- follows it; see docs/architecture.md.
CREATE TABLE listing_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Durable background jobs, written in the transaction of the change that causes them.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);

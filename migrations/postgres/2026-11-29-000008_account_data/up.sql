-- Leaving with one's data (law 18-07): archives of everything held about an account, built by
-- the worker; and deleted accounts, kept as a row without personal data so that the other
-- side of a conversation still reads its messages.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;

CREATE TABLE account_exports (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- SHA-256 of the download token sent by email.
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ready_at TIMESTAMP,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX account_exports_user ON account_exports (user_id, id);
CREATE INDEX account_exports_expiry ON account_exports (expires_at);

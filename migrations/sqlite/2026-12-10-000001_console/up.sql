-- The moderation console (issue 27). A signed-in moderator's browser session: the cookie
-- holds a random token, the row its hash; the CSRF token of the session's forms lives here.
CREATE TABLE console_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- An item of the queue being worked: one moderator at a time, for a few minutes.
-- item: 'listing:{id}' or 'thread:{id}'.
CREATE TABLE moderation_claims (
    item TEXT PRIMARY KEY,
    moderator_id BIGINT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Ratings after a real exchange: one per side and conversation, double-blind (see
-- souk_domain::rating).
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    rater_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ratee_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stars INTEGER NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    comment TEXT,
    answer TEXT,
    answered_at TIMESTAMP,
    removed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (conversation_id, rater_id)
);
CREATE INDEX ratings_ratee ON ratings (ratee_id, id);

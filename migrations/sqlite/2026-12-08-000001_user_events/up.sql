-- What a signed-in user's live stream carries (GET /v1/me/events): one row per event and
-- recipient, numbered per user (seq) in the transaction of its cause. The counter row is taken
-- with an upsert, so two transactions adding events for one user take turns: seq is gap-free
-- and a reader never sees seq n+1 committed before seq n, which is what lets a client resume
-- from Last-Event-ID without losing or repeating an event.
CREATE TABLE user_event_counters (
    user_id BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
CREATE TABLE user_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX user_events_user_seq ON user_events (user_id, seq);
CREATE INDEX user_events_created ON user_events (created_at);

-- A ban for a period ends by itself: the worker lifts it once this time has passed (NULL: for
-- good, or not banned).
ALTER TABLE users ADD COLUMN banned_until TIMESTAMP;
CREATE INDEX users_ban_ends ON users (banned_until) WHERE banned_until IS NOT NULL;

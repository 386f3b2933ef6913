-- The own-duplicate lookup at posting (souk_store::listings::own_duplicate) filters on
-- user_id, text_hash, status and expires_at. With only (user_id, text_hash) indexed, SQLite
-- without statistics preferred listings_status_expires and walked every active ad (450 ms at
-- 200 k ads, holding the one writer). An index over all four columns is the best choice on both
-- backends with or without statistics.
DROP INDEX listings_user_text;
CREATE INDEX listings_user_text_live ON listings (user_id, text_hash, status, expires_at);

-- The job queue: a claim looks for the few queued or abandoned jobs among every finished one
-- (done jobs stay, without their payload). Partial indexes hold only those few, whatever the
-- statistics say about the status column.
CREATE INDEX jobs_queued ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running';

-- Expiry warnings: the active ads not warned yet, by date. Through (status, expires_at) the
-- sweep walked past every ad of the next three days already warned, on every pass.
CREATE INDEX listings_to_warn ON listings (expires_at, id) WHERE status = 'active' AND expiry_warned_at IS NULL;

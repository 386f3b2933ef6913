DROP INDEX listings_to_warn;
DROP INDEX jobs_running;
DROP INDEX jobs_queued;
DROP INDEX listings_user_text_live;
CREATE INDEX listings_user_text ON listings (user_id, text_hash);

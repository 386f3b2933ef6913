-- The log read by action or by moderator, newest first (the console's and /v1/mod/log's
-- filters): each walks only its own entries.
CREATE INDEX moderation_log_action ON moderation_log (action, id);
CREATE INDEX moderation_log_moderator ON moderation_log (moderator_id, id);

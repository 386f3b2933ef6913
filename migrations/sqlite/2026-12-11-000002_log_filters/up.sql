-- The log read by action, by moderator or by kind of target, newest first (the console's and
-- /v1/mod/log's filters): each walks only its own entries. A target's id is read with its
-- kind, through moderation_log_target.
CREATE INDEX moderation_log_action ON moderation_log (action, id);
CREATE INDEX moderation_log_moderator ON moderation_log (moderator_id, id);
CREATE INDEX moderation_log_kind ON moderation_log (target_kind, id);

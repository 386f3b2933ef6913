DROP INDEX moderation_log_kind;
DROP INDEX moderation_log_moderator;
DROP INDEX moderation_log_action;

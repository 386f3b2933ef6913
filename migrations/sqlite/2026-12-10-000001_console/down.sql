DROP TABLE moderation_claims;
DROP TABLE console_sessions;

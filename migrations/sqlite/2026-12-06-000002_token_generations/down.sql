DROP INDEX users_tokens_revoked;
ALTER TABLE users DROP COLUMN tokens_revoked_at;
ALTER TABLE users DROP COLUMN token_generation;

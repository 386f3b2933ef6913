-- Access tokens carry the generation of their account's sessions; a ban, a deletion or a
-- password reset moves it on (souk_store::tokens::revoke_all_for_user), and every API process
-- refuses older tokens within a second: it reads the generations moved recently
-- (tokens_revoked_at) into memory, so a request costs no query.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN tokens_revoked_at TIMESTAMP;
CREATE INDEX users_tokens_revoked ON users (tokens_revoked_at) WHERE tokens_revoked_at IS NOT NULL;

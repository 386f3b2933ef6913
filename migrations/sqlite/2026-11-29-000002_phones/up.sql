-- Confirmed phones: a number is confirmed by a code sent to it, and one confirmed number
-- belongs to one account.
ALTER TABLE users ADD COLUMN phone_verified_at TIMESTAMP;
CREATE UNIQUE INDEX users_confirmed_phone ON users (phone) WHERE phone_verified_at IS NOT NULL;

-- One-time codes sent by SMS: 6 digits, stored hashed, 10 minutes, 5 attempts.
CREATE TABLE phone_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX phone_codes_user ON phone_codes (user_id, id);

-- Phone reveals of an ad (the number is no longer in the ad itself).
ALTER TABLE listings ADD COLUMN phone_reveals BIGINT NOT NULL DEFAULT 0;

-- Credits (issue 17): an append-only ledger per account. Each movement has the account's
-- next sequence number (unique: two spends racing for the same balance cannot both land),
-- the balance after it (never negative), its reason and an idempotency key (unique per
-- account: a retried request moves credits once).
CREATE TABLE credit_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    seq BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    reason TEXT NOT NULL,
    -- No foreign key: the ledger outlives the ads it paid for (purged after retention).
    listing_id BIGINT,
    granted_by BIGINT REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, seq),
    UNIQUE (user_id, idempotency_key)
);
-- When the ad last went back to the top of "newest" (a bump).
ALTER TABLE listings ADD COLUMN bumped_at TIMESTAMP;

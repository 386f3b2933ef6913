-- Seller statistics: per ad and per day (days since 1970-01-01, UTC), what buyers did.
CREATE TABLE listing_daily_stats (
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    day INTEGER NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    phone_reveals BIGINT NOT NULL DEFAULT 0,
    threads BIGINT NOT NULL DEFAULT 0,
    favorites BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (listing_id, day)
);

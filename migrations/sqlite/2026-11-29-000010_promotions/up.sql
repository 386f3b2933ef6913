-- Paid visibility, the rest of issue 17: featured and urgent ads, their statistics, store
-- plans with monthly quotas, scheduled bumps and payments through a provider.

-- Until when an ad is featured ("à la une") or shows the urgent badge; no row: never bought.
-- A table of its own: few ads have one, and the listing row stays as it is. No foreign key:
-- the purge deletes the row with the ad.
CREATE TABLE listing_marks (
    listing_id BIGINT PRIMARY KEY,
    featured_until TIMESTAMP,
    urgent_until TIMESTAMP
);
-- Short lists: the search service re-projects the ads featured now when it starts, and the
-- worker clears both marks once past.
CREATE INDEX listing_marks_featured_until ON listing_marks (featured_until) WHERE featured_until IS NOT NULL;
CREATE INDEX listing_marks_urgent_until ON listing_marks (urgent_until) WHERE urgent_until IS NOT NULL;

-- Shown in a featured slot, and opened from one.
ALTER TABLE listing_daily_stats ADD COLUMN promoted_impressions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE listing_daily_stats ADD COLUMN promoted_clicks BIGINT NOT NULL DEFAULT 0;

-- A store's monthly plan: one row per account, moved to the next period by the worker. The
-- quotas are copied from the plan when a period starts, so a price list changed later does
-- not change a period already paid for.
CREATE TABLE plan_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),
    plan TEXT NOT NULL,
    price BIGINT NOT NULL,
    ads_included INTEGER NOT NULL,
    bumps_included INTEGER NOT NULL,
    featured_days_included INTEGER NOT NULL,
    ads_used INTEGER NOT NULL DEFAULT 0,
    bumps_used INTEGER NOT NULL DEFAULT 0,
    featured_days_used INTEGER NOT NULL DEFAULT 0,
    -- Periods paid so far (the renewal's idempotency key names the next one).
    period_no BIGINT NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    auto_renew BOOLEAN NOT NULL,
    -- active, lapsed (not renewed: cancelled or not enough credits)
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ads_used >= 0 AND ads_used <= ads_included),
    CHECK (bumps_used >= 0 AND bumps_used <= bumps_included),
    CHECK (featured_days_used >= 0 AND featured_days_used <= featured_days_included)
);
CREATE INDEX plan_subscriptions_due ON plan_subscriptions (period_end) WHERE status = 'active';

-- Bumps every few days for some weeks, run by the worker. No foreign key to listings: the
-- purge of an ad must not fail on its old schedule.
CREATE TABLE bump_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    every_days INTEGER NOT NULL,
    next_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    runs INTEGER NOT NULL DEFAULT 0,
    -- active, done, stopped (by the seller, or when a bump could not be made)
    status TEXT NOT NULL,
    stop_reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bump_schedules_due ON bump_schedules (next_at) WHERE status = 'active';
CREATE UNIQUE INDEX bump_schedules_one_active ON bump_schedules (listing_id) WHERE status = 'active';

-- Credits bought through a payment provider. Credited once, when the provider itself says
-- the order is paid (asked server to server, never taken from the buyer's redirect).
CREATE TABLE payment_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    -- The provider's id for the order, once registered there.
    provider_ref TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- pending, paid, failed
    status TEXT NOT NULL,
    -- Registrations tried (each under its own order number: the provider refuses a number twice).
    register_attempts INTEGER NOT NULL DEFAULT 0,
    -- When the provider was last asked about it (the recheck takes the longest unasked first).
    checked_at TIMESTAMP NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, idempotency_key),
    UNIQUE (provider, provider_ref)
);
CREATE INDEX payment_orders_pending ON payment_orders (checked_at) WHERE status = 'pending';

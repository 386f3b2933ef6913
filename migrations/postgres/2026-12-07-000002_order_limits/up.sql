-- Payment orders are registered at the provider when their buyer opens the checkout (not when
-- they are made), asked about a bounded number of times, and find their confirmation job by
-- its id rather than by reading every queued job's payload (issue 23, item 6).
ALTER TABLE payment_orders ADD COLUMN payment_url TEXT;
ALTER TABLE payment_orders ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_orders ADD COLUMN confirm_job_id BIGINT;
CREATE INDEX payment_orders_open ON payment_orders (user_id) WHERE status = 'pending';

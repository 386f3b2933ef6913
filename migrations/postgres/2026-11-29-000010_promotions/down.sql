DROP TABLE payment_orders;
DROP TABLE bump_schedules;
DROP TABLE plan_subscriptions;
ALTER TABLE listing_daily_stats DROP COLUMN promoted_clicks;
ALTER TABLE listing_daily_stats DROP COLUMN promoted_impressions;
DROP TABLE listing_marks;

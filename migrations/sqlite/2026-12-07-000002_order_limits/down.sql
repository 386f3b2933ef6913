DROP INDEX payment_orders_open;
ALTER TABLE payment_orders DROP COLUMN confirm_job_id;
ALTER TABLE payment_orders DROP COLUMN checks;
ALTER TABLE payment_orders DROP COLUMN payment_url;

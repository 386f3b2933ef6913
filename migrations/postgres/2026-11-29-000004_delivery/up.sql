-- Whether the seller ships (none, seller, courier): see souk_domain::Delivery.
ALTER TABLE listings ADD COLUMN delivery TEXT NOT NULL DEFAULT 'none';

ALTER TABLE listings DROP COLUMN delivery;

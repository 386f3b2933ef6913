ALTER TABLE messages DROP COLUMN photo_key;

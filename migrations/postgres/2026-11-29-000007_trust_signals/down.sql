DROP TABLE listing_flags;
DROP TABLE near_keys;
ALTER TABLE photos DROP COLUMN phash;

ALTER TABLE listings DROP COLUMN phone_reveals;
DROP TABLE phone_codes;
DROP INDEX users_confirmed_phone;
ALTER TABLE users DROP COLUMN phone_verified_at;

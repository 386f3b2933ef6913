DROP INDEX users_ban_ends;
ALTER TABLE users DROP COLUMN banned_until;

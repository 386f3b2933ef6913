-- A photo in a message (issue 25): the key of its files under the private message-photos
-- folder, served only to the two people of the thread (and to moderators once reported).
ALTER TABLE messages ADD COLUMN photo_key TEXT;

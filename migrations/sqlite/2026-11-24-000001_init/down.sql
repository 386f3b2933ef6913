DROP TABLE jobs;
DROP TABLE listing_changes;
DROP TABLE photos;
DROP TABLE listings;
DROP TABLE one_time_tokens;
DROP TABLE refresh_tokens;
DROP TABLE users;

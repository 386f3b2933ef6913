DROP TABLE past_fingerprints;

DROP INDEX listing_changes_created;
DROP INDEX listings_status_id;

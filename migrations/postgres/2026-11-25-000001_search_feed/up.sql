-- The search index rebuild walks active listings in id order and starts following the
-- change feed from the last change older than a minute.
CREATE INDEX listings_status_id ON listings (status, id);
CREATE INDEX listing_changes_created ON listing_changes (created_at);

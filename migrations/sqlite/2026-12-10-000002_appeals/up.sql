-- Appeals (issue 27): the owner of an ad a moderator hid, or a banned account, asks once per
-- decision for another look. decision_id: the moderation_log entry appealed (its moderator
-- and reason are shown with the appeal).
CREATE TABLE appeals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    decision_id BIGINT NOT NULL,
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    outcome TEXT,
    decided_by BIGINT,
    answer TEXT
);
CREATE UNIQUE INDEX appeals_once ON appeals (decision_id);
CREATE INDEX appeals_open ON appeals (created_at, id) WHERE decided_at IS NULL;

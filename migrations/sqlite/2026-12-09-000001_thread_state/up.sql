-- Conversations on the phone (issue 25). Read state: the last message each side has read
-- and how many of the other side's messages it has not, kept on the thread so that an inbox
-- and the total unread count read one row per thread. `*_emailed_id`: the last message the
-- unread-message email (sent after a delay) covered, so that no message is emailed twice.
ALTER TABLE conversations ADD COLUMN buyer_read_id BIGINT;
ALTER TABLE conversations ADD COLUMN seller_read_id BIGINT;
ALTER TABLE conversations ADD COLUMN buyer_unread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN seller_unread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN buyer_emailed_id BIGINT;
ALTER TABLE conversations ADD COLUMN seller_emailed_id BIGINT;
-- Why the app should show a message with a warning (scam phrase, link, contact details).
ALTER TABLE messages ADD COLUMN warning TEXT;

-- A user blocks another: no new messages either way, the threads leave the blocker's inbox.
CREATE TABLE user_blocks (
    blocker_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX user_blocks_blocked ON user_blocks (blocked_id);

-- A thread or one of its messages reported by one of its two people; moderators see only
-- reported threads. One report per reporter and message (or thread).
CREATE TABLE conversation_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL,
    message_id BIGINT,
    reporter_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by BIGINT
);
CREATE UNIQUE INDEX conversation_reports_once
    ON conversation_reports (reporter_id, conversation_id, COALESCE(message_id, 0));
CREATE INDEX conversation_reports_open ON conversation_reports (created_at) WHERE resolved_at IS NULL;
CREATE INDEX conversation_reports_thread ON conversation_reports (conversation_id);

-- What a user wants to be told and when: read receipts, push notifications by kind, and
-- quiet hours (minutes after midnight, Algiers time) during which only security and payment
-- notices are pushed. No row: the defaults.
CREATE TABLE user_preferences (
    user_id BIGINT PRIMARY KEY,
    read_receipts BOOLEAN NOT NULL,
    push_messages BOOLEAN NOT NULL,
    push_price_drops BOOLEAN NOT NULL,
    push_saved_searches BOOLEAN NOT NULL,
    push_expiry BOOLEAN NOT NULL,
    push_payments BOOLEAN NOT NULL,
    quiet_from INTEGER,
    quiet_until INTEGER,
    updated_at TIMESTAMP NOT NULL
);

-- Phones that get push notifications. A token belongs to one account at a time.
CREATE TABLE devices (
    installation_id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    platform TEXT NOT NULL,
    token TEXT NOT NULL,
    app_version TEXT,
    language TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX devices_token ON devices (token);
CREATE INDEX devices_user ON devices (user_id);

-- The e-mail outbox: every alert is written here in the transaction of the change that causes
-- it; the sender delivers it, retries with backoff, and marks it failed after the last try
-- (kept, never dropped; center staff can resend). One row per message and recipient; the
-- (dedup_key, recipient) pair makes "one e-mail per change of state per recipient" hold.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    dedup_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX outbox_once ON outbox(dedup_key, recipient);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

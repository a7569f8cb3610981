-- Audit records are written in the transaction of the change they record into audit_pending
-- (no lock is shared between writers), and chained into audit_log in batches by the sealer
-- (one lock of the chain's head per batch, not one per change held until its commit).
CREATE TABLE audit_pending (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL
);

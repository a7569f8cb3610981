-- A warning first, then the bad-faith list: the warnings the center issued to a supplier.
CREATE TABLE bad_faith_warnings (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    reason TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_by TEXT NOT NULL
);
CREATE INDEX bad_faith_warnings_supplier ON bad_faith_warnings(supplier_id, issued_at);

-- The bad-faith list: a supplier named for a period, with the reason; barred from tenders
-- whose deadline falls in it.
CREATE TABLE bad_faith (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    reason TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX bad_faith_supplier ON bad_faith(supplier_id, ends_on);

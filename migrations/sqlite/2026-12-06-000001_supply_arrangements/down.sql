-- Back to award contracts only (fails, changing nothing, while an arrangement without a lot
-- exists: end and remove those first).
PRAGMA foreign_keys=OFF;
BEGIN;
DROP TABLE contract_counties;
CREATE TABLE contracts_old (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    bid_id BIGINT NOT NULL REFERENCES bids(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    region_id BIGINT NOT NULL REFERENCES regions(id),
    unit_price BIGINT NOT NULL,
    committed_volume BIGINT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (bid_id)
);
INSERT INTO contracts_old (id, lot_id, bid_id, supplier_id, product_id, region_id, unit_price,
    committed_volume, starts_on, ends_on, status, created_at)
SELECT id, lot_id, bid_id, supplier_id, product_id, region_id, unit_price,
    committed_volume, starts_on, ends_on, CASE WHEN status = 'ended' THEN 'in_force' ELSE status END,
    created_at
FROM contracts;
DROP TABLE contracts;
ALTER TABLE contracts_old RENAME TO contracts;
CREATE INDEX contracts_supplier ON contracts(supplier_id);
COMMIT;
PRAGMA foreign_keys=ON;

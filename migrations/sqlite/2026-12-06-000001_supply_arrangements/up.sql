-- Supply arrangements: a contract row is an arrangement of a kind (award, backup_switch,
-- designated, direct_listing); lot and bid only for those that come from a tender; the drug it
-- supplies; the shortage response that made it; the counties it supplies (contract_counties).
-- Run outside diesel's transaction (metadata.toml): the table is rebuilt with foreign keys off.
PRAGMA foreign_keys=OFF;
BEGIN;

CREATE TABLE contracts_new (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT REFERENCES lots(id),
    bid_id BIGINT REFERENCES bids(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    region_id BIGINT NOT NULL REFERENCES regions(id),
    unit_price BIGINT NOT NULL,
    committed_volume BIGINT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL DEFAULT 'award',
    response_id BIGINT REFERENCES shortage_responses(id),
    drug_id BIGINT NOT NULL REFERENCES drugs(id)
);

INSERT INTO contracts_new (id, lot_id, bid_id, supplier_id, product_id, region_id, unit_price,
    committed_volume, starts_on, ends_on, status, created_at, kind, response_id, drug_id)
SELECT c.id, c.lot_id, c.bid_id, c.supplier_id, c.product_id, c.region_id, c.unit_price,
    c.committed_volume, c.starts_on, c.ends_on, c.status, c.created_at, 'award', NULL, p.drug_id
FROM contracts c JOIN products p ON p.id = c.product_id;

DROP TABLE contracts;
ALTER TABLE contracts_new RENAME TO contracts;
CREATE INDEX contracts_supplier ON contracts(supplier_id);
CREATE INDEX contracts_drug ON contracts(drug_id);
CREATE INDEX contracts_response ON contracts(response_id);
-- One award contract per winning bid; a backup switch names the backup's bid again.
CREATE UNIQUE INDEX contracts_award_bid ON contracts(bid_id) WHERE kind = 'award';

CREATE TABLE contract_counties (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    county_id BIGINT NOT NULL REFERENCES regions(id),
    PRIMARY KEY (contract_id, county_id)
);
CREATE INDEX contract_counties_county ON contract_counties(county_id, contract_id);

-- The counties of existing award contracts: those of the institutions they were split among
-- (an institution's county: its township's parent, else its own region, as store::regions::county_of).
INSERT INTO contract_counties (contract_id, county_id)
SELECT DISTINCT a.contract_id,
    CASE WHEN r.level = 'township' AND r.parent_id IS NOT NULL THEN r.parent_id ELSE r.id END
FROM contract_allocations a
JOIN institutions i ON i.id = a.institution_id
JOIN regions r ON r.id = i.region_id;

COMMIT;
PRAGMA foreign_keys=ON;

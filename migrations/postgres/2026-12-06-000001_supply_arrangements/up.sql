-- Supply arrangements: a contract row is an arrangement of a kind (award, backup_switch,
-- designated, direct_listing); lot and bid only for those that come from a tender; the drug it
-- supplies; the shortage response that made it; the counties it supplies (contract_counties).
ALTER TABLE contracts
    ALTER COLUMN lot_id DROP NOT NULL,
    ALTER COLUMN bid_id DROP NOT NULL,
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'award',
    ADD COLUMN response_id BIGINT REFERENCES shortage_responses(id),
    ADD COLUMN drug_id BIGINT REFERENCES drugs(id),
    DROP CONSTRAINT contracts_bid_id_key;
UPDATE contracts c SET drug_id = p.drug_id FROM products p WHERE p.id = c.product_id;
ALTER TABLE contracts ALTER COLUMN drug_id SET NOT NULL;
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

-- Tenders: demand collection, lots, double-envelope bids (every version kept), objections,
-- contracts with their split among institutions and their distributors per county.

CREATE TABLE demand_windows (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    closes_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE demand_reports (
    id INTEGER PRIMARY KEY,
    window_id BIGINT NOT NULL REFERENCES demand_windows(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    quantity BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (window_id, institution_id, drug_id)
);
CREATE INDEX demand_reports_drug ON demand_reports(window_id, drug_id);

CREATE TABLE tenders (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    window_id BIGINT REFERENCES demand_windows(id),
    state TEXT NOT NULL,
    bid_deadline TIMESTAMP NOT NULL,
    objection_days INTEGER NOT NULL,
    objection_deadline TIMESTAMP,
    contract_months INTEGER NOT NULL,
    key_salt TEXT NOT NULL,
    cancel_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);

CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    tender_id BIGINT NOT NULL REFERENCES tenders(id),
    lot_no INTEGER NOT NULL,
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    reported_demand BIGINT NOT NULL,
    agreed_share_bp INTEGER NOT NULL,
    agreed_volume BIGINT NOT NULL,
    max_unit_price BIGINT NOT NULL,
    min_bidders INTEGER NOT NULL,
    consistency_required BOOLEAN NOT NULL,
    policy TEXT NOT NULL,
    policy_json TEXT NOT NULL,
    status TEXT NOT NULL,
    result_json TEXT,
    UNIQUE (tender_id, lot_no)
);
CREATE INDEX lots_tender ON lots(tender_id);

CREATE TABLE bids (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    submission_seq BIGINT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    annual_capacity BIGINT NOT NULL,
    technical_json TEXT NOT NULL,
    technical_digest TEXT NOT NULL,
    commercial_digest TEXT NOT NULL,
    commercial_nonce TEXT NOT NULL,
    commercial_sealed TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    technical_result TEXT,
    technical_reasons TEXT,
    technical_score BIGINT,
    package_price BIGINT,
    unit_price BIGINT,
    UNIQUE (lot_id, supplier_id)
);
CREATE INDEX bids_supplier ON bids(supplier_id);

CREATE TABLE bid_versions (
    id INTEGER PRIMARY KEY,
    bid_id BIGINT NOT NULL REFERENCES bids(id),
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    product_id BIGINT NOT NULL,
    annual_capacity BIGINT NOT NULL,
    technical_json TEXT NOT NULL,
    technical_digest TEXT NOT NULL,
    commercial_digest TEXT NOT NULL,
    commercial_nonce TEXT NOT NULL,
    commercial_sealed TEXT NOT NULL,
    UNIQUE (bid_id, version)
);

CREATE TABLE bid_documents (
    id INTEGER PRIMARY KEY,
    bid_id BIGINT NOT NULL REFERENCES bids(id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX bid_documents_bid ON bid_documents(bid_id, version);

CREATE TABLE objections (
    id INTEGER PRIMARY KEY,
    tender_id BIGINT NOT NULL REFERENCES tenders(id),
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    text TEXT NOT NULL,
    lodged_at TIMESTAMP NOT NULL,
    answer TEXT,
    answered_at TIMESTAMP
);

CREATE TABLE contracts (
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
CREATE INDEX contracts_supplier ON contracts(supplier_id);

CREATE TABLE contract_allocations (
    id INTEGER PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    volume BIGINT NOT NULL,
    UNIQUE (contract_id, institution_id)
);
CREATE INDEX contract_allocations_institution ON contract_allocations(institution_id);

CREATE TABLE contract_distributors (
    id INTEGER PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    county_id BIGINT NOT NULL REFERENCES regions(id),
    distributor_id BIGINT NOT NULL REFERENCES suppliers(id),
    UNIQUE (contract_id, county_id)
);

-- One counter for the order of final submissions (the last tie-break).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('bid_submission', 0);

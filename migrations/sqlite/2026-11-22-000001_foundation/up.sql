-- Foundation: regions, parties, catalog, users, tokens, login throttle, audit log.
-- Money columns are BIGINT counts of 1/10,000 yuan; timestamps are UTC.

CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_id BIGINT REFERENCES regions(id)
);
CREATE INDEX regions_parent ON regions(parent_id);

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    parent_id BIGINT REFERENCES institutions(id),
    remote BOOLEAN NOT NULL DEFAULT 0,
    emails TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX institutions_region ON institutions(region_id);
CREATE INDEX institutions_parent ON institutions(parent_id);

CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    credit_status TEXT NOT NULL DEFAULT 'good',
    emails TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE licences (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    expires_on DATE NOT NULL
);
CREATE INDEX licences_supplier ON licences(supplier_id);

CREATE TABLE drugs (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    inn TEXT NOT NULL,
    dosage_form TEXT NOT NULL,
    strength TEXT NOT NULL,
    unit TEXT NOT NULL,
    origin TEXT NOT NULL,
    category TEXT NOT NULL,
    atc_code TEXT,
    search_text TEXT NOT NULL
);
CREATE INDEX drugs_name ON drugs(name_zh);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    manufacturer_id BIGINT NOT NULL REFERENCES suppliers(id),
    approval_number TEXT NOT NULL,
    units_per_package INTEGER NOT NULL,
    gtin TEXT,
    consistency_passed BOOLEAN NOT NULL DEFAULT 0,
    originator BOOLEAN NOT NULL DEFAULT 0,
    reference_price BIGINT,
    UNIQUE (approval_number, units_per_package)
);
CREATE INDEX products_drug ON products(drug_id);
CREATE INDEX products_manufacturer ON products(manufacturer_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    supplier_id BIGINT REFERENCES suppliers(id),
    institution_id BIGINT REFERENCES institutions(id),
    email TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'zh-CN',
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_user_at ON login_failures(username, at);

CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

-- The head of the chain: one row, locked by every append so that appends are serialized.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

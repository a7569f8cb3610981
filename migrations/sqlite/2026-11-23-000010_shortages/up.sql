-- Scheduled jobs, shortage monitoring and alert preferences.

-- One row per firing of a job: the replica whose insert succeeds runs it (the others see the
-- unique key taken and skip), so each firing runs once however many replicas are up.
CREATE TABLE job_firings (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    fired_at TIMESTAMP NOT NULL,
    replica TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT
);
CREATE UNIQUE INDEX job_firings_once ON job_firings(job, fired_at);

-- The shortage list: one record per drug while it is short (at most one open), with its level,
-- scope (county, city or province), the region of that scope, the counties affected and the
-- evidence of the last change; resolved records stay as history.
CREATE TABLE shortages (
    id INTEGER PRIMARY KEY,
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    level TEXT NOT NULL,
    scope TEXT NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions(id),
    counties TEXT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE UNIQUE INDEX shortages_one_open ON shortages(drug_id) WHERE status = 'open';
CREATE INDEX shortages_status ON shortages(status, level);

-- Every change of a shortage record: opened, escalated, eased, spread/narrowed, resolved,
-- responded to.
CREATE TABLE shortage_events (
    id INTEGER PRIMARY KEY,
    shortage_id BIGINT NOT NULL REFERENCES shortages(id),
    at TIMESTAMP NOT NULL,
    change TEXT NOT NULL,
    level TEXT NOT NULL,
    scope TEXT NOT NULL,
    region_id BIGINT NOT NULL,
    counties TEXT NOT NULL,
    evidence TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX shortage_events_shortage ON shortage_events(shortage_id, at);

-- Institutions' shortage reports (a signal for 30 days unless withdrawn).
CREATE TABLE shortage_reports (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    county_id BIGINT NOT NULL REFERENCES regions(id),
    note TEXT NOT NULL,
    reported_at TIMESTAMP NOT NULL,
    reported_by TEXT NOT NULL,
    withdrawn_at TIMESTAMP
);
CREATE INDEX shortage_reports_at ON shortage_reports(reported_at);

-- Suppliers' declared supply interruptions of a drug, in force from starts_on to ends_on
-- (open-ended while ends_on is empty).
CREATE TABLE supply_interruptions (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    reason TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE,
    declared_at TIMESTAMP NOT NULL,
    declared_by TEXT NOT NULL
);
CREATE INDEX supply_interruptions_drug ON supply_interruptions(drug_id);

-- The center's responses to a shortage: temporary off-contract purchasing (direct listing)
-- under a price cap until a date, an alternate supplier, or re-tender.
CREATE TABLE shortage_responses (
    id INTEGER PRIMARY KEY,
    shortage_id BIGINT NOT NULL REFERENCES shortages(id),
    drug_id BIGINT NOT NULL REFERENCES drugs(id),
    kind TEXT NOT NULL,
    counties TEXT NOT NULL,
    price_cap BIGINT,
    until_on DATE,
    supplier_id BIGINT REFERENCES suppliers(id),
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX shortage_responses_drug ON shortage_responses(drug_id, kind);

-- Alerts a user chose not to receive (every alert is on until turned off).
CREATE TABLE alert_optouts (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL
);
CREATE UNIQUE INDEX alert_optouts_once ON alert_optouts(user_id, kind);


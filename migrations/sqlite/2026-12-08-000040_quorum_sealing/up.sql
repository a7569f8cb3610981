-- Quorum sealing (issue 16). A tender records how its price envelopes are sealed: 'server'
-- (the old single key derived from var/master.key, kept for demos and tests) or 'quorum' (the
-- bidder seals to a key formed by the tender's custodians, k of whom open). Tenders made
-- before stay 'server'.
ALTER TABLE tenders ADD COLUMN sealing TEXT NOT NULL DEFAULT 'server';
ALTER TABLE tenders ADD COLUMN quorum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenders ADD COLUMN digests_published_at TIMESTAMP;

-- A custodian's own public key (ristretto255, hex); the secret stays in the custodian's key
-- file under its passphrase. Having one is the custodian duty.
CREATE TABLE custodian_keys (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    public_key TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL
);

-- The custodians of a tender (index 1..n) and each one's dealing: public commitments, proof,
-- and the shares sealed to each custodian's key.
CREATE TABLE tender_custodians (
    tender_id BIGINT NOT NULL REFERENCES tenders(id),
    idx INTEGER NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    public_key TEXT NOT NULL,
    dealing TEXT,
    dealt_at TIMESTAMP,
    contributed_at TIMESTAMP,
    PRIMARY KEY (tender_id, idx)
);
CREATE UNIQUE INDEX tender_custodians_user ON tender_custodians (tender_id, user_id);

-- The envelope digests published at the bid deadline: what was sealed, fixed.
CREATE TABLE envelope_digests (
    bid_id BIGINT PRIMARY KEY REFERENCES bids(id),
    tender_id BIGINT NOT NULL REFERENCES tenders(id),
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    digest TEXT NOT NULL
);
CREATE INDEX envelope_digests_tender ON envelope_digests (tender_id, lot_id);

-- Each custodian's checked contribution to opening one envelope (D = x_j·R and its proof).
CREATE TABLE opening_contributions (
    tender_id BIGINT NOT NULL REFERENCES tenders(id),
    idx INTEGER NOT NULL,
    bid_id BIGINT NOT NULL REFERENCES bids(id),
    contribution TEXT NOT NULL,
    PRIMARY KEY (tender_id, idx, bid_id)
);

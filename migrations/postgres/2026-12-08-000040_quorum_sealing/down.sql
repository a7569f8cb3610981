DROP TABLE opening_contributions;
DROP TABLE envelope_digests;
DROP TABLE tender_custodians;
DROP TABLE custodian_keys;
ALTER TABLE tenders DROP COLUMN digests_published_at;
ALTER TABLE tenders DROP COLUMN quorum;
ALTER TABLE tenders DROP COLUMN sealing;

ALTER TABLE tenders DROP COLUMN envelope_key;

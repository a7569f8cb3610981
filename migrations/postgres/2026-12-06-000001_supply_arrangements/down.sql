-- Back to award contracts only (fails while an arrangement without a lot exists).
DROP TABLE contract_counties;
UPDATE contracts SET status = 'in_force' WHERE status = 'ended';
DROP INDEX contracts_drug;
DROP INDEX contracts_response;
DROP INDEX contracts_award_bid;
ALTER TABLE contracts
    DROP COLUMN drug_id,
    DROP COLUMN response_id,
    DROP COLUMN kind,
    ALTER COLUMN lot_id SET NOT NULL,
    ALTER COLUMN bid_id SET NOT NULL,
    ADD CONSTRAINT contracts_bid_id_key UNIQUE (bid_id);

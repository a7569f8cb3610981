-- The product a designated producer supplies (the center's choice, or the producer's one product
-- of the drug); its arrangement (contracts.product_id) carries the same.
ALTER TABLE shortage_responses ADD COLUMN product_id BIGINT REFERENCES products(id);

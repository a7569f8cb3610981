ALTER TABLE shortage_responses DROP COLUMN product_id;

DROP INDEX orders_submitted;
DROP INDEX orders_county;
ALTER TABLE orders DROP COLUMN county_id;

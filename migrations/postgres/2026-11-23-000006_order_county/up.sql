-- The county an order goes to (its institution's county), kept on the order so that the
-- performance figures and the shortage scan group and filter by region without re-deriving it
-- for every line. A fact of the order: set when it is placed.
ALTER TABLE orders ADD COLUMN county_id BIGINT REFERENCES regions(id);
UPDATE orders SET county_id = (
    SELECT CASE WHEN r.level = 'township' AND r.parent_id IS NOT NULL THEN r.parent_id ELSE r.id END
    FROM institutions i JOIN regions r ON r.id = i.region_id
    WHERE i.id = orders.institution_id
);
CREATE INDEX orders_county ON orders(county_id, submitted_at);
CREATE INDEX orders_submitted ON orders(submitted_at);

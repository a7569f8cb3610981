-- Direct listing (temporary off-contract purchasing during a shortage): licensed suppliers list
-- a product of the drug at their own price within the center's cap, until the response's end
-- date; institutions of the affected counties buy at the listed price.
CREATE TABLE direct_listings (
    id INTEGER PRIMARY KEY,
    response_id BIGINT NOT NULL REFERENCES shortage_responses(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    unit_price BIGINT NOT NULL,
    listed_at TIMESTAMP NOT NULL,
    listed_by TEXT NOT NULL
);
CREATE UNIQUE INDEX direct_listings_once ON direct_listings(response_id, supplier_id, product_id);

CREATE TABLE direct_purchases (
    id INTEGER PRIMARY KEY,
    listing_id BIGINT NOT NULL REFERENCES direct_listings(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    county_id BIGINT NOT NULL REFERENCES regions(id),
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    placed_at TIMESTAMP NOT NULL,
    placed_by TEXT NOT NULL
);
CREATE INDEX direct_purchases_institution ON direct_purchases(institution_id, placed_at);
CREATE INDEX direct_purchases_listing ON direct_purchases(listing_id);

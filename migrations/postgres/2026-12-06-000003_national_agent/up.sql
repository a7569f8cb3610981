-- An imported product is bid by the enterprise registered as its national agent, not by its
-- (foreign) manufacturer; a domestic product has none and is bid by its manufacturer.
ALTER TABLE products ADD COLUMN national_agent_id BIGINT REFERENCES suppliers(id);
CREATE INDEX products_national_agent ON products(national_agent_id);

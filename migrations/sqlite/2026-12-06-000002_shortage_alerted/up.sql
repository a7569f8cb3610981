-- Whom a shortage record alerted, at any change: the institutions and suppliers (comma-separated
-- ids), so that its resolution reaches every one of them even when they no longer ordered the
-- drug in the window or the contracts they held have ended.
ALTER TABLE shortages ADD COLUMN alerted_institutions TEXT NOT NULL DEFAULT '';
ALTER TABLE shortages ADD COLUMN alerted_suppliers TEXT NOT NULL DEFAULT '';

-- A response that acts on supply: the negotiated unit price of a designated producer, and when
-- it ended (withdrawn by the center, or the shortage resolved) with its arrangements.
ALTER TABLE shortage_responses ADD COLUMN unit_price BIGINT;
ALTER TABLE shortage_responses ADD COLUMN ended_at TIMESTAMP;
-- The draft tender a re-tender response made.
ALTER TABLE shortage_responses ADD COLUMN tender_id BIGINT REFERENCES tenders(id);

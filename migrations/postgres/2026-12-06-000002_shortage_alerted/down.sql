ALTER TABLE shortage_responses DROP COLUMN tender_id;
ALTER TABLE shortage_responses DROP COLUMN ended_at;
ALTER TABLE shortage_responses DROP COLUMN unit_price;
ALTER TABLE shortages DROP COLUMN alerted_suppliers;
ALTER TABLE shortages DROP COLUMN alerted_institutions;
